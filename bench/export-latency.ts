/**
 * ONNX Runtime latency of Berth's exported BERT graphs against PyTorch's own ONNX export of the
 * same weights, in one run, printed as ratios ours/theirs (below 1 = ours is faster).
 *
 * Run from the repository root (Python part needs Debian's python3-torch; skipped if absent):
 *   npx tsc -p tsconfig.json --outDir node_modules/.cache/berth-bench; \
 *   node node_modules/.cache/berth-bench/bench/export-latency.js [--runs N] [--skip-large]
 *
 * 1. hf-tiny fixtures: our export vs the fixture's torch-exported model.onnx, reference inputs,
 *    batch 1 and 8.
 * 2. BERT-mini and BERT-base shapes at 128 tokens, batch 1 and 8: bench/torch_export_bert.py
 *    writes random weights + torch.onnx.export into /tmp/berth-bench; we export ours from the
 *    same model.safetensors (also with the fused-QKV variant) and time all of them interleaved.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { buildModelFromDir } from '../src/engine/nn/export';
import { encodeModel } from '../src/engine/onnx/encode';

const { values: flags } = parseArgs({
  options: { runs: { type: 'string' }, 'skip-large': { type: 'boolean' }, out: { type: 'string' } },
});
const RUNS = Number(flags.runs ?? 15);
const LARGE_DIR = flags.out ?? '/tmp/berth-bench';
const REPO = process.cwd();
const FIXTURES = process.env.BERTH_FIXTURES_DIR ?? resolve(REPO, '..', 'shared', 'fixtures');

type Feeds = Record<string, ort.Tensor>;

function feeds(batch: number, length: number, seed: number, vocab: number): Feeds {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const ids = new BigInt64Array(batch * length);
  const mask = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) {
    // Varying real lengths, padded to `length`, as a batcher would send.
    const real = b === 0 ? length : Math.max(2, Math.floor(length * (0.5 + rand() / 2)));
    for (let t = 0; t < length; t++) {
      ids[b * length + t] = t < real ? BigInt(1000 + Math.floor(rand() * (vocab - 1000))) : 0n;
      mask[b * length + t] = t < real ? 1n : 0n;
    }
  }
  const dims = [batch, length];
  return {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch * length), dims),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Times the sessions interleaved (A B C A B C ...) so machine noise hits all alike. */
async function race(sessions: Record<string, ort.InferenceSession>, input: Feeds, runs: number): Promise<Record<string, number>> {
  const names = Object.keys(sessions);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await sessions[n].run(input); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const t0 = process.hrtime.bigint();
      await sessions[n].run(input);
      times[n].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(times[n])]));
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

async function compare(
  label: string,
  dir: string,
  theirsFile: string,
  shapes: [number, number][],
  vocab: number,
  runs: number,
): Promise<void> {
  const t0 = Date.now();
  const ours = encodeModel(buildModelFromDir(dir, { fuseQkv: false }));
  const oursFused = encodeModel(buildModelFromDir(dir, { fuseQkv: true }));
  const buildMs = Date.now() - t0;
  const sessions = {
    theirs: await ort.InferenceSession.create(theirsFile),
    ours: await ort.InferenceSession.create(ours),
    'ours+fusedQKV': await ort.InferenceSession.create(oursFused), // the default export
  };
  console.log(`\n${label}: built both of our graphs in ${buildMs} ms (${(ours.length / 1e6).toFixed(1)} MB each)`);
  for (const [batch, length] of shapes) {
    const input = feeds(batch, length, 42 + batch, vocab);
    const outName = sessions.theirs.outputNames[0];
    const ref = (await sessions.theirs.run(input))[outName];
    const diffs = await Promise.all(
      (['ours', 'ours+fusedQKV'] as const).map(async (n) => maxAbsDiff(ref, (await sessions[n].run(input))[outName])),
    );
    const med = await race(sessions, input, runs);
    console.log(
      `  batch ${batch} x ${length} tokens: theirs ${med.theirs.toFixed(2)} ms; ours (default, fused QKV) ` +
        `${med['ours+fusedQKV'].toFixed(2)} ms, ratio ${(med['ours+fusedQKV'] / med.theirs).toFixed(3)}; ours (separate QKV) ` +
        `${med.ours.toFixed(2)} ms, ratio ${(med.ours / med.theirs).toFixed(3)}; max |Δ| vs theirs ${diffs.map((d) => d.toExponential(1)).join(' / ')}`,
    );
  }
  for (const s of Object.values(sessions)) await s.release();
}

async function main(): Promise<void> {
  console.log(`onnxruntime-node ${ort.env.versions.common}, default session options, ${RUNS} timed runs per case (median)`);
  const tiny = join(FIXTURES, 'hf-tiny');
  if (existsSync(tiny)) {
    for (const model of ['bert-seqcls', 'bert-ner', 'bert-qa', 'bert-mlm']) {
      const dir = join(tiny, model);
      await compare(
        `hf-tiny/${model}`,
        dir,
        join(dir, 'onnx', 'model.onnx'),
        [
          [1, 16],
          [8, 16],
        ],
        30522,
        RUNS,
      );
    }
  } else {
    console.log(`(no fixtures at ${tiny}; skipping the hf-tiny comparison)`);
  }
  if (flags['skip-large']) return;
  let python: string;
  try {
    python = execFileSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    console.log('\n(no python3-torch; skipping the BERT-mini/BERT-base comparison)');
    return;
  }
  for (const name of ['mini', 'base']) {
    const dir = join(LARGE_DIR, name);
    if (!existsSync(join(dir, 'model.onnx'))) {
      execFileSync('/usr/bin/python3', [join(REPO, 'bench', 'torch_export_bert.py'), '--out', LARGE_DIR, '--only', name], {
        stdio: 'inherit',
      });
    }
    const runs = name === 'base' ? Math.max(5, Math.floor(RUNS / 3)) : RUNS;
    await compare(
      `BERT-${name} (torch ${python} export)`,
      dir,
      join(dir, 'model.onnx'),
      [
        [1, 128],
        [8, 128],
      ],
      30522,
      runs,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
