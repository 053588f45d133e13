/**
 * One training step (forward + cross-entropy + backward + AdamW, dropout 0.1 on) of a BERT
 * sequence classifier: Berth's training session in onnxruntime-node against PyTorch CPU doing the
 * same step, same shapes, same batch, same thread count, in one run. Prints the ratio ours/PyTorch
 * (below 1 = ours is faster).
 *
 *   node scripts/run-ts.js bench/train-step.ts [--steps 3] [--threads 2] [--only mini|base]
 *                                              [--rounds 2] [--placement both|graph|host]
 *
 * Both optimizer placements are measured, alternating (graph, host, graph, host, … for `--rounds`):
 * AdamW in the training graph (new parameters and moments come out of ONNX Runtime each step) and
 * AdamW on the host (a gradient-only graph, `HostAdamW` in place). Each measurement builds its own
 * session and releases it before the next, so only one model's buffers are alive at a time.
 *
 * Our figures are medians after two untimed warm-up steps (see WARM_UP); the first step's time is
 * printed too. PyTorch gets the same number of warm-up steps.
 *
 * Shapes: BERT-base (12 layers, hidden 768, 8 × 128 tokens) and BERT-mini (4 layers, hidden 256,
 * 32 × 128 tokens), vocabulary 30522, 2 labels, every parameter trainable, weight decay 0.01 on
 * all but biases and LayerNorm, no gradient clipping (PyTorch's step has none either).
 *
 * Where our time goes: the same forward as an eval graph (forward + loss, dropout off), the
 * gradient-only graph's run (forward + loss + backward) and the host AdamW update, each timed alone.
 *
 * PyTorch runs in its own process (Debian's /usr/bin/python3, torch 1.13) with OpenBLAS told its
 * core type (OPENBLAS_CORETYPE=SkylakeX) and passive OpenMP waiting (OMP_WAIT_POLICY=PASSIVE) in
 * that process only, and reports which BLAS it loaded.
 * It runs once before and once after ours; the faster of the two is the baseline. Where PyTorch is
 * not installed or would run on the reference BLAS, the ratio is taken against the anchor figures
 * of ../shared/BENCHMARKS.md and the output says so.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { EncoderConfig, parseConfig } from '../src/engine/formats/config';
import { initWeights } from '../src/engine/init';
import { OptimizerPlacement, buildEvalGraph, buildTrainingGraph } from '../src/engine/training';
import { TrainingBatch, TrainingSession } from '../src/runtime/training-session';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string' },
    threads: { type: 'string' },
    only: { type: 'string' },
    rounds: { type: 'string' },
    placement: { type: 'string' },
  },
});
const STEPS = Number(flags.steps ?? 3);
const THREADS = Number(flags.threads ?? 2);
const ROUNDS = Number(flags.rounds ?? 2);
const PLACEMENTS: OptimizerPlacement[] = flags.placement === 'graph' || flags.placement === 'host' ? [flags.placement] : ['graph', 'host'];

interface Shape {
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  batch: number;
  seq: number;
  /** PyTorch 1.13 CPU, 2 threads, OpenBLAS SkylakeX: s/step from ../shared/BENCHMARKS.md. */
  anchor: { step: number; forward: number; backward: number; optimizer: number };
}

const SHAPES: Shape[] = [
  {
    name: 'mini',
    ...{ layers: 4, hidden: 256, heads: 4, intermediate: 1024, batch: 32, seq: 128 },
    anchor: { step: 0.76, forward: 0.35, backward: 0.38, optimizer: 0.03 },
  },
  {
    name: 'base',
    ...{ layers: 12, hidden: 768, heads: 12, intermediate: 3072, batch: 8, seq: 128 },
    anchor: { step: 3.4, forward: 1.26, backward: 1.76, optimizer: 0.34 },
  },
];

/** BERT's config with the shape's sizes; every other field is BertConfig's default, filled by `parseConfig`. */
function configOf(s: Shape): EncoderConfig {
  const sizes = {
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    vocab_size: 30522,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    id2label: { 0: 'negative', 1: 'positive' },
    label2id: { negative: 0, positive: 1 },
  };
  return parseConfig(JSON.stringify(sizes), `bench ${s.name} config`);
}

function batchOf(s: Shape): TrainingBatch {
  const n = s.batch * s.seq;
  let x = 12345;
  const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  return {
    size: s.batch,
    seqLength: s.seq,
    inputIds: BigInt64Array.from({ length: n }, () => BigInt(1000 + (next() % 29000))),
    attentionMask: new BigInt64Array(n).fill(1n),
    tokenTypeIds: new BigInt64Array(n),
    labels: BigInt64Array.from({ length: s.batch }, () => BigInt(next() % 2)),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Median seconds per call after WARM_UP untimed calls. ONNX Runtime's first two runs of a training
 * graph are 2–4× slower than the rest (its arena grows and the memory pattern is planned), so one
 * warm-up call is not enough: the median of three would then include a second, still-cold run.
 */
const WARM_UP = 2;

/**
 * Median wall seconds per call after the warm-up calls, and the median CPU seconds of this process
 * (all its threads) per call: on a machine shared with other load the CPU time is the steadier
 * measure of the work a call does, the wall time what a user waits.
 */
async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ median: number; first: number; cpu: number }> {
  const t0 = performance.now();
  await fn();
  const first = (performance.now() - t0) / 1000;
  for (let i = 1; i < WARM_UP; i++) await fn();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    await fn();
    times.push((performance.now() - t1) / 1000);
    const c = process.cpuUsage(c1);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { median: median(times), first, cpu: median(cpu) };
}

interface Ours {
  step: number;
  /** CPU seconds of the process per step (median). */
  stepCpu: number;
  firstStep: number;
  /** Eval graph (forward + loss, dropout off). */
  forward: number;
  /** Host placement only: the gradient graph's run alone, and the host AdamW update alone. */
  gradients?: number;
  hostAdamW?: number;
}

async function ours(s: Shape, placement: OptimizerPlacement, phases: boolean): Promise<Ours> {
  const config = configOf(s);
  const weights = initWeights(config, 'sequence-classification', 1);
  const spec = {
    config,
    weights,
    head: 'sequence-classification' as const,
    optimizer: { weightDecay: 0.01, maxGradNorm: 0 },
    dropoutSeed: 1,
    optimizerPlacement: placement,
  };
  const batch = batchOf(s);
  const graph = buildTrainingGraph(spec);
  const session = await TrainingSession.create(graph, { eval: phases ? buildEvalGraph(spec) : undefined, intraOpThreads: THREADS });
  try {
    const { median: step, first: firstStep, cpu: stepCpu } = await timed(STEPS, () => session.step(batch, 1e-5));
    const result: Ours = { step, stepCpu, firstStep, forward: NaN };
    if (!phases) return result;
    result.forward = (await timed(STEPS, () => session.evaluate(batch))).median;
    const host = session.state.host;
    if (host) {
      // The gradient graph's run alone, through the same binding as a step (outputs pre-allocated).
      const dims = [s.batch, s.seq];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', batch.inputIds, dims),
        attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds as BigInt64Array, dims),
        labels: new ort.Tensor('int64', batch.labels as BigInt64Array, [s.batch]),
      };
      const fetches: Record<string, ort.Tensor | null> = { loss: null, grad_norm: null };
      for (const name of session.state.names) {
        const shape = [...session.state.shape(name)];
        feeds[name] = new ort.Tensor('float32', session.state.param(name), shape);
        fetches[`${name}_grad`] = new ort.Tensor('float32', session.state.grad(name), shape);
      }
      const gradSession = await ort.InferenceSession.create(graph.model, { intraOpNumThreads: THREADS, graphOptimizationLevel: 'all' });
      result.gradients = (await timed(STEPS, () => gradSession.run(feeds, fetches))).median;
      await gradSession.release();
      let t = 0;
      const update = async (): Promise<void> =>
        host.step({ spec: graph.optimizer, learningRate: 1e-5, step: ++t, gradNorm: 1, weightDecay: (n) => graph.weightDecay.get(n) ?? 0 });
      result.hostAdamW = (await timed(STEPS, update)).median;
    }
    return result;
  } finally {
    await session.release();
  }
}

interface TorchResult {
  blas: Record<string, unknown>;
  median_s: { step: number; forward: number; backward: number; optimizer: number };
  threads: number;
  torch: string;
}

/**
 * Why PyTorch cannot give a fair baseline here, or undefined when it can: it must import, and its
 * BLAS must be OpenBLAS (Debian's reference BLAS is ~80× slower, ../shared/BENCHMARKS.md).
 */
function torchUnfit(): string | undefined {
  const probe = [
    'import torch',
    'torch.ones(4, 4) @ torch.ones(4, 4)',
    "print(any('openblas' in line for line in open('/proc/self/maps')))",
  ].join('; ');
  const r = spawnSync('/usr/bin/python3', ['-c', probe], { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX' } });
  if (r.status !== 0) return 'PyTorch is not installed for /usr/bin/python3';
  if (r.stdout.trim() !== 'True') return "PyTorch's BLAS is not OpenBLAS (the reference BLAS would cripple it)";
  return undefined;
}

function pytorch(s: Shape): TorchResult {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      join(__dirname, 'train_step_torch.py'),
      ...[
        '--layers',
        s.layers,
        '--hidden',
        s.hidden,
        '--heads',
        s.heads,
        '--intermediate',
        s.intermediate,
        '--batch',
        s.batch,
        '--seq',
        s.seq,
      ].map(String),
      ...['--threads', String(THREADS), '--steps', String(STEPS), '--warmup', String(WARM_UP)],
    ],
    // OpenBLAS 0.3.21 does not know this CPU; without the core type it runs a slow generic kernel.
    // Passive OpenMP waiting: on a shared machine, spinning threads made PyTorch's step 2–5× slower
    // (measured), and a baseline crippled by load is no baseline.
    {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OMP_NUM_THREADS: String(THREADS), OMP_WAIT_POLICY: 'PASSIVE' },
    },
  );
  if (r.status !== 0) throw new Error(`PyTorch baseline failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as TorchResult;
}

async function main(): Promise<void> {
  const shapes = SHAPES.filter((s) => !flags.only || s.name === flags.only);
  const unfit = torchUnfit();
  const withTorch = unfit === undefined;
  process.stdout.write(
    `threads ${THREADS}, ${STEPS} timed steps after ${WARM_UP} warm-up steps, medians in seconds; ` +
      `placements ${PLACEMENTS.join(' / ')} alternating, ${ROUNDS} rounds\n`,
  );
  if (!withTorch) {
    process.stdout.write(`${unfit}: ratios are against the anchor figures of ../shared/BENCHMARKS.md\n`);
  }
  for (const s of shapes) {
    // PyTorch runs before and after ours and the faster run is the baseline: on a shared machine
    // its OpenMP threads suffer most from other load, and a crippled baseline is not a result.
    const before = withTorch ? pytorch(s) : undefined;
    const runs = new Map<OptimizerPlacement, Ours[]>(PLACEMENTS.map((p) => [p, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const placement of PLACEMENTS) {
        const r = await ours(s, placement, round === 0);
        runs.get(placement)!.push(r);
        process.stdout.write(
          `  ${s.name} round ${round + 1} ${placement}: step ${r.step.toFixed(3)} s, CPU ${r.stepCpu.toFixed(3)} s (first ${r.firstStep.toFixed(3)})\n`,
        );
      }
    }
    const after = withTorch ? pytorch(s) : undefined;
    const torch = before && after ? (before.median_s.step <= after.median_s.step ? before : after) : undefined;
    const t = torch ? torch.median_s : s.anchor;
    const lines = [`\nBERT-${s.name} (${s.layers}×${s.hidden}), batch ${s.batch} × ${s.seq}`];
    if (torch && before && after) {
      lines.push(
        `  PyTorch ${torch.torch}, ${torch.threads} threads, BLAS ${String(torch.blas.openblas_get_config ?? JSON.stringify(torch.blas.libraries))}, core ${String(torch.blas.openblas_get_corename ?? 'n/a')} (OPENBLAS_CORETYPE=${String(torch.blas.OPENBLAS_CORETYPE)})`,
        `  PyTorch runs before/after ours: ${before.median_s.step.toFixed(3)} / ${after.median_s.step.toFixed(3)} s per step; the faster is the baseline`,
      );
    } else {
      lines.push(
        '  PyTorch: anchor figures (../shared/BENCHMARKS.md, PyTorch 1.13, 2 threads, OpenBLAS SkylakeX), not measured in this run',
      );
    }
    lines.push(
      `  PyTorch step ${t.step.toFixed(3)}  (forward ${t.forward.toFixed(3)}, backward ${t.backward.toFixed(3)}, AdamW ${t.optimizer.toFixed(3)})`,
    );
    for (const [placement, rs] of runs) {
      const step = median(rs.map((r) => r.step));
      const cpu = median(rs.map((r) => r.stepCpu));
      const first = rs[0];
      const phases =
        placement === 'host'
          ? `gradient graph run ${first.gradients!.toFixed(3)}, host AdamW ${first.hostAdamW!.toFixed(3)}, forward+loss ${first.forward.toFixed(3)}`
          : `forward+loss ${first.forward.toFixed(3)}`;
      lines.push(
        `  Berth, AdamW in the ${placement}: step ${step.toFixed(3)} (rounds ${rs.map((r) => r.step.toFixed(3)).join(' / ')}; CPU ${cpu.toFixed(3)} s per step; first step ${first.firstStep.toFixed(3)}; ${phases})`,
        `    ratio ours/PyTorch: step ${(step / t.step).toFixed(2)}, forward ${(first.forward / t.forward).toFixed(2)}`,
      );
    }
    if (runs.has('graph') && runs.has('host')) {
      const of = (p: OptimizerPlacement, k: 'step' | 'stepCpu'): number => median(runs.get(p)!.map((r) => r[k]));
      lines.push(
        `  host ÷ graph step: wall ${(of('host', 'step') / of('graph', 'step')).toFixed(2)}, CPU ${(of('host', 'stepCpu') / of('graph', 'stepCpu')).toFixed(2)}`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
