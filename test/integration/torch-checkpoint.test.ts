/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * `pytorch_model.bin` on the hf-tiny fixtures: every family's weights, saved as a PyTorch
 * checkpoint, load to the same tensors bit for bit (written by the test writer, and, where
 * Debian's python3-torch is installed, by torch.save itself, in float32, float16 and bfloat16);
 * and a folder that ships only `pytorch_model.bin` serves the PyTorch reference logits.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelWeights } from '../../src/engine/formats/model-weights';
import { readSafetensors, TensorF32 } from '../../src/engine/formats/safetensors';
import { readTorchCheckpoint } from '../../src/engine/formats/torch-checkpoint';
import { exportModelDir } from '../../src/engine/nn/export';
import { ServingCore } from '../../src/serving/serving-core';
import { resolveTrainOptions } from '../../src/trainer/options';
import { train } from '../../src/trainer/train';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { torchCheckpoint } from '../support/torch-checkpoint-writer';
import { startTestCore } from '../helpers/test-core';

const SCRIPT = join(__dirname, '..', 'support', 'torch_save.py');

/** Every fixture directory that has weights (the five bert-* and the other families). */
function fixtureDirs(): string[] {
  return readdirSync(hfTinyDir(), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Same names, shapes and float32 bits. */
function expectSameTensors(actual: Map<string, TensorF32>, expected: Map<string, TensorF32>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    const got = actual.get(name)!;
    expect(got.shape).toEqual(t.shape);
    const same = Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    );
    if (!same) throw new Error(`tensor "${name}" differs`);
  }
}

/** A python3 that can import torch, or undefined (the torch-made checks then skip, saying so). */
function torchPython(): string | undefined {
  for (const candidate of [process.env.BERTH_TORCH_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' });
    if (!probe.error && probe.status === 0) return candidate;
  }
  return undefined;
}

describeWithFixtures('pytorch_model.bin on the hf-tiny fixtures', () => {
  let root: string;
  beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'berth-torchbin-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(fixtureDirs())('%s: the weights saved as pytorch_model.bin load bit for bit', (model) => {
    const expected = readSafetensors(join(hfTinyDir(model), 'model.safetensors'));
    const file = join(root, `${model}.bin`);
    writeFileSync(file, torchCheckpoint(expected, { archive: model }));
    expectSameTensors(readModelWeights(file), expected);
  });

  it('a tied decoder stored as older HF checkpoints do (one storage, two names) reads as two equal tensors', () => {
    const weights = readSafetensors(join(hfTinyDir('bert-mlm'), 'model.safetensors'));
    const file = join(root, 'tied.bin');
    writeFileSync(file, torchCheckpoint(weights, { tied: { 'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight' } }));
    const loaded = readTorchCheckpoint(file);
    const decoder = loaded.get('cls.predictions.decoder.weight')!.data;
    const embeddings = weights.get('bert.embeddings.word_embeddings.weight')!.data;
    expect(
      Buffer.from(decoder.buffer, decoder.byteOffset, decoder.byteLength).equals(
        Buffer.from(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength),
      ),
    ).toBe(true);
  });

  describe('made by torch.save itself', () => {
    const python = torchPython();
    if (!python)
      console.warn('skipping the torch.save checks: no python3 with torch (apt-get install python3-torch, or set BERTH_TORCH_PYTHON)');
    const maybe = python ? it : it.skip;
    // One model per family.
    const models = ['bert-seqcls', 'roberta-seqcls', 'distilbert-seqcls', 'albert-seqcls', 'electra-seqcls'];

    maybe.each(models)('%s in float32, float16 and bfloat16 reads to the values torch gives', (model) => {
      const out = join(root, 'torch', model);
      const saved = spawnSync(python!, [SCRIPT, 'save', join(hfTinyDir(model), 'model.safetensors'), out], { encoding: 'utf8' });
      expect(saved.stderr).toBe('');
      expect(saved.status).toBe(0);
      expectSameTensors(
        readModelWeights(join(out, 'float32', 'pytorch_model.bin')),
        readSafetensors(join(hfTinyDir(model), 'model.safetensors')),
      );
      for (const dtype of ['float16', 'bfloat16']) {
        expectSameTensors(
          readModelWeights(join(out, dtype, 'pytorch_model.bin')),
          readSafetensors(join(out, dtype, 'expected.safetensors')),
        );
      }
    });

    maybe('torch.load reads what the test writer writes (so the writer is a genuine torch checkpoint)', () => {
      const source = join(hfTinyDir('albert-seqcls'), 'model.safetensors');
      const file = join(root, 'writer-check.bin');
      writeFileSync(file, torchCheckpoint(readSafetensors(source)));
      const checked = spawnSync(python!, [SCRIPT, 'check', file, source], { encoding: 'utf8' });
      expect(checked.status).toBe(0);
      expect(JSON.parse(checked.stdout)).toEqual({ tensors: readSafetensors(source).size, max_abs_diff: 0 });
    });
  });

  it('berth export of a folder with only pytorch_model.bin writes the same model.onnx, and keeps the weights', () => {
    const source = hfTinyDir('roberta-seqcls');
    const binDir = join(root, 'export-from-bin');
    cpSync(join(source, 'config.json'), join(binDir, 'config.json'));
    writeFileSync(join(binDir, 'pytorch_model.bin'), torchCheckpoint(readSafetensors(join(source, 'model.safetensors'))));
    const { files } = exportModelDir(binDir, join(root, 'exported-from-bin'));
    exportModelDir(source, join(root, 'exported-from-safetensors'));
    expect(files).toEqual(['config.json', 'model.onnx', 'pytorch_model.bin']);
    const onnx = (dir: string): Buffer => readFileSync(join(root, dir, 'model.onnx'));
    expect(onnx('exported-from-bin').equals(onnx('exported-from-safetensors'))).toBe(true);
  });

  it('fine-tuning from a folder with only pytorch_model.bin gives the same model as from model.safetensors', async () => {
    const source = hfTinyDir('bert-seqcls');
    const binDir = join(root, 'train-from-bin');
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
      cpSync(join(source, f), join(binDir, f));
    }
    writeFileSync(join(binDir, 'pytorch_model.bin'), torchCheckpoint(readSafetensors(join(source, 'model.safetensors'))));
    const run = (modelDir: string, outDir: string) =>
      train(
        resolveTrainOptions({
          modelDir,
          task: 'classification',
          trainFile: join(source, 'train.csv'),
          validationFile: join(source, 'train.jsonl'),
          outDir,
          epochs: 1,
          batchSize: 2,
          seed: 3,
          threads: 1,
        }),
      );
    await run(source, join(root, 'trained-from-safetensors'));
    await run(binDir, join(root, 'trained-from-bin'));
    const trained = (dir: string): Buffer => readFileSync(join(root, dir, 'model.safetensors'));
    expect(trained('trained-from-bin').equals(trained('trained-from-safetensors'))).toBe(true);
    // And the weights did move: the comparison is not between two copies of the start.
    expect(() =>
      expectSameTensors(
        readSafetensors(join(root, 'trained-from-bin', 'model.safetensors')),
        readSafetensors(join(source, 'model.safetensors')),
      ),
    ).toThrow(/differs/);
  });

  describe('serving a folder that ships only pytorch_model.bin', () => {
    let core: ServingCore;
    let served: string;

    beforeAll(async () => {
      served = join(root, 'serve');
      const dir = join(served, 'models', 'seqcls-bin');
      for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
        cpSync(join(hfTinyDir('bert-seqcls'), f), join(dir, f));
      }
      writeFileSync(join(dir, 'pytorch_model.bin'), torchCheckpoint(readSafetensors(join(hfTinyDir('bert-seqcls'), 'model.safetensors'))));
      core = await startTestCore(served);
    });
    afterAll(async () => {
      await core?.close();
    });

    it('builds the graph from the checkpoint and answers the PyTorch reference logits; it can be fine-tuned', async () => {
      const ref = JSON.parse(readFileSync(join(hfTinyDir('bert-seqcls'), 'reference.json'), 'utf8')) as {
        examples: Array<{ text: string; single_logits: number[] }>;
      };
      const labels = ['negative', 'neutral', 'positive'];
      const answer = await core.classify(
        'seqcls-bin',
        ref.examples.map((e) => e.text),
        { function_to_apply: 'none', top_k: null },
      );
      expect(core.list().find((m) => m.name === 'seqcls-bin')).toMatchObject({ status: 'ready', fine_tunable: true });
      let worst = 0;
      answer.result.forEach((item, i) => {
        for (const { label, score } of item.labels)
          worst = Math.max(worst, Math.abs(score - ref.examples[i].single_logits[labels.indexOf(label)]));
      });
      console.log(`pytorch_model.bin-only bert-seqcls: worst |logit - PyTorch reference| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    });
  });
});
