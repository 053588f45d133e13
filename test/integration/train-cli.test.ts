/**
 * `berth train` end to end on the fixtures' dataset files, and every bad input ending with a clear
 * one-line error, exit code 1 and no output directory.
 *
 * @jest-environment ./test/helpers/ort-environment.js
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readConfig } from '../../src/engine/formats/config';
import { buildModelFromDir } from '../../src/engine/nn/export';
import { encodeModel } from '../../src/engine/onnx/encode';
import { TrainMetricsFile } from '../../src/trainer/train';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { berth } from '../helpers/train-reference';

type CliRun = Awaited<ReturnType<typeof berth>>;

function events(run: CliRun): Array<Record<string, unknown>> {
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describeWithFixtures('berth train (hf-tiny fixtures)', () => {
  const seqcls = hfTinyDir('bert-seqcls');
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-train-cli-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const common = ['--epochs', '2', '--batch-size', '2', '--json'];

  it('fine-tunes a classifier and writes a complete HF directory with metrics', async () => {
    const out = join(work, 'cls');
    const run = await berth(
      'train',
      '--model',
      seqcls,
      '--task',
      'classification',
      '--train',
      join(seqcls, 'train.csv'),
      '--validation',
      join(seqcls, 'train.jsonl'),
      '--out',
      out,
      '--learning-rate',
      '1e-3',
      ...common,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'metrics.json',
      'model.onnx',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as TrainMetricsFile;
    expect(metrics.train_loss).toHaveLength(4); // 4 rows, batch 2, 2 epochs
    expect(metrics.eval.map((e) => e.epoch)).toEqual([1, 2]);
    expect(metrics.eval[0]).toHaveProperty('accuracy');
    expect(metrics.eval[0]).toHaveProperty('macro_f1');
    expect(metrics.selected.select).toBe('best');
    expect(metrics.hyperparameters.learning_rate).toBe(1e-3);
    // Linear decay from 1e-3 without warm-up: step k (0-based) gets 1e-3 · (4 − k) / 4.
    expect(metrics.train_loss.map((s) => s.learning_rate)).toEqual([1e-3, 7.5e-4, 5e-4, 2.5e-4]);
    expect(readConfig(join(out, 'config.json')).id2label).toEqual(readConfig(join(seqcls, 'config.json')).id2label);
    const kinds = events(run).map((e) => e.type);
    expect(kinds.filter((k) => k === 'step')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'eval')).toHaveLength(2);

    // model.onnx runs and equals the graph rebuilt from config.json + model.safetensors.
    const dims = [1, 5];
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([101n, 2307n, 3185n, 999n, 102n]), dims),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(5).fill(1n), dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(5), dims),
    };
    const a = await ort.InferenceSession.create(join(out, 'model.onnx'));
    const b = await ort.InferenceSession.create(encodeModel(buildModelFromDir(out)));
    const la = (await a.run(feeds)).logits.data as Float32Array;
    const lb = (await b.run(feeds)).logits.data as Float32Array;
    expect(Array.from(la)).toEqual(Array.from(lb));
    await a.release();
    await b.release();
  });

  it.each([
    ['ner', 'bert-ner', 'train.conll', 'f1'],
    ['qa', 'bert-qa', 'train.json', 'exact_match'],
    ['mlm', 'bert-mlm', 'corpus.txt', 'perplexity'],
  ])('trains %s from %s/%s with a held-out split and reports %s', async (task, model, file, metric) => {
    const out = join(work, task);
    const run = await berth(
      'train',
      '--model',
      hfTinyDir(model),
      '--task',
      task,
      '--train',
      join(hfTinyDir(model), file),
      '--out',
      out,
      '--method',
      'lora',
      ...common,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as TrainMetricsFile;
    expect(metrics.data.validation).toMatch(/10% held out/);
    expect(metrics.data.validation_examples).toBe(1);
    expect(metrics.data.train_examples).toBe(3);
    expect(metrics.eval[1]).toHaveProperty(metric);
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
  });

  describe('bad input: exit code 1, one line naming the file, no output directory', () => {
    async function expectFailure(args: string[], message: RegExp, code = 1): Promise<void> {
      const out = join(work, `fail-${Math.random().toString(36).slice(2)}`);
      const run = await berth('train', ...args, '--out', out, ...common);
      expect(run.code).toBe(code);
      expect(run.stderr).toMatch(message);
      if (code === 1) expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(work).filter((n) => n.includes('.tmp-'))).toEqual([]);
    }
    const cls = (train: string, extra: string[] = []): string[] => [
      '--model',
      seqcls,
      '--task',
      'classification',
      '--train',
      train,
      ...extra,
    ];

    it('unknown label in the validation set', async () => {
      const valid = join(work, 'valid-unknown.csv');
      writeFileSync(valid, 'text,target\ngood film,positive\nawful,furious\n');
      await expectFailure(cls(join(seqcls, 'train.csv'), ['--validation', valid]), /valid-unknown\.csv: line 3.*unknown label "furious"/);
    });

    it('empty training file', async () => {
      const empty = join(work, 'empty.csv');
      writeFileSync(empty, '');
      await expectFailure(cls(empty), /empty\.csv: .*empty/i);
    });

    it('malformed row', async () => {
      const bad = join(work, 'malformed.jsonl');
      writeFileSync(bad, '{"text": "fine", "target": "positive"}\n{"text": "broken", "target": \n');
      await expectFailure(cls(bad), /malformed\.jsonl: line 2/);
    });

    it('max sequence length above the model maximum', async () => {
      await expectFailure(
        cls(join(seqcls, 'train.csv'), ['--max-seq-length', '129']),
        /max-seq-length: 129 is above the model's maximum of 128.*config\.json/,
      );
    });

    it('model directory without model.safetensors', async () => {
      const noWeights = join(work, 'no-weights');
      cpSync(seqcls, noWeights, { recursive: true });
      rmSync(join(noWeights, 'model.safetensors'));
      await expectFailure(
        ['--model', noWeights, '--task', 'classification', '--train', join(seqcls, 'train.csv')],
        /no-weights\/model\.safetensors: file not found/,
      );
    });

    it('a task the model has no head for', async () => {
      await expectFailure(
        cls(join(seqcls, 'train.csv')).map((a) => (a === 'classification' ? 'ner' : a)),
        /config\.json: .*--task ner needs token-classification/,
      );
    });

    it('usage errors exit 2', async () => {
      await expectFailure(cls(join(seqcls, 'train.csv'), ['--method', 'magic']), /--method must be one of/, 2);
      await expectFailure(cls(join(seqcls, 'train.csv'), ['--seed', 'two']), /--seed must be a non-negative integer/, 2);
      await expectFailure(['--task', 'classification', '--train', 'x.csv'], /--model is required/, 2);
    });
  });

  it('stops between steps when cancelled and writes nothing', async () => {
    const { train } = await import('../../src/trainer/train');
    const { resolveTrainOptions } = await import('../../src/trainer/options');
    const out = join(work, 'cancelled');
    const controller = new AbortController();
    let steps = 0;
    const run = train(
      resolveTrainOptions({
        modelDir: seqcls,
        task: 'classification',
        trainFile: join(seqcls, 'train.csv'),
        validationFile: join(seqcls, 'train.jsonl'),
        outDir: out,
        batchSize: 1,
        epochs: 3,
      }),
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'step' && ++steps === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'TRAINING_CANCELLED' });
    expect(steps).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
