/**
 * Inference throughput of one BERT sequence classifier in four graph variants, in one run:
 * float32 plain (what `berth export` writes by default), float32 fused (ONNX Runtime's contrib
 * ops, `--fused`), int8 (the plain graph with its MatMul weights quantized, `berth quantize`) and
 * fused + int8. Same weights (seeded), same batch of random token ids, same session options as
 * the server (graph optimization `all`), the variants alternating within every repetition
 * (the order rotates) so a busy neighbour slows all of them alike. Prints the median time per
 * batch, sequences per second and each variant's speed-up over float32 plain.
 *
 *   node scripts/run-ts.js bench/int8-fused.ts [--size base|mini] [--reps 10] [--threads 2] [--batch 8] [--seq 128]
 *
 * It first prints which fused ops ONNX Runtime itself forms from each graph at load (the
 * optimized model it writes with `optimizedModelFilePath`): the measurement behind building
 * the fused graph ourselves.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { EncoderConfig, parseConfig } from '../src/engine/formats/config';
import { initWeights } from '../src/engine/init';
import { buildInferenceModel } from '../src/engine/nn/bert';
import { decodeModel } from '../src/engine/onnx/decode';
import { encodeModel } from '../src/engine/onnx/encode';
import { ModelData } from '../src/engine/onnx/model';
import { quantizeDynamic } from '../src/engine/onnx/quantize';

const { values: flags } = parseArgs({
  options: {
    size: { type: 'string' },
    reps: { type: 'string' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
  },
});
const SIZE = flags.size ?? 'base';
const REPS = Number(flags.reps ?? 10);
const THREADS = Number(flags.threads ?? 2);
const BATCH = Number(flags.batch ?? 8);
const SEQ = Number(flags.seq ?? 128);

const SIZES: Record<string, { layers: number; hidden: number; heads: number; intermediate: number }> = {
  base: { layers: 12, hidden: 768, heads: 12, intermediate: 3072 },
  mini: { layers: 4, hidden: 256, heads: 4, intermediate: 1024 },
};

function configOf(name: string): EncoderConfig {
  const s = SIZES[name];
  if (!s) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
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
  return parseConfig(JSON.stringify(sizes), `bench ${name} config`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Op types (contrib ops prefixed by their domain) of the graph ONNX Runtime runs after its own optimizations. */
async function optimizedOps(bytes: Uint8Array, dir: string, name: string): Promise<string> {
  const file = join(dir, `${name}.optimized.onnx`);
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, logSeverityLevel: 3 });
  await s.release();
  const counts = new Map<string, number>();
  for (const n of decodeModel(readFileSync(file)).graph.nodes) {
    const key = n.domain ? `${n.domain}:${n.opType}` : n.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
}

async function main(): Promise<void> {
  const config = configOf(SIZE);
  const started = performance.now();
  const weights = initWeights(config, 'sequence-classification', 1);
  const plain = buildInferenceModel(config, weights, { head: 'sequence-classification' });
  const fused = buildInferenceModel(config, weights, { head: 'sequence-classification', fused: true });
  const variants: Array<{ name: string; model: ModelData }> = [
    { name: 'fp32 plain', model: plain },
    { name: 'fp32 fused', model: fused },
    { name: 'int8 plain', model: quantizeDynamic(plain).model },
    { name: 'int8 fused', model: quantizeDynamic(fused).model },
  ];
  console.log(
    `BERT-${SIZE} (${config.num_hidden_layers} layers, hidden ${config.hidden_size}), batch ${BATCH} × ${SEQ} tokens, ${THREADS} intra-op threads, ${REPS} alternating repetitions; graphs built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const scratch = mkdtempSync(join(tmpdir(), 'berth-int8-fused-'));
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const v of variants) {
      const bytes = encodeModel(v.model);
      console.log(
        `  ${v.name}: ${(bytes.length / 1e6).toFixed(0)} MB; ONNX Runtime runs: ${await optimizedOps(bytes, scratch, v.name.replace(' ', '-'))}`,
      );
      sessions.push(
        await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: THREADS, interOpNumThreads: 1 }),
      );
    }
    let seed = 12345;
    const ids = BigInt64Array.from({ length: BATCH * SEQ }, (_, i) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return BigInt(i % SEQ === 0 ? 101 : 1000 + (seed % 28000));
    });
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [BATCH, SEQ]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(BATCH * SEQ).fill(1n), [BATCH, SEQ]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(BATCH * SEQ), [BATCH, SEQ]),
    };
    for (const s of sessions) await s.run(feeds); // warm-up, untimed
    const times: number[][] = variants.map(() => []);
    for (let rep = 0; rep < REPS; rep++) {
      for (let k = 0; k < sessions.length; k++) {
        const i = (rep + k) % sessions.length;
        const t0 = performance.now();
        await sessions[i].run(feeds);
        times[i].push(performance.now() - t0);
      }
    }
    const base = median(times[0]);
    console.log('\n| graph | median ms / batch | sequences / s | speed-up over fp32 plain |');
    console.log('|---|---:|---:|---:|');
    variants.forEach((v, i) => {
      const ms = median(times[i]);
      console.log(`| ${v.name} | ${ms.toFixed(1)} | ${((BATCH * 1000) / ms).toFixed(1)} | ${(base / ms).toFixed(2)}× |`);
    });
    console.log(
      `\nfused / plain (fp32): ${(base / median(times[1])).toFixed(2)}×   int8 / fp32 (plain): ${(base / median(times[2])).toFixed(2)}×`,
    );
  } finally {
    for (const s of sessions) await s.release();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
