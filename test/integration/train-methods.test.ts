/**
 * The fine-tuning methods on the reference fixtures, with real ONNX Runtime: what each method
 * may change, and that what it exports (merged LoRA, adapters, soft prompts) computes exactly what
 * the training-time eval graph computed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { headOf, readConfig } from '../../src/engine/formats/config';
import { TensorF32, readSafetensors } from '../../src/engine/formats/safetensors';
import { buildModelFromDir } from '../../src/engine/nn/export';
import { PEFT_CONFIG_KEY, isPeftParameter } from '../../src/engine/nn/peft';
import { encodeModel } from '../../src/engine/onnx/encode';
import { buildEvalGraph, buildTrainingGraph } from '../../src/engine/training';
import { TrainingBatch, TrainingSession } from '../../src/runtime/training-session';
import { exportedModel, setupMethod } from '../../src/trainer/method';
import { TRAIN_DEFAULTS, TrainMethod } from '../../src/trainer/options';
import { TrainMetricsFile, writeTrainedModel } from '../../src/trainer/train';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

interface ReferenceBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  labels: number[] | number[][];
}

function referenceBatch(model: string): TrainingBatch {
  const ref = JSON.parse(readFileSync(join(hfTinyDir(model), 'train_reference.json'), 'utf8')) as { batch: ReferenceBatch };
  const b = ref.batch;
  const flat = (rows: number[][]): BigInt64Array => BigInt64Array.from(rows.flat(), (v) => BigInt(v));
  return {
    size: b.input_ids.length,
    seqLength: b.input_ids[0].length,
    inputIds: flat(b.input_ids),
    attentionMask: flat(b.attention_mask),
    tokenTypeIds: flat(b.token_type_ids),
    labels: BigInt64Array.from((b.labels as number[]).flat(), (v) => BigInt(v)),
  };
}

async function runOnnx(model: Uint8Array, batch: TrainingBatch): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(model);
  try {
    const dims = [batch.size, batch.seqLength];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, dims),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
    };
    if (session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = new ort.Tensor('int64', batch.tokenTypeIds as BigInt64Array, dims);
    const out = await session.run(feeds);
    return Object.fromEntries(session.outputNames.map((n) => [n, out[n].data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function sameBits(a: TensorF32, b: TensorF32): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
    Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  );
}

/** Trains `steps` AdamW steps of `method` on the fixture's reference batch (lr 1e-2 so that every trainable tensor moves). */
async function trainSteps(model: string, method: TrainMethod, steps: number) {
  const dir = hfTinyDir(model);
  const config = readConfig(join(dir, 'config.json'));
  const base = readSafetensors(join(dir, 'model.safetensors'));
  const head = headOf(config) as Exclude<ReturnType<typeof headOf>, 'base'>;
  const setup = setupMethod(
    { ...TRAIN_DEFAULTS, method, lora: { ...TRAIN_DEFAULTS.lora, dropout: 0.1 }, promptTokens: 3, adapterReduction: 4 },
    config,
    base,
    head,
  );
  const spec = { config: setup.config, weights: setup.weights, head, trainable: setup.trainable, dropoutSeed: 7 };
  const session = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec) });
  const batch = referenceBatch(model);
  for (let i = 0; i < steps; i++) await session.step(batch, 1e-2);
  const frozen = new Map([...setup.weights].filter(([n]) => !setup.trainable.has(n)));
  return { dir, config, base, setup, session, batch, parameters: session.state.snapshot(frozen) };
}

const metricsStub = {} as TrainMetricsFile;

describeWithFixtures('fine-tuning methods (hf-tiny fixtures, onnxruntime-node)', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'berth-train-methods-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('head: every encoder weight stays bit-identical, the classifier moves', async () => {
    const run = await trainSteps('bert-seqcls', 'head', 3);
    try {
      expect([...run.setup.trainable].sort()).toEqual(['classifier.bias', 'classifier.weight']);
      for (const [name, before] of run.base) {
        const after = run.parameters.get(name)!;
        if (name.startsWith('classifier.')) expect(sameBits(before, after)).toBe(false);
        else expect(sameBits(before, after)).toBe(true);
      }
      // And the exported file carries them unchanged.
      writeTrainedModel(run.dir, join(out, 'm'), run.setup.config, run.parameters, metricsStub, false);
      const written = readSafetensors(join(out, 'm', 'model.safetensors'));
      expect([...written.keys()].sort()).toEqual([...run.base.keys()].sort());
      for (const [name, t] of written) if (!name.startsWith('classifier.')) expect(sameBits(t, run.base.get(name)!)).toBe(true);
    } finally {
      await run.session.release();
    }
  });

  it('lora: only LoRA and head tensors change; the merged export gives the unmerged logits to 1e-5', async () => {
    const run = await trainSteps('bert-seqcls', 'lora', 3);
    try {
      const loraNames = [...run.setup.weights.keys()].filter(isPeftParameter);
      // PEFT defaults: query and value of each of the 2 layers, A and B each.
      expect(loraNames).toHaveLength(8);
      for (const [name, before] of run.setup.weights) {
        const moved = !sameBits(before, run.parameters.get(name)!);
        expect({ name, moved }).toEqual({ name, moved: isPeftParameter(name) || name.startsWith('classifier.') });
      }
      const evalLogits = (await run.session.evaluate(run.batch)).outputs.logits.data;

      writeTrainedModel(run.dir, join(out, 'm'), run.setup.config, run.parameters, metricsStub, false);
      const written = readSafetensors(join(out, 'm', 'model.safetensors'));
      expect([...written.keys()].some(isPeftParameter)).toBe(false);
      expect(readConfig(join(out, 'm', 'config.json'))[PEFT_CONFIG_KEY]).toBeUndefined();
      // The merged query weight differs from the base one (B moved off zero).
      const q = 'bert.encoder.layer.0.attention.self.query.weight';
      expect(sameBits(written.get(q)!, run.base.get(q)!)).toBe(false);

      const exported = await runOnnx(readFileSync(join(out, 'm', 'model.onnx')), run.batch);
      expect(maxAbsDiff(exported.logits, evalLogits)).toBeLessThan(1e-5);
      const rebuilt = await runOnnx(encodeModel(buildModelFromDir(join(out, 'm'))), run.batch);
      expect(maxAbsDiff(rebuilt.logits, evalLogits)).toBeLessThan(1e-5);
    } finally {
      await run.session.release();
    }
  });

  it('lora merge of untrained adapters is the identity (B starts at zero)', async () => {
    const run = await trainSteps('bert-seqcls', 'lora', 0);
    try {
      const { tensors } = exportedModel(run.setup.config, run.parameters);
      for (const [name, t] of run.base) expect(sameBits(tensors.get(name)!, t)).toBe(true);
    } finally {
      await run.session.release();
    }
  });

  it("an adapter whose up-projection is zero is the identity: the base model's logits", async () => {
    const dir = hfTinyDir('bert-seqcls');
    const config = readConfig(join(dir, 'config.json'));
    const base = readSafetensors(join(dir, 'model.safetensors'));
    const setup = setupMethod({ ...TRAIN_DEFAULTS, method: 'adapter', adapterReduction: 4 }, config, base, 'sequence-classification');
    for (const [name, t] of setup.weights)
      if (/adapter\.up\./.test(name)) setup.weights.set(name, { shape: t.shape, data: new Float32Array(t.data.length) });
    const spec = { config: setup.config, weights: setup.weights, head: 'sequence-classification' as const, trainable: setup.trainable };
    const session = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec) });
    try {
      const batch = referenceBatch('bert-seqcls');
      const withAdapters = (await session.evaluate(batch)).outputs.logits.data;
      const baseLogits = (await runOnnx(readFileSync(join(dir, 'model.onnx')), batch)).logits;
      expect(maxAbsDiff(withAdapters, baseLogits)).toBeLessThan(1e-5);
      // And a non-zero adapter does change them (the test can tell the difference).
      const trained = await trainSteps('bert-seqcls', 'adapter', 0);
      const moved = (await trained.session.evaluate(batch)).outputs.logits.data;
      await trained.session.release();
      expect(maxAbsDiff(moved, baseLogits)).toBeGreaterThan(1e-6);
    } finally {
      await session.release();
    }
  });

  it.each([
    ['adapter', 'bert-seqcls', 'logits'],
    ['prompt', 'bert-seqcls', 'logits'],
    ['adapter', 'bert-ner', 'logits'],
    ['prompt', 'bert-ner', 'logits'],
  ] as const)('%s on %s survives export and reload with the eval graph logits', async (method, model, output) => {
    const run = await trainSteps(model, method, 3);
    try {
      for (const [name, before] of run.base) {
        if (!name.startsWith('classifier.')) expect(sameBits(before, run.parameters.get(name)!)).toBe(true);
      }
      const evalOut = (await run.session.evaluate(run.batch)).outputs[output];
      // Outputs keep the caller's sequence length, prompt or not.
      expect(evalOut.dims.slice(0, 2)).toEqual(model === 'bert-ner' ? [run.batch.size, run.batch.seqLength] : [run.batch.size, 3]);

      writeTrainedModel(run.dir, join(out, 'm'), run.setup.config, run.parameters, metricsStub, false);
      const config = readConfig(join(out, 'm', 'config.json'));
      expect((config[PEFT_CONFIG_KEY] as { type: string }).type).toBe(method);
      const written = readSafetensors(join(out, 'm', 'model.safetensors'));
      expect([...written.keys()].filter(isPeftParameter).length).toBeGreaterThan(0);

      const exported = await runOnnx(readFileSync(join(out, 'm', 'model.onnx')), run.batch);
      expect(maxAbsDiff(exported[output], evalOut.data)).toBeLessThan(1e-5);
      const reloaded = await runOnnx(encodeModel(buildModelFromDir(join(out, 'm'))), run.batch);
      expect(maxAbsDiff(reloaded[output], evalOut.data)).toBeLessThan(1e-5);
    } finally {
      await run.session.release();
    }
  });
});
