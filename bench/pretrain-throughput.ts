/**
 * Masked-LM pre-training throughput of candidate architectures on this machine: one training
 * step (forward, MLM loss over the 8,192-token vocabulary, backward, clipping, AdamW; dropout 0.1)
 * of `berth pretrain`'s own graph and session, packed blocks of 128 tokens, 15 % masked. Prints
 * tokens per second (median of the timed steps) and the tokens each size would see in two hours.
 * Each size is timed twice, steps interleaved so both see the same machine load: the MLM head on
 * the masked positions only (what `berth pretrain` runs) and on every position (HF's
 * BertForMaskedLM); `masked_speedup` is the ratio of their step times.
 *
 *   node scripts/run-ts.js bench/pretrain-throughput.ts [--vocab /tmp/berth-vocab/vocab.txt]
 *        [--sizes 2x256,mini,6x256,small,medium] [--batch 32] [--seq 128] [--steps 3] [--threads 2]
 *
 * A size is a preset name (src/trainer/pretrain/init-model.ts) or LxH (heads H/64, FFN 4H).
 */
import { parseArgs } from 'node:util';
import { initWeights } from '../src/engine/init';
import { buildTrainingGraph } from '../src/engine/training';
import { TrainingSession } from '../src/runtime/training-session';
import { Rng } from '../src/trainer/random';
import { EncoderDims, MODEL_PRESETS, maskedLmConfig } from '../src/trainer/pretrain/init-model';

const { values: flags } = parseArgs({
  options: {
    vocab: { type: 'string' },
    sizes: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    steps: { type: 'string' },
    threads: { type: 'string' },
  },
});
const VOCAB = flags.vocab ?? '/tmp/berth-vocab/vocab.txt';
const BATCH = Number(flags.batch ?? 32);
const SEQ = Number(flags.seq ?? 128);
const STEPS = Number(flags.steps ?? 3);
const THREADS = Number(flags.threads ?? 2);
const SIZES = (flags.sizes ?? '2x256,mini,6x256,small,medium').split(',');
const TWO_HOURS = 7200;

function dimsOf(size: string): EncoderDims {
  if (MODEL_PRESETS[size]) return MODEL_PRESETS[size];
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) throw new Error(`size "${size}": a preset or LxH`);
  const hidden = Number(m[2]);
  return {
    num_hidden_layers: Number(m[1]),
    hidden_size: hidden,
    num_attention_heads: Math.max(1, hidden / 64),
    intermediate_size: 4 * hidden,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const rows: Array<Record<string, string | number>> = [];
  for (const size of SIZES) {
    const dims = dimsOf(size);
    const config = maskedLmConfig({ ...dims, max_position_embeddings: 512 }, VOCAB);
    const weights = initWeights(config, 'masked-lm', 0);
    let params = 0;
    for (const t of weights.values()) params += t.data.length;
    const spec = { config, weights, head: 'masked-lm' as const, optimizer: { weightDecay: 0.01, maxGradNorm: 1 } };
    const dense = await TrainingSession.create(buildTrainingGraph(spec), { intraOpThreads: THREADS });
    const sparse = await TrainingSession.create(buildTrainingGraph({ ...spec, maskedPositionsOnly: true }), { intraOpThreads: THREADS });
    const rng = new Rng(1);
    const n = BATCH * SEQ;
    const inputIds = new BigInt64Array(n);
    const labels = new BigInt64Array(n).fill(-100n);
    for (let i = 0; i < n; i++) {
      const id = 5 + rng.int(config.vocab_size - 5);
      inputIds[i] = BigInt(id);
      if (i % SEQ !== 0 && rng.bernoulli(0.15)) labels[i] = BigInt(id);
    }
    const batch = {
      size: BATCH,
      seqLength: SEQ,
      inputIds,
      attentionMask: new BigInt64Array(n).fill(1n),
      tokenTypeIds: new BigInt64Array(n),
      labels,
    };
    const positions = [...labels.keys()].filter((i) => labels[i] !== -100n);
    const sparseBatch = {
      ...batch,
      maskedPositions: BigInt64Array.from(positions, BigInt),
      labels: BigInt64Array.from(positions, (i) => labels[i]),
    };
    const times: number[] = [];
    const denseTimes: number[] = [];
    for (let s = 0; s <= STEPS; s++) {
      const t0 = performance.now();
      await sparse.step(sparseBatch, 1e-4);
      const t1 = performance.now();
      await dense.step(batch, 1e-4);
      // The first step of each warms ONNX Runtime up.
      if (s > 0) {
        times.push((t1 - t0) / 1000);
        denseTimes.push((performance.now() - t1) / 1000);
      }
    }
    await sparse.release();
    await dense.release();
    const seconds = median(times);
    const tokensPerSecond = n / seconds;
    const row = {
      size,
      layers: dims.num_hidden_layers,
      hidden: dims.hidden_size,
      heads: dims.num_attention_heads,
      parameters_M: +(params / 1e6).toFixed(2),
      step_s: +seconds.toFixed(2),
      all_positions_step_s: +median(denseTimes).toFixed(2),
      masked_speedup: +(median(denseTimes) / seconds).toFixed(2),
      tokens_per_s: Math.round(tokensPerSecond),
      tokens_in_2h_M: +((tokensPerSecond * TWO_HOURS) / 1e6).toFixed(1),
      steps_in_2h: Math.floor((TWO_HOURS * tokensPerSecond) / n),
    };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  process.stdout.write(
    `\nvocabulary ${VOCAB}, batch ${BATCH} × ${SEQ} tokens, ${THREADS} threads, median of ${STEPS} steps after one warm-up\n`,
  );
  console.table(rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
