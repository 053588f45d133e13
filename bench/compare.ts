/**
 * One comparison command: Berth against bare ONNX Runtime, transformers.js and PyTorch, every
 * figure a median of alternated runs in this one run and printed as a ratio against its baseline
 * (absolute numbers on a shared two-core machine are for orientation only).
 *
 *   node scripts/run-ts.js bench/compare.ts [--only latency,throughput,train] [--seconds 4]
 *                                           [--rounds 2] [--threads 2] [--markdown out.md]
 *
 * latency     one client, one 16-token text per request, BERT-mini: Berth over loopback HTTP
 *             (p50/p99 and its own stage split) against bare `session.run` (batch 1) and the
 *             transformers.js pipeline in-process. Acceptance: p50 ≤ bare p50 + 1.0 ms.
 * throughput  32 concurrent clients, one 128-token text per request, BERT-mini and BERT-base:
 *             Berth's HTTP seq/s against transformers.js behind a plain node:http server (one
 *             pipeline call per request), and the server process's CPU seconds per sequence
 *             against bare `session.run`'s at batch 8 (each in its own process, so the load
 *             generator's share of the cores counts on neither side). Acceptance: CPU ≤ 1.1× bare,
 *             throughput ≥ 1.2× transformers.js.
 * int8        BERT-base, the same load as throughput: Berth serving float32 against Berth serving
 *             int8 (BERTH_QUANTIZE=int8) and transformers.js running that same int8 graph (its `q8`
 *             file, onnx/model_quantized.onnx). Acceptance: int8 ≥ 2× our float32, ≥ 1.0× transformers.js.
 * graphs      bench/int8-fused.ts (bare sessions of the plain, fused, int8 and fused + int8 graphs,
 *             alternated), run as it is. Acceptance: fused ≥ 1.2× plain on BERT-base at 128 tokens.
 * train       bench/train-step.ts (Berth's training step against PyTorch's, same shapes), run as it is.
 *
 * Models are built once with Berth's own exporter under /tmp/berth-bench/compare (seeded random
 * weights; timing does not depend on them). Everything stays on 127.0.0.1; every loop is bounded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeModel } from '../src/engine/onnx/decode';
import { writeModelFile } from '../src/engine/onnx/encode';
import { quantizeDynamic } from '../src/engine/onnx/quantize';
import { EncoderShape, ensureMiniModel, MINI_SHAPE, sentences } from './support/mini-load';
import {
  loadWithCpu,
  median,
  oneShot,
  parseRole,
  quantile,
  RoleArgs,
  ROLE_OPTIONS,
  runRole,
  sequentialLatency,
  withServer,
} from './support/serve-measure';

const { values: flags } = parseArgs({
  options: {
    ...ROLE_OPTIONS,
    only: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    clients: { type: 'string' },
    requests: { type: 'string' },
    markdown: { type: 'string' },
    sizes: { type: 'string' },
    'berth-env': { type: 'string' },
  },
});
const THREADS = Number(flags.threads ?? 2);
const SECONDS = Number(flags.seconds ?? 4);
const ROUNDS = Number(flags.rounds ?? 2);
const CLIENTS = Number(flags.clients ?? 32);
const REQUESTS = Number(flags.requests ?? 400);
const ONLY = new Set((flags.only ?? 'latency,throughput,int8,graphs,train').split(','));
const REPO = resolve(__dirname, '..');
const FIXTURES = process.env.BERTH_FIXTURES_DIR ?? resolve(REPO, '..', 'shared', 'fixtures');
const WORK = '/tmp/berth-bench/compare';
const BASE_SHAPE: EncoderShape = { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 };
/** 14 one-token words: 16 tokens with [CLS] and [SEP]. */
const SHORT_TEXT = 'the movie was a great and moving story of a river city engineer in paris';
/** 124 one-token words and a full stop: 127 tokens with [CLS] and [SEP]. */
const LONG_TEXTS = sentences(64, 42, 124, 124);

/** Extra server environment for Berth, e.g. `--berth-env BERTH_THREAD_SPINNING=on`. */
const BERTH_ENV: Record<string, string> = Object.fromEntries(
  (flags['berth-env'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]),
);
const report: string[] = [];
function say(line: string): void {
  console.log(line);
  report.push(line);
}
/** Where the run is, on stderr (the report stays clean). */
const progress = (what: string): void => void process.stderr.write(`[compare] ${what}\n`);
const f2 = (x: number): string => x.toFixed(2);
const f1 = (x: number): string => x.toFixed(1);

async function model(name: string, shape: EncoderShape): Promise<string> {
  // One models folder per model, so the server loads only this one.
  const dir = join(WORK, 'models', name, name);
  await ensureMiniModel(dir, FIXTURES, 7, shape);
  // transformers.js reads onnx/model.onnx from a Hugging Face-layout folder: the same file, linked.
  const tjsDir = join(dir, 'onnx');
  mkdirSync(tjsDir, { recursive: true });
  if (!existsSync(join(tjsDir, 'model.onnx'))) symlinkSync(join(dir, 'model.onnx'), join(tjsDir, 'model.onnx'));
  return dir;
}

function role(name: string, dir: string, extra: Partial<RoleArgs> = {}): RoleArgs {
  return { role: name, dir, threads: THREADS, amount: 0, texts: [], env: {}, dtype: 'fp32', ...extra };
}

async function latency(): Promise<void> {
  const dir = await model('bert-mini', MINI_SHAPE);
  const body = JSON.stringify({ model: 'bert-mini', inputs: SHORT_TEXT });
  const bare: number[][] = [];
  const berth: number[][] = [];
  const tjs: number[][] = [];
  const stages: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const b = await oneShot(__filename, role('bare-latency', dir, { amount: REQUESTS, texts: [SHORT_TEXT] }), 'bare');
    bare.push(b.latencies);
    await withServer(__filename, role('serve', dir, { env: BERTH_ENV }), async (port) => {
      const answers = await sequentialLatency(port, body, REQUESTS);
      berth.push(answers.map((a) => a.ms));
      for (const stage of Object.keys(answers[0].stages)) (stages[stage] ??= []).push(median(answers.map((a) => a.stages[stage])));
    });
    tjs.push(await oneShot(__filename, role('tjs-latency', dir, { amount: REQUESTS, texts: [SHORT_TEXT] }), 'latencies'));
  }
  const p = (runs: number[][], q: number): number => median(runs.map((r) => quantile(r, q)));
  say(`## Low-load latency — BERT-mini, one 16-token text per request, one client, ${REQUESTS} requests × ${ROUNDS} rounds`);
  say('');
  say('| what | p50 ms | p99 ms |');
  say('| --- | --- | --- |');
  say(`| bare \`session.run\`, batch 1 | ${f2(p(bare, 0.5))} | ${f2(p(bare, 0.99))} |`);
  say(`| Berth, POST /v1/classify over loopback HTTP | ${f2(p(berth, 0.5))} | ${f2(p(berth, 0.99))} |`);
  say(`| transformers.js pipeline, in-process | ${f2(p(tjs, 0.5))} | ${f2(p(tjs, 0.99))} |`);
  say('');
  say(
    `Berth's own stage medians: ${Object.entries(stages)
      .map(([k, v]) => `${k} ${f2(median(v))} ms`)
      .join(', ')}.`,
  );
  say(`Berth p50 − bare p50 = **${f2(p(berth, 0.5) - p(bare, 0.5))} ms** (acceptance: ≤ 1.00 ms).`);
  say('');
}

async function throughputFor(name: string, shape: EncoderShape): Promise<void> {
  const dir = await model(name, shape);
  const bodies = LONG_TEXTS.map((t) => JSON.stringify({ model: name, inputs: t }));
  const tjsBodies = LONG_TEXTS.map((t) => JSON.stringify({ inputs: t }));
  const bareCpu: number[] = [];
  const bareRate: number[] = [];
  const berthCpu: number[] = [];
  const berthRate: number[] = [];
  const tjsCpu: number[] = [];
  const tjsRate: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    progress(`${name} round ${round + 1}: bare session.run`);
    const b = await oneShot(__filename, role('bare-cpu', dir, { amount: SECONDS, texts: LONG_TEXTS.slice(0, 8) }), 'bare');
    bareCpu.push(b.cpuSeconds / b.sequences);
    bareRate.push(b.sequences / (b.latencies.reduce((a, x) => a + x, 0) / 1e3));
    progress(`${name} round ${round + 1}: Berth`);
    await withServer(__filename, role('serve', dir, { env: BERTH_ENV }), async (port, proc) => {
      const r = await loadWithCpu(port, proc, bodies, CLIENTS, SECONDS);
      if (r.failures) say(`(warning: ${r.failures} failed requests to Berth)`);
      berthCpu.push(r.cpuPerSeq);
      berthRate.push(r.seqPerSec);
    });
    progress(`${name} round ${round + 1}: transformers.js`);
    await withServer(__filename, role('tjs-serve', dir), async (port, proc) => {
      const r = await loadWithCpu(port, proc, tjsBodies, CLIENTS, SECONDS);
      if (r.failures) say(`(warning: ${r.failures} failed requests to transformers.js)`);
      tjsCpu.push(r.cpuPerSeq);
      tjsRate.push(r.seqPerSec);
    });
  }
  const ms = (x: number): string => f2(x * 1e3);
  say(`### ${name}, ${CLIENTS} concurrent clients, one 127-token text per request, ${SECONDS} s × ${ROUNDS} rounds`);
  say('');
  say('| what | seq/s | CPU ms per sequence |');
  say('| --- | --- | --- |');
  say(`| bare \`session.run\`, batch 8 (no HTTP) | ${f1(median(bareRate))} | ${ms(median(bareCpu))} |`);
  say(`| Berth over HTTP | ${f1(median(berthRate))} | ${ms(median(berthCpu))} |`);
  say(`| transformers.js behind node:http | ${f1(median(tjsRate))} | ${ms(median(tjsCpu))} |`);
  say('');
  say(
    `Berth CPU per sequence ÷ bare's: **${f2(median(berthCpu) / median(bareCpu))}** (acceptance ≤ 1.10); ` +
      `Berth throughput ÷ transformers.js's: **${f2(median(berthRate) / median(tjsRate))}** (acceptance ≥ 1.20).`,
  );
  say('');
}

async function throughput(): Promise<void> {
  say('## Throughput and server cost');
  say('');
  const sizes = (flags.sizes ?? 'mini,base').split(',');
  if (sizes.includes('mini')) await throughputFor('bert-mini', MINI_SHAPE);
  if (sizes.includes('base')) await throughputFor('bert-base', BASE_SHAPE);
}

async function int8(): Promise<void> {
  const dir = await model('bert-base', BASE_SHAPE);
  // Our int8 graph where transformers.js looks for its q8 variant, so both run the same file.
  const quantized = join(dir, 'onnx', 'model_quantized.onnx');
  if (!existsSync(quantized)) {
    writeModelFile(quantized, quantizeDynamic(decodeModel(readFileSync(join(dir, 'model.onnx'))), { weightType: 'int8' }).model);
  }
  const bodies = LONG_TEXTS.map((t) => JSON.stringify({ model: 'bert-base', inputs: t }));
  const tjsBodies = LONG_TEXTS.map((t) => JSON.stringify({ inputs: t }));
  const rates: Record<'fp32' | 'int8' | 'tjs', number[]> = { fp32: [], int8: [], tjs: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of ['fp32', 'int8'] as const) {
      progress(`int8 round ${round + 1}: Berth ${variant}`);
      const env = variant === 'int8' ? { ...BERTH_ENV, BERTH_QUANTIZE: 'int8' } : BERTH_ENV;
      await withServer(__filename, role('serve', dir, { env }), async (port, proc) => {
        rates[variant].push((await loadWithCpu(port, proc, bodies, CLIENTS, SECONDS)).seqPerSec);
      });
    }
    progress(`int8 round ${round + 1}: transformers.js q8`);
    await withServer(__filename, role('tjs-serve', dir, { dtype: 'q8' }), async (port, proc) => {
      rates.tjs.push((await loadWithCpu(port, proc, tjsBodies, CLIENTS, SECONDS)).seqPerSec);
    });
  }
  say(`## int8 — BERT-base, ${CLIENTS} clients, one 127-token text per request, ${SECONDS} s × ${ROUNDS} rounds`);
  say('');
  say('| what | seq/s |');
  say('| --- | --- |');
  say(`| Berth, float32 | ${f1(median(rates.fp32))} |`);
  say(`| Berth, BERTH_QUANTIZE=int8 | ${f1(median(rates.int8))} |`);
  say(`| transformers.js, the same int8 graph (dtype q8) | ${f1(median(rates.tjs))} |`);
  say('');
  say(
    `int8 ÷ float32: **${f2(median(rates.int8) / median(rates.fp32))}** (acceptance ≥ 2.0); ` +
      `Berth int8 ÷ transformers.js int8: **${f2(median(rates.int8) / median(rates.tjs))}** (acceptance ≥ 1.0).`,
  );
  say('');
}

/** Runs another bench file as it is and quotes its output. */
function quoteBench(title: string, file: string, args: string[]): void {
  say(`## ${title} (bench/${file})`);
  say('');
  progress(`${file} ${args.join(' ')}`);
  const run = spawnSync(process.execPath, [join(REPO, 'scripts', 'run-ts.js'), join(__dirname, file), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  say('```');
  say(run.stdout.trimEnd());
  say('```');
  say('');
}

async function main(): Promise<void> {
  const env = Object.entries(BERTH_ENV).map(([k, v]) => `${k}=${v}`);
  say(`# bench/compare.ts — ${new Date().toISOString()}, ${THREADS} intra-op threads${env.length ? `, Berth with ${env.join(' ')}` : ''}`);
  say('');
  if (ONLY.has('latency')) await latency();
  if (ONLY.has('throughput')) await throughput();
  if (ONLY.has('int8')) await int8();
  if (ONLY.has('graphs')) quoteBench('Graph variants, bare sessions', 'int8-fused.ts', ['--size', 'base', '--threads', String(THREADS)]);
  if (ONLY.has('train')) quoteBench('Training step', 'train-step.ts', ['--threads', String(THREADS)]);
  if (flags.markdown) writeFileSync(flags.markdown, report.join('\n') + '\n');
}

const roleArgs = parseRole(flags);
if (roleArgs) runRole(roleArgs);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
