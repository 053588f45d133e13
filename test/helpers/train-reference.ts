/**
 * Training parity with the PyTorch training references of the hf-tiny fixtures, shared by the BERT
 * test and the per-family tests: the engine's training graph step by step, and `berth train`
 * itself with every fine-tuning method.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { runCli } from '../../src/cli/main';
import { readConfig } from '../../src/engine/formats/config';
import { TensorF32, readSafetensors } from '../../src/engine/formats/safetensors';
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
import { loadReference, maxAbs, maxAbsDiff, recordWorst } from './reference-parity';
import { startTestCore } from './test-core';

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

/** The BERT fixtures with training references, and the head each trains. */
export const BERT_TRAINING_HEADS: Readonly<Record<string, TrainableHead>> = {
  'bert-seqcls': 'sequence-classification',
  'bert-ner': 'token-classification',
  'bert-qa': 'question-answering',
  'bert-mlm': 'masked-lm',
};

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
    // Read in beforeAll: a describe body also runs when the fixtures are absent and the suite is skipped.
    let reference: TrainReference;
    let noisy: Set<string>;
    let weights: Map<string, TensorF32>;
    let refGrads: Map<string, TensorF32>;
    let after3: Map<string, TensorF32>;
    const losses: number[] = [];
    const gradNorms: number[] = [];
    let firstGradients: Map<string, Float32Array>;
    let lossAfter3: number;
    let finalParams: Map<string, TensorF32>;

    beforeAll(async () => {
      reference = loadTrainReference(model);
      noisy = new Set(reference.noise_sensitive_parameters.map((p) => p.name));
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
      expect(gradientFailures(refGrads, firstGradients, noisy, `${model} gradients (rel, per tensor)`)).toEqual([]);
    });

    it('parameters after 3 AdamW steps: 1e-4 relative, biases and LayerNorm 1e-5', () => {
      expect(afterStepsFailures(after3, finalParams, noisy, `${model} after 3 steps (rel, per tensor)`)).toEqual([]);
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

// ── berth train with every method ───────────────────────────────────────────────────────────

export const TRAIN_METHODS = ['full', 'lora', 'adapter', 'head', 'prompt'] as const;
export type TrainMethodName = (typeof TRAIN_METHODS)[number];

/** Runs `berth …` in-process, capturing what it prints (progress goes to stdout as JSON lines). */
export async function berth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The fixture's own dataset files and the trainer settings that reproduce its references. */
function trainArgs(model: string, out: string, method: TrainMethodName, epochs: number): string[] {
  const dir = hfTinyDir(model);
  return [
    'train',
    ...['--model', dir, '--task', 'classification', '--method', method, '--out', out],
    ...['--train', join(dir, 'train.csv'), '--validation', join(dir, 'train.jsonl')],
    ...['--epochs', String(epochs), '--batch-size', '4', '--learning-rate', '1e-3', '--weight-decay', '0.01'],
    ...['--lr-scheduler', 'constant', '--max-grad-norm', '0', '--no-shuffle', '--select', 'last', '--threads', '1', '--json'],
  ];
}

/** Logits of the reference examples through an ONNX file, fed the fixture's own token ids. */
async function referenceLogits(onnxFile: string, model: string): Promise<number[][]> {
  const ref = loadReference(model) as ReturnType<typeof loadReference> & { examples: Array<{ input_ids: number[] }> };
  const session = await ort.InferenceSession.create(onnxFile);
  try {
    const rows: number[][] = [];
    for (const { input_ids: ids } of ref.examples) {
      const t = (values: number[]) =>
        new ort.Tensor(
          'int64',
          BigInt64Array.from(values, (v) => BigInt(v)),
          [1, values.length],
        );
      const feeds: Record<string, ort.Tensor> = { input_ids: t(ids), attention_mask: t(ids.map(() => 1)) };
      if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = t(ids.map(() => 0));
      rows.push([...((await session.run(feeds)).logits.data as Float32Array)]);
    }
    return rows;
  } finally {
    await session.release();
  }
}

/**
 * `berth train` on a sequence-classification fixture's dataset files: `full` with the reference
 * trainer settings lands on after3.safetensors; every other method finishes in one epoch, and
 * each output directory serves: the serving core loads it and answers the reference texts with
 * what its own model.onnx computes on the reference token ids.
 */
export function describeTrainMethods(model: string): void {
  describe(`${model}: berth train with every method, and the output serves`, () => {
    let work: string;
    const runs = new Map<TrainMethodName, { code: number; stdout: string; stderr: string }>();
    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'berth-train-methods-'));
      for (const method of TRAIN_METHODS) {
        runs.set(method, await berth(...trainArgs(model, join(work, 'models', `${model}-${method}`), method, method === 'full' ? 3 : 1)));
      }
    }, 300_000);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('full, 3 epochs of one batch at the reference settings: the parameters after 3 AdamW steps (1e-4; biases and LayerNorm 1e-5)', () => {
      const run = runs.get('full')!;
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const after3 = readSafetensors(join(hfTinyDir(model), 'after3.safetensors'));
      const written = readSafetensors(join(work, 'models', `${model}-full`, 'model.safetensors'));
      const noisy = new Set(loadTrainReference(model).noise_sensitive_parameters.map((p) => p.name));
      expect([...written.keys()].sort()).toEqual([...after3.keys()].sort());
      const failures: string[] = [];
      for (const [name, ref] of after3) {
        if (noisy.has(name)) continue;
        const diff = maxAbsDiff(ref.data, written.get(name)!.data);
        recordWorst(`${model} berth train full, after 3 steps (rel, per tensor)`, diff / maxAbs(ref.data));
        if (!(diff <= (isDecayExempt(name) ? 1e-5 : 1e-4) * maxAbs(ref.data))) failures.push(`${name}: ${diff.toExponential(2)}`);
      }
      expect(failures).toEqual([]);
    });

    it.each(TRAIN_METHODS.filter((m) => m !== 'full'))('%s: finishes in one epoch', (method) => {
      const run = runs.get(method)!;
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/"type":"done"/);
    });

    it('every output directory serves the reference texts with the logits of its own model.onnx', async () => {
      const core = await startTestCore(work);
      try {
        expect(
          core
            .list()
            .map((m) => [m.name, m.status])
            .sort(),
        ).toEqual(TRAIN_METHODS.map((m) => [`${model}-${m}`, 'ready']).sort());
        const texts = loadReference(model) as unknown as { examples: Array<{ text: string }> };
        const labels = Object.values(readConfig(join(hfTinyDir(model), 'config.json')).id2label);
        for (const method of TRAIN_METHODS) {
          const name = `${model}-${method}`;
          const expected = await referenceLogits(join(work, 'models', name, 'model.onnx'), model);
          const served = await core.classify(
            name,
            texts.examples.map((e) => e.text),
            { function_to_apply: 'none', top_k: null },
          );
          let worst = 0;
          served.result.forEach((item, i) => {
            for (const { label, score } of item.labels) worst = Math.max(worst, Math.abs(score - expected[i][labels.indexOf(label)]));
          });
          expect({ method, worst: worst <= 1e-4 }).toEqual({ method, worst: true });
        }
      } finally {
        await core.close();
      }
    });
  });
}

/**
 * Tensors whose first-step gradient is off the reference: max|Δ| over 1e-4 · max|g_ref|, or 1e-6
 * absolute for the noise-sensitive ones. With `report`, the worst relative error is recorded.
 */
export function gradientFailures(
  refGrads: ReadonlyMap<string, TensorF32>,
  gradients: ReadonlyMap<string, Float32Array>,
  noisy: ReadonlySet<string>,
  report?: string,
): string[] {
  const failures: string[] = [];
  for (const [name, ref] of refGrads) {
    const diff = maxAbsDiff(ref.data, gradients.get(name)!);
    const bound = noisy.has(name) ? 1e-6 : 1e-4 * maxAbs(ref.data);
    if (report && !noisy.has(name)) recordWorst(report, diff / maxAbs(ref.data));
    if (!(diff <= bound)) failures.push(`${name}: max|Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
  }
  return failures;
}

/** Parameters off the reference after the AdamW steps: 1e-4 relative, biases and LayerNorm 1e-5; noise-sensitive ones skipped. */
export function afterStepsFailures(
  after: ReadonlyMap<string, TensorF32>,
  params: ReadonlyMap<string, TensorF32>,
  noisy: ReadonlySet<string>,
  report?: string,
): string[] {
  const failures: string[] = [];
  for (const [name, ref] of after) {
    if (noisy.has(name)) continue;
    const bound = (isDecayExempt(name) ? 1e-5 : 1e-4) * maxAbs(ref.data);
    const diff = maxAbsDiff(ref.data, params.get(name)!.data);
    if (report) recordWorst(report, diff / maxAbs(ref.data));
    if (!(diff <= bound)) failures.push(`${name}: max|Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
  }
  return failures;
}
