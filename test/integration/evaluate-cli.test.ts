/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * `berth new-head` and `berth evaluate` through the built CLI. The accuracy `berth evaluate`
 * reports (training engine's eval graph) is checked against predictions the serving core makes
 * from the exported model.onnx, a separate path through separate code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readConfig, writeConfig } from '../../src/engine/formats/config';
import { readSafetensors, writeSafetensors } from '../../src/engine/formats/safetensors';
import { startTestCore } from '../helpers/test-core';

/** The dtype of every tensor in a safetensors file, from its JSON header. */
function dtypes(file: string): Set<string> {
  const bytes = readFileSync(file);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype?: string }>;
  return new Set(
    Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .map(([, v]) => v.dtype as string),
  );
}

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TOKENIZER = join(ROOT, 'assets', 'tiny-tokenizer');

function berth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ROWS: Array<[string, string]> = [
  ['a wonderful, moving film', 'positive'],
  ['dull and far too long', 'negative'],
  ['the best thing this year', 'positive'],
  ['i want my money back', 'negative'],
  ['charming from start to finish', 'positive'],
  ['a tedious mess', 'negative'],
  ['smart, funny and warm', 'positive'],
  ['nothing works here', 'negative'],
  ['an absolute delight', 'positive'],
  ['bland and forgettable', 'negative'],
  ['beautifully acted', 'positive'],
  ['the plot makes no sense', 'negative'],
];

describe('berth new-head and berth evaluate', () => {
  let work: string;
  let encoder: string;
  let model: string;
  let data: string;

  beforeAll(() => {
    if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    work = mkdtempSync(join(tmpdir(), 'berth-evaluate-'));
    encoder = join(work, 'mlm');
    const init = berth(
      'init-model',
      '--config',
      '{"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}',
      '--tokenizer',
      TOKENIZER,
      '--out',
      encoder,
      '--seed',
      '1',
    );
    expect(init.status).toBe(0);
    mkdirSync(join(work, 'models'));
    model = join(work, 'models', 'sentiment');
    const made = berth(
      'new-head',
      '--model',
      encoder,
      '--task',
      'classification',
      '--labels',
      'negative,positive',
      '--out',
      model,
      '--seed',
      '4',
    );
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(
      /BertForSequenceClassification; \d+ tensors kept, newly initialised: bert\.pooler\.dense\.bias, bert\.pooler\.dense\.weight, classifier\.bias, classifier\.weight/,
    );
    data = join(work, 'dev.csv');
    writeFileSync(data, `text,label\n${ROWS.map(([t, l]) => `"${t}",${l}`).join('\n')}\n`);
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('evaluate reports the accuracy of the predictions the server makes from the same weights', async () => {
    const r = berth('evaluate', '--model', model, '--task', 'classification', '--data', data, '--json', '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { examples: number; metrics: { accuracy: number; macro_f1: number; loss: number } };
    expect(report.examples).toBe(ROWS.length);

    const core = await startTestCore(work, {
      batching: { maxBatchSize: 4, maxBatchTokens: 4096, maxWaitMs: 1, maxQueue: 64, enabled: true },
    });
    try {
      const served = await core.classify(
        'sentiment',
        ROWS.map(([t]) => t),
        { function_to_apply: 'none', top_k: null },
      );
      let correct = 0;
      let loss = 0;
      served.result.forEach((item, i) => {
        const logit = (label: string): number => item.labels.find((l) => l.label === label)!.score;
        const [neg, pos] = [logit('negative'), logit('positive')];
        if ((pos > neg ? 'positive' : 'negative') === ROWS[i][1]) correct++;
        const m = Math.max(neg, pos);
        const logZ = m + Math.log(Math.exp(neg - m) + Math.exp(pos - m));
        loss += logZ - logit(ROWS[i][1]);
      });
      expect(report.metrics.accuracy).toBeCloseTo(correct / ROWS.length, 10);
      expect(report.metrics.loss).toBeCloseTo(loss / ROWS.length, 4);
    } finally {
      await core.close();
    }
  }, 60_000);

  it('a float16 copy scores like the float32 model, and training from it writes float32 weights and says so', () => {
    const half = join(work, 'half');
    cpSync(model, half, { recursive: true });
    rmSync(join(half, 'model.onnx'));
    writeSafetensors(join(half, 'model.safetensors'), readSafetensors(join(model, 'model.safetensors')), { dtype: 'F16' });
    writeConfig(join(half, 'config.json'), { ...readConfig(join(model, 'config.json')), torch_dtype: 'float16' });
    expect(dtypes(join(half, 'model.safetensors'))).toEqual(new Set(['F16']));
    const score = (dir: string) =>
      JSON.parse(berth('evaluate', '--model', dir, '--task', 'classification', '--data', data, '--json').stdout).metrics;
    const [full, reduced] = [score(model), score(half)];
    expect(Math.abs(full.loss - reduced.loss)).toBeLessThan(1e-3);

    const out = join(work, 'trained-from-half');
    const run = berth(
      'train',
      '--model',
      half,
      '--task',
      'classification',
      '--train',
      data,
      '--validation',
      data,
      '--epochs',
      '1',
      '--batch-size',
      '4',
      '--out',
      out,
      '--json',
    );
    expect(run.status).toBe(0);
    expect(readConfig(join(out, 'config.json')).torch_dtype).toBe('float32');
    expect(dtypes(join(out, 'model.safetensors'))).toEqual(new Set(['F32']));
  }, 60_000);

  it('prints one readable line without --json', () => {
    const r = berth('evaluate', '--model', model, '--task', 'classification', '--data', data);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^.+ on .+dev\.csv \(12 examples\): loss [\d.]+, accuracy [\d.]+, macro_f1 [\d.]+\n$/);
  });

  it('bad input: usage errors exit 2, a model or file problem exits 1 with one line', () => {
    expect(berth('evaluate', '--model', model, '--task', 'poetry', '--data', data)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--task must be one of/),
    });
    expect(berth('evaluate', '--model', model, '--task', 'classification')).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--data is required/),
    });
    const wrongHead = berth('evaluate', '--model', model, '--task', 'ner', '--data', data);
    expect(wrongHead.status).toBe(1);
    expect(wrongHead.stderr).toMatch(/is a sequence-classification model; --task ner needs token-classification/);
    const missing = berth('evaluate', '--model', model, '--task', 'classification', '--data', join(work, 'nope.csv'));
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);

    const out = join(work, 'never');
    expect(berth('new-head', '--model', encoder, '--task', 'classification', '--out', out)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/needs --labels/),
    });
    expect(berth('new-head', '--model', encoder, '--task', 'classification', '--labels', 'a,a', '--out', out)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/given twice/),
    });
    expect(berth('new-head', '--model', encoder, '--task', 'mlm', '--labels', 'a,b', '--out', out)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--task must be one of classification, ner, qa/),
    });
    const noModel = berth('new-head', '--model', join(work, 'absent'), '--task', 'qa', '--out', out);
    expect(noModel.status).toBe(1);
    expect(noModel.stderr).toMatch(/model directory not found/);
    expect(existsSync(out)).toBe(false);
  });
});
