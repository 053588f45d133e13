/**
 * The learning-curve table: for each task, fine-tuning on 1 %, 10 % and 100 % of its labelled
 * training set, (a) from the pre-trained encoder, (b) from the same architecture's random
 * initialisation with the same budget, and (c) the classic baseline on the same rows, each scored
 * on the same dev rows. The claim under test: pre-training pays most where labels are few.
 *
 *   node scripts/run-ts.js scripts/defaults/learning-curve.ts --pretrained models/berth-mini \
 *     --random /tmp/berth-defaults/init [--pretrained-cased /tmp/berth-defaults/cased/pretrain/model \
 *     --random-cased /tmp/berth-defaults/cased/init] [--tasks sentiment,nli,ner,qa] [--fractions 0.01,0.1,1]
 *     [--seeds 42,1,2] [--full-seeds 42] [--threads 1] [--results /tmp/berth-curve/results.json] [--models models]
 *     [--learning-rate auto|fixed|r1,r2,...] [--render [--write]]
 *
 * Every (task, fraction, seed, start) cell is appended to the results file as it finishes and
 * skipped when the script runs again, so a long run can stop and continue. The seed draws the
 * training subset (a seeded permutation of the training rows), the batch order and dropout; the
 * dev rows are one fixed sample of at most DEV_ROWS, the same for every cell. `--render` prints
 * the table from the results (and with `--write` puts it between the markers in README.md).
 *
 * The learning rate is chosen per run by the trainer's sweep (`auto`, the default: short trials on
 * a sample, the best on the dev rows), since a pre-trained encoder and a random one prefer
 * different rates; `fixed` trains at the default models' rate per task.
 *
 * A task in CASED_TASKS is measured on the cased encoder its default model ships with (`--pretrained-cased`
 * and the random initialisation it started from, `--random-cased`); the others on the uncased one.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../../src/engine/random';
import { entityScores, squadEvaluate } from '../../src/trainer/evaluation';
import { NewHeadTask, newHeadModelDir } from '../../src/trainer/new-head';
import { resolveTrainOptions, TrainTask } from '../../src/trainer/options';
import { AUTO_LEARNING_RATES } from '../../src/trainer/sweep';
import { train } from '../../src/trainer/train';
import { answerBySlidingWindow, MostFrequentTagTagger, pairTerms, textTerms, TfidfLogisticClassifier } from '../baselines';
import { readNer, readNli, readQa, readSentiment } from './datasets';
import { DEFAULT_MODEL_NAMES } from './model-names';

const REPO = resolve(__dirname, '..', '..');
const README = join(REPO, 'README.md');
const START = '<!-- learning-curve:start -->';
const END = '<!-- learning-curve:end -->';
/** Dev rows scored per cell (a fixed sample; SST-2's dev split is smaller and is taken whole). */
const DEV_ROWS = 1000;
const DEV_SAMPLE_SEED = 0;
/** The default models' head seed (scripts/build-default-models.sh). */
const HEAD_SEED = 7;
/**
 * Small subsets get more epochs, up to MAX_EPOCHS, so that every run takes at least MIN_STEPS
 * steps: the default models' budget (one epoch of SST-2, 2,100 steps) would leave a 1 % run 21
 * steps, too few for either start to learn the task. Early stopping ends a run that stops gaining.
 */
export const MIN_STEPS = 400;
export const MAX_EPOCHS = 20;
const PATIENCE = 3;
const QA_SPAN_CHOICES = [1, 2, 3, 4, 5];
/** Tasks whose default model starts from the cased encoder (CASED_TASKS in build-default-models.sh). */
export const CASED_TASKS: ReadonlySet<string> = new Set(['ner']);

type Vocabulary = 'cased' | 'uncased';
const vocabularyOf = (task: string): Vocabulary => (CASED_TASKS.has(task) ? 'cased' : 'uncased');

type TaskName = 'sentiment' | 'nli' | 'ner' | 'qa';
type Start = 'pretrained' | 'random' | 'baseline';

/** Rows of one task as the trainer reads them (JSON lines) and as the baseline reads them. */
interface TaskSpec {
  readonly title: string;
  readonly metric: string;
  readonly trainTask: TrainTask;
  readonly headTask: NewHeadTask;
  readonly labels: readonly string[];
  /** The default models' budget at 100 % (build-default-models.sh). */
  readonly budget: { epochs: number; batchSize: number; learningRate: number; maxSeqLength: number };
  load(): Promise<{ train: unknown[]; dev: unknown[] }>;
  toJsonl(row: unknown): string;
  /** Trains the classic baseline on `train` and scores it on `dev` (0–1, or F1 0–1 for QA). */
  baseline(train: unknown[], dev: unknown[]): number;
}

export interface Cell {
  task: TaskName;
  fraction: number;
  seed: number;
  start: Start;
  rows: number;
  epochs: number;
  score: number;
  seconds: number;
  /** The learning rate the run trained at (the sweep's choice with `--learning-rate auto`). */
  learningRate?: number;
  /** The encoder's vocabulary (pre-trained and random starts); absent on cells measured before the cased one: uncased. */
  vocabulary?: Vocabulary;
}

const cellVocabulary = (c: Pick<Cell, 'vocabulary'>): Vocabulary => c.vocabulary ?? 'uncased';

/** The fraction of rows whose predicted label string is the gold one. */
function labelAccuracy(gold: readonly string[], predicted: readonly string[]): number {
  return gold.filter((g, i) => g === predicted[i]).length / gold.length;
}

const TASKS: Record<TaskName, TaskSpec> = {
  sentiment: {
    title: 'sentiment (SST-2)',
    metric: 'accuracy',
    trainTask: 'classification',
    headTask: 'classification',
    labels: ['negative', 'positive'],
    budget: { epochs: 1, batchSize: 32, learningRate: 2e-4, maxSeqLength: 64 },
    load: async () => ({ train: await readSentiment('train'), dev: await readSentiment('dev') }),
    toJsonl: (r) => JSON.stringify({ text: (r as { text: string }).text, label: (r as { label: string }).label }),
    baseline(train, dev) {
      const rows = train as Array<{ text: string; label: string }>;
      const gold = dev as Array<{ text: string; label: string }>;
      const model = new TfidfLogisticClassifier().fit(
        rows.map((e) => textTerms(e.text)),
        rows.map((e) => e.label),
      );
      return labelAccuracy(
        gold.map((e) => e.label),
        model.predict(gold.map((e) => textTerms(e.text))),
      );
    },
  },
  nli: {
    title: 'NLI (3 classes)',
    metric: 'accuracy',
    trainTask: 'classification',
    headTask: 'classification',
    labels: ['entailment', 'neutral', 'contradiction'],
    budget: { epochs: 3, batchSize: 32, learningRate: 2e-4, maxSeqLength: 128 },
    load: async () => ({ train: readNli('train'), dev: readNli('dev', { includeSick: true }) }),
    toJsonl: (r) => {
      const { premise, hypothesis, label } = r as { premise: string; hypothesis: string; label: string };
      return JSON.stringify({ premise, hypothesis, label });
    },
    baseline(train, dev) {
      type Pair = { premise: string; hypothesis: string; label: string };
      const rows = train as Pair[];
      const gold = dev as Pair[];
      const model = new TfidfLogisticClassifier().fit(
        rows.map((e) => pairTerms(e.premise, e.hypothesis)),
        rows.map((e) => e.label),
      );
      return labelAccuracy(
        gold.map((e) => e.label),
        model.predict(gold.map((e) => pairTerms(e.premise, e.hypothesis))),
      );
    },
  },
  ner: {
    title: 'NER (CoNLL-2003)',
    metric: 'entity F1',
    trainTask: 'ner',
    headTask: 'ner',
    labels: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'],
    budget: { epochs: 8, batchSize: 32, learningRate: 3e-4, maxSeqLength: 128 },
    load: async () => ({ train: await readNer('train'), dev: await readNer('dev') }),
    toJsonl: (r) => JSON.stringify({ tokens: (r as { tokens: string[] }).tokens, tags: (r as { tags: string[] }).tags }),
    baseline(train, dev) {
      const tagger = new MostFrequentTagTagger().fit(train as Array<{ tokens: string[]; tags: string[] }>);
      const gold = dev as Array<{ tokens: string[]; tags: string[] }>;
      return entityScores(
        gold.map((s) => s.tags),
        gold.map((s) => tagger.predict(s.tokens)),
      ).f1;
    },
  },
  qa: {
    title: 'QA (SQuAD 1.1)',
    metric: 'F1',
    trainTask: 'qa',
    headTask: 'qa',
    labels: [],
    budget: { epochs: 2, batchSize: 16, learningRate: 3e-4, maxSeqLength: 256 },
    load: async () => ({ train: await readQa('train'), dev: await readQa('dev') }),
    toJsonl: (r) => {
      const { id, question, context, answers } = r as {
        id: string;
        question: string;
        context: string;
        answers: { text: string[]; answerStart: number[] };
      };
      return JSON.stringify({ id, question, context, answers: { text: answers.text, answer_start: answers.answerStart } });
    },
    baseline(train, dev) {
      type Q = { id: string; question: string; context: string; answers: { text: string[] } };
      const f1 = (rows: Q[], maxSpanWords: number): number =>
        squadEvaluate(
          rows.map((e) => ({ id: e.id, answers: e.answers.text })),
          new Map(rows.map((e) => [e.id, answerBySlidingWindow(e.question, e.context, { maxSpanWords })?.text ?? ''])),
          'v1.1',
        ).f1 / 100;
      // The span length is the baseline's one parameter, chosen on its training rows.
      const span = QA_SPAN_CHOICES.reduce((best, s) => (f1(train as Q[], s) > f1(train as Q[], best) ? s : best));
      return f1(dev as Q[], span);
    },
  },
};

/** The first ceil(fraction · n) rows of a seeded permutation: each seed its own subset. */
export function subset<T>(rows: readonly T[], fraction: number, seed: number): T[] {
  if (fraction >= 1) return [...rows];
  const order = new Rng(seed).permutation(rows.length);
  return order.slice(0, Math.ceil(fraction * rows.length)).map((i) => rows[i]);
}

export function epochsFor(spec: Pick<TaskSpec, 'budget'>, rows: number): number {
  const needed = Math.ceil((MIN_STEPS * spec.budget.batchSize) / rows);
  return Math.min(MAX_EPOCHS, Math.max(spec.budget.epochs, needed));
}

function readResults(file: string): Cell[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Cell[]) : [];
}

/** The same measurement; the baseline does not depend on the encoder, so any vocabulary's serves. */
const sameCell = (a: Omit<Cell, 'rows' | 'epochs' | 'score' | 'seconds'>, b: Cell): boolean =>
  a.task === b.task &&
  a.fraction === b.fraction &&
  a.seed === b.seed &&
  a.start === b.start &&
  (a.start === 'baseline' || cellVocabulary(a) === cellVocabulary(b));

type Encoders = Record<'pretrained' | 'random', string>;

async function run(options: {
  encoders: Record<Vocabulary, Encoders | undefined>;
  tasks: TaskName[];
  fractions: number[];
  seeds: number[];
  fullSeeds: number[];
  threads: number;
  results: string;
  /** Candidates for the trainer's sweep; none: each task's fixed budget rate. */
  learningRates?: readonly number[];
}): Promise<void> {
  const work = join(resolve(options.results, '..'), 'work');
  mkdirSync(work, { recursive: true });
  for (const task of options.tasks) {
    const spec = TASKS[task];
    const data = await spec.load();
    const dev = data.dev.length > DEV_ROWS ? subset(data.dev, DEV_ROWS / data.dev.length, DEV_SAMPLE_SEED).slice(0, DEV_ROWS) : data.dev;
    const devFile = join(work, `${task}-dev.jsonl`);
    writeFileSync(devFile, `${dev.map((r) => spec.toJsonl(r)).join('\n')}\n`);
    const vocabulary = vocabularyOf(task);
    const encoders = options.encoders[vocabulary];
    if (!encoders) throw new Error(`${task} is measured on the cased encoder (CASED_TASKS): pass --pretrained-cased and --random-cased`);
    const heads: Encoders = { pretrained: '', random: '' };
    for (const start of ['pretrained', 'random'] as const) {
      heads[start] = join(work, `${task}-${vocabulary === 'cased' ? 'cased-' : ''}${start}-head`);
      if (!existsSync(join(heads[start], 'config.json'))) {
        newHeadModelDir({
          modelDir: encoders[start],
          task: spec.headTask,
          labels: spec.labels,
          outDir: heads[start],
          seed: HEAD_SEED,
          overwrite: true,
        });
      }
    }
    for (const fraction of options.fractions) {
      for (const seed of fraction >= 1 ? options.fullSeeds : options.seeds) {
        const rows = subset(data.train, fraction, seed);
        const trainFile = join(work, `${task}-${fraction}-${seed}.jsonl`);
        writeFileSync(trainFile, `${rows.map((r) => spec.toJsonl(r)).join('\n')}\n`);
        const epochs = epochsFor(spec, rows.length);
        for (const start of ['baseline', 'pretrained', 'random'] as const) {
          const key = { task, fraction, seed, start, ...(start === 'baseline' ? {} : { vocabulary }) };
          if (readResults(options.results).some((c) => sameCell(key, c))) continue;
          const t0 = performance.now();
          let score: number;
          let learningRate: number | undefined;
          if (start === 'baseline') {
            score = spec.baseline(rows, dev);
          } else {
            const result = await train(
              resolveTrainOptions({
                modelDir: heads[start],
                task: spec.trainTask,
                trainFile,
                validationFile: devFile,
                outDir: join(work, 'out'),
                overwrite: true,
                method: 'full',
                ...spec.budget,
                epochs,
                warmupRatio: 0.06,
                weightDecay: 0.01,
                groupByLength: true,
                patience: PATIENCE,
                seed,
                threads: options.threads,
                learningRates: options.learningRates,
              }),
            );
            learningRate = result.metrics.learning_rate_sweep?.chosen ?? spec.budget.learningRate;
            // The trainer reports SQuAD F1 in points, as the official script does; the table takes 0–1.
            score = result.metrics.selected.metrics.score / (task === 'qa' ? 100 : 1);
          }
          const cell: Cell = {
            ...key,
            ...(learningRate === undefined ? {} : { learningRate }),
            rows: rows.length,
            epochs: start === 'baseline' ? 0 : epochs,
            score,
            seconds: (performance.now() - t0) / 1000,
          };
          writeFileSync(options.results, `${JSON.stringify([...readResults(options.results), cell], null, 1)}\n`);
          console.error(
            `${task} ${fraction * 100}% seed ${seed} ${start}: ${(100 * score).toFixed(1)} (${rows.length} rows, ${cell.seconds.toFixed(0)} s)`,
          );
        }
      }
    }
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function summary(scores: readonly number[]): string {
  if (scores.length === 0) return '—';
  const m = (100 * mean(scores)).toFixed(1);
  if (scores.length === 1) return m;
  const sd = Math.sqrt(scores.reduce((a, s) => a + (s - mean(scores)) ** 2, 0) / (scores.length - 1));
  return `${m} ± ${(100 * sd).toFixed(1)}`;
}

/** A whole-training-set row from the default-model build: scores 0–1 on the whole dev split, one seed. */
export interface BuildRow {
  rows: number;
  pretrained: number;
  random: number;
  baseline: number;
}

/**
 * The 100 % row of each task from its shipped model's metrics.json (the build's comparison runs),
 * where the results have no 100 % cells: the build already trained both starts on every row.
 */
export function buildRows(modelsDir: string): Partial<Record<TaskName, BuildRow>> {
  const out: Partial<Record<TaskName, BuildRow>> = {};
  for (const task of Object.keys(TASKS) as TaskName[]) {
    const file = join(modelsDir, DEFAULT_MODEL_NAMES[task], 'metrics.json');
    if (!existsSync(file)) continue;
    const m = JSON.parse(readFileSync(file, 'utf8')) as {
      fine_tuning: { data: { train_examples: number } };
      comparison: Record<'a_pretrained_fine_tuned' | 'b_random_init_same_budget' | 'c_baseline', Record<string, number>>;
    };
    // QA's scores are in points (the official script's), the baseline's F1 too; the others 0–1.
    const value = (x: Record<string, number>): number => (task === 'qa' ? x.f1 / 100 : task === 'ner' ? x.f1 : x.accuracy);
    out[task] = {
      rows: m.fine_tuning.data.train_examples,
      pretrained: value(m.comparison.a_pretrained_fine_tuned),
      random: value(m.comparison.b_random_init_same_budget),
      baseline: value(m.comparison.c_baseline),
    };
  }
  return out;
}

export function render(allCells: readonly Cell[], full: Partial<Record<TaskName, BuildRow>> = {}): string {
  // Each task's trained starts on the encoder its default model ships with.
  const cells = allCells.filter((c) => c.start === 'baseline' || cellVocabulary(c) === vocabularyOf(c.task));
  const trained = cells.filter((c) => c.start !== 'baseline');
  const rates = [...new Set(trained.map((c) => c.learningRate))].filter((r): r is number => r !== undefined).sort((a, b) => a - b);
  const sweep =
    rates.length > 0
      ? `the learning rate chosen per run by the trainer's sweep on the dev rows (chosen: ${rates.map((r) => `${r} ×${trained.filter((c) => c.learningRate === r).length}`).join(', ')})`
      : "each task's fixed learning rate";
  const lines = [
    START,
    `Dev scores in % (mean ± standard deviation over seeds; one figure where one seed ran). (a) the \`berth-mini\` encoder pre-trained (its cased twin for ${[...CASED_TASKS].join(', ')}, as the default models), then fine-tuned; (b) the same architecture from its random initialisation, same head seed, same budget; (c) the classic baseline trained on the same rows. Each seed draws its own training subset; at most ${DEV_ROWS} dev rows, the same for every cell. Budget per task as the default models' build (epochs, batch, length), with at least ${MIN_STEPS} steps (up to ${MAX_EPOCHS} epochs) on small subsets and early stopping after ${PATIENCE} epochs without improvement; ${sweep}. Rebuilt by \`scripts/defaults/learning-curve.ts\`.`,
    '',
    ...(Object.keys(full).length > 0
      ? [
          "100 % rows marked *build*: the default-model build's own runs on the whole training set, scored on the whole dev split, one seed, with the build's budget (read from each shipped model's `metrics.json`).",
          '',
        ]
      : []),
    '| task | labelled rows | seeds | (a) pre-trained | (b) random init | (c) baseline | (a) − (b) |',
    '| --- | --- | --- | --: | --: | --: | --: |',
  ];
  for (const task of Object.keys(TASKS) as TaskName[]) {
    const fractions = [...new Set(cells.filter((c) => c.task === task).map((c) => c.fraction))].sort((a, b) => a - b);
    for (const fraction of fractions) {
      const of = (start: Start) => cells.filter((c) => c.task === task && c.fraction === fraction && c.start === start);
      const [a, b] = [of('pretrained'), of('random')];
      // The baseline over the same seeds (subsets) as the trained starts, when they have any yet.
      const trainedSeeds = new Set([...a, ...b].map((x) => x.seed));
      const c = of('baseline').filter((x) => trainedSeeds.size === 0 || trainedSeeds.has(x.seed));
      const seeds = new Set([...a, ...b].map((x) => x.seed)).size;
      const rows = (a[0] ?? b[0] ?? c[0]).rows;
      const gap = a.length && b.length ? `${(100 * (mean(a.map((x) => x.score)) - mean(b.map((x) => x.score)))).toFixed(1)}` : '—';
      lines.push(
        `| ${TASKS[task].title}, ${TASKS[task].metric} | ${fraction * 100} % (${rows}) | ${seeds} | ${summary(a.map((x) => x.score))} | ${summary(b.map((x) => x.score))} | ${summary(c.map((x) => x.score))} | ${gap} |`,
      );
    }
    const whole = full[task];
    if (whole && !fractions.includes(1)) {
      const pct = (x: number): string => (100 * x).toFixed(1);
      lines.push(
        `| ${TASKS[task].title}, ${TASKS[task].metric} | 100 % (${whole.rows}) | 1, *build* | ${pct(whole.pretrained)} | ${pct(whole.random)} | ${pct(whole.baseline)} | ${(100 * (whole.pretrained - whole.random)).toFixed(1)} |`,
      );
    }
  }
  lines.push(END);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pretrained: { type: 'string', default: join(REPO, 'models', 'berth-mini') },
      random: { type: 'string' },
      'pretrained-cased': { type: 'string' },
      'random-cased': { type: 'string' },
      tasks: { type: 'string', default: 'sentiment,nli,ner,qa' },
      fractions: { type: 'string', default: '0.01,0.1,1' },
      seeds: { type: 'string', default: '42,1,2' },
      'full-seeds': { type: 'string', default: '42' },
      threads: { type: 'string', default: '1' },
      results: { type: 'string', default: '/tmp/berth-curve/results.json' },
      // Where the packaged default models are: the 100 % rows come from their metrics.json.
      models: { type: 'string', default: join(REPO, 'models') },
      'learning-rate': { type: 'string', default: 'auto' },
      render: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
  });
  const numbers = (s: string): number[] => s.split(',').map(Number);
  mkdirSync(resolve(values.results, '..'), { recursive: true });
  if (!values.render) {
    if (!values.random) throw new Error('--random <dir>: the random initialisation the pre-training started from (berth init-model)');
    const tasks = values.tasks.split(',') as TaskName[];
    for (const t of tasks) if (!(t in TASKS)) throw new Error(`unknown task ${t}; one of ${Object.keys(TASKS).join(', ')}`);
    await run({
      encoders: {
        uncased: { pretrained: values.pretrained, random: values.random },
        cased:
          values['pretrained-cased'] && values['random-cased']
            ? { pretrained: values['pretrained-cased'], random: values['random-cased'] }
            : undefined,
      },
      tasks,
      fractions: numbers(values.fractions),
      seeds: numbers(values.seeds),
      fullSeeds: numbers(values['full-seeds']),
      threads: Number(values.threads),
      results: values.results,
      learningRates:
        values['learning-rate'] === 'auto'
          ? AUTO_LEARNING_RATES
          : values['learning-rate'] === 'fixed'
            ? undefined
            : numbers(values['learning-rate']),
    });
  }
  const table = render(readResults(values.results), buildRows(values.models));
  process.stdout.write(`${table}\n`);
  if (values.write) {
    const readme = readFileSync(README, 'utf8');
    if (!readme.includes(START)) throw new Error(`README.md has no ${START} marker`);
    writeFileSync(README, readme.slice(0, readme.indexOf(START)) + table + readme.slice(readme.indexOf(END) + END.length));
    console.error(`wrote ${README}`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
