/**
 * Memory across hot-swaps: does the process grow with every activation? (ONNX Runtime sessions
 * released from Node have been reported to leak: onnxruntime issue 25325.)
 *
 *   node --expose-gc scripts/run-ts.js bench/swap-memory.ts [--swaps 50] [--clients 4] [--threads 1]
 *
 * Model: a BERT-mini-shaped sequence classifier (4 layers, hidden 256, the bert-base-uncased
 * WordPiece vocabulary from the hf-tiny fixtures; a 45 MB graph), built with Berth's own exporter
 * twice with different seeds: version 1 embedded, version 2 imported. The serving core runs in
 * this process; `clients` concurrent clients send seeded random sentences the whole time, and
 * every swap activates the other version (load + warm beside, flip, drain, release).
 *
 * Printed: `process.memoryUsage()` after a warm-up of 2 swaps, then after 10, 25 and all swaps
 * (after a full GC when --expose-gc is given), the growth per swap (least-squares slope of RSS
 * over the swaps after the 10th, and end-to-end), and the requests served and failed.
 * Baseline in the same run: the same number of bare ONNX Runtime create → run → release cycles
 * on the same graph, without Berth, so Berth's own retention can be told from ONNX Runtime's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { ensureMiniModel } from './support/mini-load';

const { values: flags } = parseArgs({
  options: {
    swaps: { type: 'string' },
    clients: { type: 'string' },
    threads: { type: 'string' },
  },
});
const SWAPS = Number(flags.swaps ?? 50);
const CLIENTS = Number(flags.clients ?? 4);
const THREADS = Number(flags.threads ?? 1);
const WORK = '/tmp/berth-bench/swap-memory';
const MODEL = 'swap-mini';
const REPO = resolve(__dirname, '..');
const FIXTURES = process.env.BERTH_FIXTURES_DIR ?? resolve(REPO, '..', 'shared', 'fixtures');
const MiB = 1024 * 1024;

const WORDS =
  'the a model server batch token queue fast slow request answer review movie service food great terrible okay city river engineer music paris london data train test value people time year day thing world life hand part child eye woman place work week case point number group problem fact'.split(
    ' ',
  );

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

function sentence(rand: () => number): string {
  const len = 8 + Math.floor(rand() * 24);
  return Array.from({ length: len }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ') + '.';
}

interface Sample {
  swaps: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function sample(swaps: number): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { swaps, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1).padStart(7);
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

function report(title: string, samples: Sample[], warm: Sample): void {
  console.log(`\n${title}`);
  console.log('  after        rss MiB  heapUsed  external  arrayBuf');
  const shown = [warm, ...samples.filter((s) => s.swaps === 10 || s.swaps === 25 || s.swaps === samples[samples.length - 1].swaps)];
  for (const s of shown) {
    const label = s === warm ? 'warm-up' : `${s.swaps} swaps`;
    console.log(`  ${label.padEnd(10)} ${mib(s.rss)}  ${mib(s.heapUsed)}   ${mib(s.external)}   ${mib(s.arrayBuffers)}`);
  }
  const last = samples[samples.length - 1];
  const tail = samples.filter((s) => s.swaps >= 10).map((s) => [s.swaps, s.rss] as [number, number]);
  console.log(
    `  growth per swap: ${((last.rss - warm.rss) / last.swaps / MiB).toFixed(2)} MiB end to end, ` +
      `${(slope(tail) / MiB).toFixed(2)} MiB (slope after the 10th); peak rss ${mib(Math.max(...samples.map((s) => s.rss)))} MiB`,
  );
}

async function berthSwaps(modelsDir: string, v2Dir: string): Promise<void> {
  const { ServingCore } = await import('../src/serving/serving-core');
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-swap-data-'));
  const core = await ServingCore.start({
    modelsDir,
    dataDir,
    device: 'cpu',
    intraOpThreads: THREADS,
    interOpThreads: 1,
    batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 2, maxQueue: 10_000, enabled: true },
    limits: { maxInputsPerRequest: 16, maxCandidateLabels: 10, maxTextChars: 10_000 },
  });
  await core.importVersion(MODEL, v2Dir);

  let stop = false;
  let served = 0;
  let failed = 0;
  const byVersion = new Map<number, number>();
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    const rand = rng(1000 + c);
    while (!stop) {
      const texts = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => sentence(rand));
      try {
        const r = await core.classify(MODEL, texts, {});
        served++;
        byVersion.set(r.version, (byVersion.get(r.version) ?? 0) + 1);
      } catch (e) {
        failed++;
        if (failed <= 3) console.error('request failed:', e instanceof Error ? e.message : e);
      }
    }
  });

  const swapTo = (i: number) => core.activate(MODEL, i % 2 === 0 ? 2 : 1);
  const started = performance.now();
  await swapTo(0);
  await swapTo(1);
  const warm = sample(0);
  const samples: Sample[] = [];
  for (let i = 0; i < SWAPS; i++) {
    await swapTo(i);
    samples.push(sample(i + 1));
  }
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(clients);
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });

  report(`Berth hot-swap, ${SWAPS} activations alternating v1/v2 under ${CLIENTS} clients (${seconds.toFixed(1)} s)`, samples, warm);
  console.log(
    `  requests: ${served} served, ${failed} failed; by version ${[...byVersion].map(([v, n]) => `v${v}: ${n}`).join(', ')}; ` +
      `${((seconds * 1000) / (SWAPS + 2)).toFixed(0)} ms per swap`,
  );
}

async function bareCycles(file: string): Promise<void> {
  const ids = new BigInt64Array(8 * 64).fill(1n);
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [8, 64]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(8 * 64).fill(1n), [8, 64]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(8 * 64), [8, 64]),
  };
  const cycle = async () => {
    const session = await ort.InferenceSession.create(file, {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const names = new Set(session.inputNames);
    await session.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k))));
    await session.release();
  };
  await cycle();
  await cycle();
  const warm = sample(0);
  const samples: Sample[] = [];
  for (let i = 0; i < SWAPS; i++) {
    await cycle();
    samples.push(sample(i + 1));
  }
  report(`Baseline: bare onnxruntime-node create → run → release, ${SWAPS} cycles, same graph`, samples, warm);
}

async function main(): Promise<void> {
  const modelsDir = join(WORK, 'models');
  const v1 = await ensureMiniModel(join(modelsDir, MODEL), FIXTURES, 7);
  const v2 = await ensureMiniModel(join(WORK, 'v2'), FIXTURES, 8);
  console.log(
    `swap-memory: onnxruntime-node ${ort.env.versions.node ?? '?'}, node ${process.version}, ${THREADS} intra-op thread(s), ` +
      `gc ${(globalThis as { gc?: unknown }).gc ? 'forced before each sample' : 'not exposed (run node with --expose-gc)'}`,
  );
  await berthSwaps(modelsDir, v2);
  await bareCycles(join(v1, 'model.onnx'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
