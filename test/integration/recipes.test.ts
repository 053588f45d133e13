/**
 * Training recipes on real ONNX Runtime: the learning-rate sweep, early stopping, and knowledge
 * distillation (a student cut to alternate layers learning from a fine-tuned teacher).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/main';
import { readConfig } from '../../src/engine/formats/config';
import { resolveTrainOptions } from '../../src/trainer/options';
import { TrainEvent, train } from '../../src/trainer/train';
import { describeWithFixtures, hfTinyDir, sharedDataRoot } from '../helpers/fixtures';

const SENTIMENT = resolve(__dirname, '..', '..', 'models', 'berth-mini-sentiment');

const POSITIVE = [
  'a wonderful , moving film',
  'brilliant acting and a great story',
  'i loved every minute of it',
  'funny , warm and clever',
];
const NEGATIVE = ['a dull , boring mess', 'badly written and far too long', 'i hated every minute of it', 'a tedious waste of time'];

describe('training recipes (berth-mini-sentiment, onnxruntime-node)', () => {
  let dir: string;
  let csv: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-recipes-'));
    csv = join(dir, 'train.csv');
    const rows = Array.from({ length: 24 }, (_, i) => (i % 2 ? `"${POSITIVE[i % 4]}",positive` : `"${NEGATIVE[i % 4]}",negative`));
    writeFileSync(csv, `text,target\n${rows.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = (out: string) => ({
    modelDir: SENTIMENT,
    task: 'classification' as const,
    trainFile: csv,
    validationFile: csv,
    outDir: join(dir, out),
    studentLayers: 1,
    maxSeqLength: 16,
    batchSize: 8,
    threads: 1,
  });

  it('the sweep picks the learning rate that does not diverge (1e-5 against 10), records every trial and reports each', async () => {
    const events: TrainEvent[] = [];
    const result = await train(resolveTrainOptions({ ...base('sweep'), learningRates: [10, 1e-5], epochs: 1 }), {
      onEvent: (e) => events.push(e),
    });
    const sweep = result.metrics.learning_rate_sweep!;
    expect(sweep.candidates).toEqual([10, 1e-5]);
    expect(sweep.trials.map((t) => t.learning_rate)).toEqual([10, 1e-5]);
    expect(sweep.chosen).toBe(1e-5);
    expect(result.metrics.hyperparameters.learning_rate).toBe(1e-5);
    // The diverging rate is clearly worse on validation: a higher loss, or a non-finite one.
    const [high, low] = sweep.trials;
    expect(high.diverged || high.loss > low.loss).toBe(true);
    expect(events.filter((e) => e.type === 'trial')).toHaveLength(2);
    expect(events.find((e) => e.type === 'sweep')).toMatchObject({ learningRate: 1e-5 });
    // Trials come before the full run starts.
    expect(events.findIndex((e) => e.type === 'sweep')).toBeLessThan(events.findIndex((e) => e.type === 'start'));
    const written = JSON.parse(readFileSync(join(dir, 'sweep', 'metrics.json'), 'utf8'));
    expect(written.learning_rate_sweep.chosen).toBe(1e-5);
  });

  it('early stopping ends the run once validation has not improved for `patience` epochs', async () => {
    const events: TrainEvent[] = [];
    // A learning rate this small leaves the score where epoch 1 put it: nothing improves after.
    const result = await train(resolveTrainOptions({ ...base('patience'), learningRate: 1e-12, epochs: 6, patience: 2 }), {
      onEvent: (e) => events.push(e),
    });
    expect(result.metrics.eval.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(result.metrics.early_stopping).toEqual({ patience: 2, stopped_after_epoch: 3 });
    expect(events.find((e) => e.type === 'early-stop')).toMatchObject({ epoch: 3, bestEpoch: 1, patience: 2 });
  });
});

/** Rows `offset`, `offset + step`, … of a TSV (after its header) with at least `minWords` words, up to `count` rows. */
function sample(file: string, step: number, offset: number, minWords: number, count: number): string {
  const [header, ...lines] = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const picked = lines
    .filter((line, i) => i % step === offset && line.split('\t')[0].trim().split(/\s+/).length >= minWords)
    .slice(0, count);
  return `${header}\n${picked.join('\n')}\n`;
}

const sst2 = join(sharedDataRoot(), 'sentiment', 'sst2');
const describeWithData = existsSync(sst2) ? describe : describe.skip;
if (!existsSync(sst2)) console.warn(`skipping the distillation comparison: no shared data at ${sst2} (set BERTH_SHARED_DATA)`);

describeWithData('distillation on SST-2 (shared data)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-distill-'));
    writeFileSync(join(dir, 'train.tsv'), sample(join(sst2, 'train.tsv'), 150, 6, 5, 400));
    writeFileSync(join(dir, 'dev.tsv'), sample(join(sst2, 'dev.tsv'), 1, 0, 1, 872));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // One seed moves either score by about a point, as much as distillation does here; three seeds
  // (data order and dropout) and the mean over them make the comparison a measurement.
  const SEEDS = [42, 1, 2];

  it('a 2-layer student distilled from the 4-layer teacher beats the same student trained on the labels alone (mean of 3 seeds)', async () => {
    const options = (out: string, seed: number) => ({
      modelDir: SENTIMENT,
      task: 'classification' as const,
      trainFile: join(dir, 'train.tsv'),
      validationFile: join(dir, 'dev.tsv'),
      outDir: join(dir, `${out}-${seed}`),
      studentLayers: 2,
      epochs: 3,
      learningRate: 5e-4,
      batchSize: 16,
      maxSeqLength: 64,
      threads: 1,
      seed,
    });
    const alone: number[] = [];
    const distilled: number[] = [];
    for (const seed of SEEDS) {
      alone.push((await train(resolveTrainOptions(options('alone', seed)))).metrics.selected.metrics.score);
      const student = await train(
        resolveTrainOptions({ ...options('distilled', seed), distill: { teacherDir: SENTIMENT, temperature: 2, alpha: 1 } }),
      );
      expect(student.metrics.distillation).toMatchObject({ teacher_layers: 4, student_layers: 2, temperature: 2, alpha: 1 });
      distilled.push(student.metrics.selected.metrics.score);
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    console.log(`SST-2 dev (872), seeds ${SEEDS.join(', ')}: labels alone ${alone.join(', ')}; distilled ${distilled.join(', ')}`);
    expect(readConfig(join(dir, `distilled-${SEEDS[0]}`, 'config.json')).num_hidden_layers).toBe(2);
    expect(mean(distilled)).toBeGreaterThan(mean(alone));
  }, 600_000);
});

describeWithFixtures('distillation wiring (hf-tiny fixtures, dropout 0)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'berth-distill-wiring-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A student identical to its teacher (all its layers) has the teacher's distributions at every
  // row, token and position, so with α = 1 its first loss is 0: the teacher's logits reach
  // each batch aligned with the student's outputs (rows, padding, tokens, QA start and end).
  it.each([
    ['classification', 'bert-seqcls', 'train.jsonl'],
    ['ner', 'bert-ner', 'train.conll'],
    ['qa', 'bert-qa', 'train.json'],
  ] as const)('%s: a student equal to its teacher has zero distillation loss; half the layers learn from it', async (task, model, file) => {
    const base = {
      modelDir: hfTinyDir(model),
      task,
      trainFile: join(hfTinyDir(model), file),
      validationSplit: 0.25,
      epochs: 2,
      batchSize: 3,
      threads: 1,
    };
    const losses: number[] = [];
    await train(
      resolveTrainOptions({
        ...base,
        outDir: join(dir, `${model}-same`),
        studentLayers: 2,
        distill: { teacherDir: hfTinyDir(model), alpha: 1, temperature: 2 },
      }),
      { onEvent: (e) => e.type === 'step' && losses.push(e.loss) },
    );
    // The first step only: its gradient is float32 noise, which AdamW's normalisation turns into
    // full-size steps, so later steps part from the teacher.
    expect(Math.abs(losses[0])).toBeLessThan(1e-4);
    const half = await train(
      resolveTrainOptions({
        ...base,
        outDir: join(dir, `${model}-half`),
        distill: { teacherDir: hfTinyDir(model), alpha: 0.5, temperature: 2 },
      }),
    );
    expect(half.metrics.distillation).toMatchObject({ teacher_layers: 2, student_layers: 1 });
    expect(half.metrics.train_loss.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);
  });
});

describeWithFixtures('distillation with a transfer set (hf-tiny fixtures, dropout 0)', () => {
  let dir: string;
  let transfer: string;
  const TRANSFER_TEXTS = [
    'Mary Jones flew from Paris to Berlin on Monday.',
    'The new phone is fast and the battery lasts for days.',
    'Nobody at the bank in London answered the letter.',
    'A quiet film with a long and tired ending.',
    'Peter met the Google team in New York.',
  ];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-distill-transfer-'));
    transfer = join(dir, 'transfer.txt');
    writeFileSync(transfer, `${TRANSFER_TEXTS.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Every row in one batch, and a student identical to its teacher: the soft term is 0 at the first
  // step, so that step's loss is (1 − α) × the label loss of the labelled rows alone. The same with
  // and without the transfer rows only if those rows add nothing to the label loss.
  it.each([
    ['classification', 'bert-seqcls', 'train.jsonl'],
    ['ner', 'bert-ner', 'train.conll'],
  ] as const)('%s: transfer rows are taught by the teacher alone and add no label loss', async (task, model, file) => {
    const firstLoss = async (name: string, alpha: number, transferFile?: string) => {
      const losses: number[] = [];
      const result = await train(
        resolveTrainOptions({
          modelDir: hfTinyDir(model),
          task,
          trainFile: join(hfTinyDir(model), file),
          validationSplit: 0.25,
          epochs: 1,
          batchSize: 64,
          threads: 1,
          outDir: join(dir, `${model}-${name}`),
          studentLayers: 2,
          distill: { teacherDir: hfTinyDir(model), alpha, temperature: 2, transferFile },
        }),
        { onEvent: (e) => e.type === 'step' && losses.push(e.loss) },
      );
      return { loss: losses[0], metrics: result.metrics };
    };
    const without = await firstLoss('without', 0.5);
    const withTransfer = await firstLoss('with', 0.5, transfer);
    expect(without.loss).toBeGreaterThan(0.01);
    expect(Math.abs(withTransfer.loss - without.loss)).toBeLessThan(1e-5);
    expect(withTransfer.metrics.distillation).toMatchObject({ transfer_file: transfer, transfer_rows: TRANSFER_TEXTS.length });
    // α = 1: the teacher's logits reach the transfer rows aligned (rows, tokens, the NER weights).
    expect(Math.abs((await firstLoss('soft-only', 1, transfer)).loss)).toBeLessThan(1e-4);
  });

  it('refuses a transfer set for QA and with alpha 0, naming the option', () => {
    const base = { modelDir: hfTinyDir('bert-qa'), trainFile: 'x', outDir: join(dir, 'never') };
    expect(() => resolveTrainOptions({ ...base, task: 'qa', distill: { teacherDir: 'x', transferFile: transfer } })).toThrow(
      /transfer: a transfer set of plain text teaches classification or NER students, not qa/,
    );
    expect(() =>
      resolveTrainOptions({ ...base, task: 'classification', distill: { teacherDir: 'x', alpha: 0, transferFile: transfer } }),
    ).toThrow(/transfer: .*alpha must be above 0/);
  });
});

describeWithFixtures('berth distill and berth train --learning-rate (hf-tiny fixtures)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'berth-distill-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const berth = async (...args: string[]): Promise<{ code: number; out: string }> => {
    let out = '';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (out += t) });
      return { code, out };
    } finally {
      write.mockRestore();
    }
  };

  it('distils a teacher into a student with half its layers, taking the task from the teacher', async () => {
    const teacher = hfTinyDir('bert-ner');
    const out = join(dir, 'ner-student');
    const run = await berth(
      'distill',
      '--teacher',
      teacher,
      '--train',
      join(teacher, 'train.conll'),
      '--out',
      out,
      '--epochs',
      '1',
      '--temperature',
      '3',
      '--alpha',
      '0.25',
      '--json',
    );
    expect(run.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({
      task: 'ner',
      distillation: { teacher, temperature: 3, alpha: 0.25, teacher_layers: 2, student_layers: 1 },
    });
    expect(readConfig(join(out, 'config.json')).num_hidden_layers).toBe(1);
  });

  it('takes a transfer set with --transfer', async () => {
    const teacher = hfTinyDir('bert-seqcls');
    const transfer = join(dir, 'transfer.txt');
    writeFileSync(transfer, 'A fine day.\n\nA dull film with a long ending.\nIt rained all week.\n');
    const out = join(dir, 'seqcls-transfer');
    const run = await berth(
      'distill',
      '--teacher',
      teacher,
      '--train',
      join(teacher, 'train.jsonl'),
      '--out',
      out,
      '--epochs',
      '1',
      '--transfer',
      transfer,
      '--json',
    );
    expect(run.code).toBe(0);
    // Blank lines split paragraphs: two documents, the second of two lines.
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).distillation).toMatchObject({
      transfer_file: transfer,
      transfer_rows: 2,
    });
  });

  it('takes --learning-rate auto or a list as a sweep, and refuses anything else', async () => {
    const seqcls = hfTinyDir('bert-seqcls');
    const args = [
      'train',
      '--model',
      seqcls,
      '--task',
      'classification',
      '--train',
      join(seqcls, 'train.jsonl'),
      '--epochs',
      '1',
      '--json',
    ];
    const list = await berth(...args, '--out', join(dir, 'list'), '--learning-rate', '1e-5, 2e-5', '--patience', '1');
    expect(list.code).toBe(0);
    const metrics = JSON.parse(readFileSync(join(dir, 'list', 'metrics.json'), 'utf8'));
    expect(metrics.learning_rate_sweep.candidates).toEqual([1e-5, 2e-5]);
    expect(metrics.early_stopping).toEqual({ patience: 1, stopped_after_epoch: null });
    const auto = await berth(...args, '--out', join(dir, 'auto'), '--learning-rate', 'auto');
    expect(auto.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'auto', 'metrics.json'), 'utf8')).learning_rate_sweep.candidates).toEqual([
      3e-5, 5e-5, 1e-4, 3e-4,
    ]);
    const bad = await berth(...args, '--out', join(dir, 'bad'), '--learning-rate', 'fast');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--learning-rate must be a number, "auto" or a comma-separated list/);
  });
});
