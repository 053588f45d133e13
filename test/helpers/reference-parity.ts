/**
 * Parity with the PyTorch references of the hf-tiny fixtures, shared by the BERT tests and the
 * per-family tests (`test/integration/family-*.test.ts`): running a reference batch through an
 * ONNX model, comparing its outputs with reference.json, and describing the export and training
 * parity checks once. Expected values come from the fixtures, never from our own output.
 *
 * With BERTH_PARITY_REPORT set, the worst difference of each check is printed after the run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readConfig } from '../../src/engine/formats/config';
import { TensorF32, readSafetensors } from '../../src/engine/formats/safetensors';
import { buildModelFromDir, exportModelDir } from '../../src/engine/nn/export';
import { decodeModel } from '../../src/engine/onnx/decode';
import { encodeModel } from '../../src/engine/onnx/encode';
import { TrainableHead, buildEvalGraph, buildTrainingGraph, isDecayExempt } from '../../src/engine/training';
import { TrainingBatch, TrainingSession } from '../../src/runtime/training-session';
import { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import {
  labelMapFromId2Label,
  makeBatches,
  prepareClassification,
  prepareQaTraining,
  prepareTokenClassification,
  readClassificationDataset,
  readNerDataset,
  readQaDataset,
} from '../../src/trainer/data';
import { hfTinyDir } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const OUTPUT_TOLERANCE = 1e-4;

export interface IoSpec {
  name: string;
  dtype: string;
  shape: (string | number)[];
}

export interface Reference {
  input_names: string[];
  output_names: string[];
  onnx_io: { inputs: IoSpec[]; outputs: IoSpec[] };
  batch: { shape: [number, number]; input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
  outputs: Record<string, unknown>;
}

interface MlmOutputs {
  vocab_subset: number[];
  logits_subset: number[][][];
  logsumexp: number[][];
  argmax: number[][];
  mask_positions: [number, number][];
}

export type Outputs = Record<string, { dims: readonly number[]; data: Float32Array }>;

export function loadReference(model: string): Reference {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as Reference;
}

// ── worst differences, for the closing note of a parity run ─────────────────────────────────

const worst = new Map<string, number>();

/** Remembers the worst difference seen for `check` (printed with BERTH_PARITY_REPORT set). */
export function recordWorst(check: string, value: number): void {
  worst.set(check, Math.max(worst.get(check) ?? 0, value));
}

/** Call once per test file: prints the recorded worst differences after its tests. */
export function reportWorstAfterAll(): void {
  afterAll(() => {
    if (!process.env.BERTH_PARITY_REPORT || worst.size === 0) return;
    const lines = [...worst].map(([check, value]) => `  ${check}: ${value.toExponential(2)}`);
    process.stdout.write(`worst differences\n${lines.join('\n')}\n`);
  });
}

// ── running and comparing ───────────────────────────────────────────────────────────────────

/** Runs the padded reference batch, feeding exactly the inputs the reference model takes. */
export async function runReferenceBatch(model: string | Uint8Array, ref: Reference): Promise<Outputs> {
  const session = await ort.InferenceSession.create(model as Uint8Array);
  try {
    const [b, l] = ref.batch.shape;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of ref.input_names as Array<'input_ids' | 'attention_mask' | 'token_type_ids'>) {
      feeds[name] = new ort.Tensor(
        'int64',
        BigInt64Array.from(ref.batch[name].flat(), (v) => BigInt(v)),
        [b, l],
      );
    }
    const result = await session.run(feeds);
    const out: Outputs = {};
    for (const name of ref.output_names) out[name] = { dims: result[name].dims, data: result[name].data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxAbsDiff(expected: ArrayLike<number>, got: ArrayLike<number>): number {
  expect(got.length).toBe(expected.length);
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i] - got[i]));
  return m;
}

/**
 * Compares outputs with the PyTorch reference; every checked number must be within 1e-4. Returns
 * the worst difference. Masked-LM models store a vocabulary subset, the logsumexp and argmax of
 * every position, and the full rows at the masks.
 */
export function checkAgainstReference(model: string, ref: Reference, out: Outputs): number {
  const [b, l] = ref.batch.shape;
  if (!model.endsWith('-mlm')) {
    let worstDiff = 0;
    for (const name of ref.output_names) {
      const expected = (ref.outputs[name] as number[] | number[][] | number[][][]).flat(2) as number[];
      const diff = maxAbsDiff(expected, out[name].data);
      expect(diff).toBeLessThanOrEqual(OUTPUT_TOLERANCE);
      worstDiff = Math.max(worstDiff, diff);
    }
    return worstDiff;
  }
  const mlm = ref.outputs as unknown as MlmOutputs;
  const { dims, data } = out.logits;
  const vocab = dims[2];
  expect([...dims]).toEqual([b, l, 30522]);
  const subsetExpected: number[] = [];
  const subsetGot: number[] = [];
  const lseExpected: number[] = [];
  const lseGot: number[] = [];
  for (let i = 0; i < b; i++) {
    for (let t = 0; t < l; t++) {
      const row = data.subarray((i * l + t) * vocab, (i * l + t + 1) * vocab);
      mlm.vocab_subset.forEach((id, k) => {
        subsetExpected.push(mlm.logits_subset[i][t][k]);
        subsetGot.push(row[id]);
      });
      let max = -Infinity;
      let arg = -1;
      for (let v = 0; v < vocab; v++) {
        if (row[v] > max) {
          max = row[v];
          arg = v;
        }
      }
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - max);
      lseExpected.push(mlm.logsumexp[i][t]);
      lseGot.push(max + Math.log(sum));
      expect(arg).toBe(mlm.argmax[i][t]);
    }
  }
  const subset = maxAbsDiff(subsetExpected, subsetGot);
  const lse = maxAbsDiff(lseExpected, lseGot);
  const maskLogits = readSafetensors(join(hfTinyDir(model), 'reference_mask_logits.safetensors')).get('mask_logits')!;
  expect(maskLogits.shape).toEqual([mlm.mask_positions.length, vocab]);
  const got = new Float32Array(maskLogits.data.length);
  mlm.mask_positions.forEach(([i, t], k) => got.set(data.subarray((i * l + t) * vocab, (i * l + t + 1) * vocab), k * vocab));
  const masks = maxAbsDiff(maskLogits.data, got);
  for (const diff of [subset, lse, masks]) expect(diff).toBeLessThanOrEqual(OUTPUT_TOLERANCE);
  return Math.max(subset, lse, masks);
}

// ── export parity ───────────────────────────────────────────────────────────────────────────

/**
 * `berth export` against reference.json for each of `models`: the graph built in-process (with the
 * Optimum I/O contract), the built CLI's output directory (the same bytes), and the fixture's own
 * PyTorch-exported ONNX file as a check of the harness.
 */
export function describeExportParity(models: readonly string[], family: string): void {
  describe(`${family}: berth export reproduces reference.json (1e-4)`, () => {
    let work: string;
    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'berth-export-parity-'));
      if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    describe.each(models)('%s', (model) => {
      it('our graph, built in-process, matches PyTorch to 1e-4 with the Optimum I/O contract', async () => {
        const ref = loadReference(model);
        const bytes = encodeModel(buildModelFromDir(hfTinyDir(model)));
        const graph = decodeModel(bytes).graph;
        const io = (v: { name: string; dtype: string; shape: readonly (string | number)[] }) => ({
          name: v.name,
          dtype: v.dtype === 'float32' ? 'float' : v.dtype,
          shape: [...v.shape],
        });
        expect(graph.inputs.map(io)).toEqual(ref.onnx_io.inputs);
        expect(graph.outputs.map(io)).toEqual(ref.onnx_io.outputs);
        expect(graph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
        recordWorst(`${model} export (in-process)`, checkAgainstReference(model, ref, await runReferenceBatch(bytes, ref)));
      });

      it('`berth export` through the built CLI writes a directory whose model.onnx matches too', async () => {
        const ref = loadReference(model);
        const out = join(work, `${model}-cli`);
        execFileSync(process.execPath, [CLI, 'export', hfTinyDir(model), '--out', out], { stdio: 'pipe' });
        for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx']) {
          expect(existsSync(join(out, f))).toBe(true);
        }
        expect(readFileSync(join(out, 'config.json'))).toEqual(readFileSync(join(hfTinyDir(model), 'config.json')));
        // In-process and CLI exports are the same bytes (deterministic emission).
        const inProcess = join(work, `${model}-lib`);
        exportModelDir(hfTinyDir(model), inProcess);
        expect(readFileSync(join(out, 'model.onnx')).equals(readFileSync(join(inProcess, 'model.onnx')))).toBe(true);
        recordWorst(
          `${model} export (berth export)`,
          checkAgainstReference(model, ref, await runReferenceBatch(join(out, 'model.onnx'), ref)),
        );
      });

      it("the fixture's own PyTorch-exported model.onnx matches the same reference", async () => {
        const ref = loadReference(model);
        checkAgainstReference(model, ref, await runReferenceBatch(join(hfTinyDir(model), 'onnx', 'model.onnx'), ref));
      });
    });
  });
}

// ── training parity ─────────────────────────────────────────────────────────────────────────

export interface TrainReference {
  batch: {
    shape: [number, number];
    input_ids: number[][];
    attention_mask: number[][];
    token_type_ids: number[][];
    labels?: number[][];
  };
  loss: number;
  losses: number[];
  loss_after_3: number;
  grad_global_l2_norms: number[];
  noise_sensitive_parameters: { name: string }[];
}

export function loadTrainReference(model: string): TrainReference {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'train_reference.json'), 'utf8')) as TrainReference;
}

const flatIds = (rows: number[][]): BigInt64Array => BigInt64Array.from(rows.flat(), (v) => BigInt(v));

/**
 * The training batch of a fixture as the trainer builds it: its dataset file read, tokenized and
 * padded with the model's pad id, in file order. Masked-LM uses the stored, pre-masked batch (a
 * real trainer masks at random), as the fixtures README prescribes.
 */
export async function datasetBatch(model: string, head: TrainableHead): Promise<TrainingBatch> {
  const dir = hfTinyDir(model);
  const config = readConfig(join(dir, 'config.json'));
  const tokenizer = await BerthTokenizer.fromModelDir(dir);
  const { label2id } = labelMapFromId2Label(config.id2label);
  const options = { batchSize: 4, shuffle: false, padId: config.pad_token_id };
  switch (head) {
    case 'sequence-classification': {
      const dataset = await readClassificationDataset(join(dir, 'train.csv'));
      const prepared = await prepareClassification(dataset.examples, tokenizer, { maxLength: 128, label2id, file: 'train.csv' });
      return makeBatches(prepared.features, options)[0];
    }
    case 'token-classification': {
      const dataset = await readNerDataset(join(dir, 'train.conll'));
      const prepared = await prepareTokenClassification(dataset.examples, tokenizer, { maxLength: 128, label2id, file: 'train.conll' });
      return makeBatches(prepared.features, options)[0];
    }
    case 'question-answering': {
      const dataset = await readQaDataset(join(dir, 'train.json'));
      const features = await prepareQaTraining(dataset.examples, tokenizer, { maxLength: 384, docStride: 128, file: 'train.json' });
      return makeBatches(features, options)[0];
    }
    case 'masked-lm': {
      const b = loadTrainReference(model).batch;
      return {
        size: b.shape[0],
        seqLength: b.shape[1],
        inputIds: flatIds(b.input_ids),
        attentionMask: flatIds(b.attention_mask),
        tokenTypeIds: flatIds(b.token_type_ids),
        labels: flatIds(b.labels!),
      };
    }
  }
}

const relClose = (actual: number, expected: number, rel: number): number => {
  const diff = Math.abs(actual - expected);
  expect(diff).toBeLessThanOrEqual(rel * Math.abs(expected));
  return diff / Math.abs(expected);
};

/**
 * The training engine against the PyTorch training references (fixtures README, "Reproducing the
 * training references with a trainer"): first-step loss and every gradient, the parameters after
 * 3 AdamW steps (lr 1e-3, wd 0.01 with HF's grouping, constant lr, no clipping), the later losses.
 * The batch is built the way a trainer builds it, from the dataset files (`datasetBatch`).
 */
export function describeTrainParity(model: string, head: TrainableHead): void {
  const batchOf = (): Promise<TrainingBatch> => datasetBatch(model, head);
  describe(`${model}: training parity with the PyTorch references`, () => {
    const dir = hfTinyDir(model);
    const reference = loadTrainReference(model);
    const noisy = new Set(reference.noise_sensitive_parameters.map((p) => p.name));
    let weights: Map<string, TensorF32>;
    let refGrads: Map<string, TensorF32>;
    let after3: Map<string, TensorF32>;
    const losses: number[] = [];
    const gradNorms: number[] = [];
    let firstGradients: Map<string, Float32Array>;
    let lossAfter3: number;
    let finalParams: Map<string, TensorF32>;

    beforeAll(async () => {
      weights = readSafetensors(join(dir, 'model.safetensors'));
      refGrads = readSafetensors(join(dir, 'grads.safetensors'));
      after3 = readSafetensors(join(dir, 'after3.safetensors'));
      const batch = await batchOf();
      expect([batch.size, batch.seqLength]).toEqual(reference.batch.shape);
      const spec = {
        config: readConfig(join(dir, 'config.json')),
        weights,
        head,
        optimizer: { weightDecay: 0.01, maxGradNorm: 0 },
        emitGradients: true,
      };
      const session = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec), intraOpThreads: 1 });
      try {
        for (let step = 0; step < 3; step++) {
          const r = await session.step(batch, 1e-3);
          losses.push(r.loss);
          gradNorms.push(r.gradNorm);
          if (step === 0) firstGradients = r.gradients!;
        }
        lossAfter3 = (await session.evaluate(batch)).loss;
        finalParams = session.state.snapshot();
      } finally {
        await session.release();
      }
    });

    it('the batch built from the dataset files is the reference batch', async () => {
      const batch = await batchOf();
      const flat = (rows: number[][]) => rows.flat();
      expect([...batch.inputIds].map(Number)).toEqual(flat(reference.batch.input_ids));
      expect([...batch.attentionMask].map(Number)).toEqual(flat(reference.batch.attention_mask));
    });

    it('first-step loss and global gradient norm to 1e-4 relative', () => {
      recordWorst(`${model} first loss (rel)`, relClose(losses[0], reference.loss, 1e-4));
      relClose(gradNorms[0], reference.grad_global_l2_norms[0], 1e-4);
    });

    it('every gradient: max|Δ| ≤ 1e-4 · max|g_ref| (noise-sensitive: 1e-6 absolute)', () => {
      expect([...firstGradients.keys()].sort()).toEqual([...refGrads.keys()].sort());
      const failures: string[] = [];
      for (const [name, ref] of refGrads) {
        const diff = maxAbsDiff(ref.data, firstGradients.get(name)!);
        const bound = noisy.has(name) ? 1e-6 : 1e-4 * maxAbs(ref.data);
        if (!noisy.has(name)) recordWorst(`${model} gradients (rel, per tensor)`, diff / maxAbs(ref.data));
        if (!(diff <= bound)) failures.push(`${name}: max|Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
      }
      expect(failures).toEqual([]);
    });

    it('parameters after 3 AdamW steps: 1e-4 relative, biases and LayerNorm 1e-5', () => {
      const failures: string[] = [];
      for (const [name, ref] of after3) {
        if (noisy.has(name)) continue;
        const rel = isDecayExempt(name) ? 1e-5 : 1e-4;
        const diff = maxAbsDiff(ref.data, finalParams.get(name)!.data);
        recordWorst(`${model} after 3 steps (rel, per tensor)`, diff / maxAbs(ref.data));
        if (!(diff <= rel * maxAbs(ref.data)))
          failures.push(`${name}: max|Δ| ${diff.toExponential(2)} > ${(rel * maxAbs(ref.data)).toExponential(2)}`);
      }
      expect(failures).toEqual([]);
    });

    it('embedding rows with zero reference gradient are the start value decayed three times (1e-6 relative)', () => {
      // A masked-LM's word embeddings are also its decoder: their gradient is dense.
      const tied = head === 'masked-lm' ? /word_embeddings/ : undefined;
      let checkedRows = 0;
      let worstRel = 0;
      for (const name of [...refGrads.keys()].filter((n) => n.includes('embeddings.') && n.endsWith('.weight') && !tied?.test(n))) {
        const g = refGrads.get(name)!;
        if (g.shape.length !== 2) continue;
        const [rows, width] = g.shape;
        const p = finalParams.get(name)!.data;
        const ref = after3.get(name)!.data;
        for (let r = 0; r < rows; r++) {
          if (g.data.subarray(r * width, (r + 1) * width).some((v) => v !== 0)) continue;
          checkedRows++;
          for (let i = r * width; i < (r + 1) * width; i++) {
            if (p[i] !== ref[i]) worstRel = Math.max(worstRel, Math.abs(p[i] - ref[i]) / Math.abs(ref[i]));
          }
        }
      }
      expect(checkedRows).toBeGreaterThan(0);
      expect(worstRel).toBeLessThanOrEqual(1e-6);
    });

    it('losses at steps 2 and 3 and after the third step to 1e-4 relative', () => {
      relClose(losses[1], reference.losses[1], 1e-4);
      relClose(losses[2], reference.losses[2], 1e-4);
      relClose(lossAfter3, reference.loss_after_3, 1e-4);
    });
  });
}
