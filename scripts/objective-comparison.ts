/**
 * The equal-compute comparison of pre-training objectives (docs/pretraining-objectives.md):
 * one small architecture, pre-trained from the same random initialisation with the same token
 * budget under each objective (`berth pretrain --objective`), then each encoder (and the random
 * initialisation itself, for scale) fine-tuned on the four tasks of the shared data with the same
 * small labelled budget and seeds. Rebuilds the table of the doc between its markers.
 *
 *   node scripts/run-ts.js scripts/objective-comparison.ts [--work DIR] [--steps N] [--examples N]
 *     [--threads N] [--baseline] [--quick] [--render-only]
 *
 * Every finished step leaves its output in the work directory (default /tmp/berth-objectives) and
 * is skipped on a rerun, so a stopped run continues; `--render-only` rewrites the doc from
 * `results.json`. The shared data is read from ../shared/data (or BERTH_SHARED_DATA) and never
 * copied into the repository.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newHeadModelDir } from '../src/trainer/new-head';
import { resolveTrainOptions } from '../src/trainer/options';
import { initModelDir } from '../src/trainer/pretrain/init-model';
import { OBJECTIVES, Objective } from '../src/trainer/pretrain/objectives';
import { PRETRAIN_DEFAULTS, PretrainMetrics, pretrain } from '../src/trainer/pretrain/pretrain';
import { Rng } from '../src/trainer/random';
import { TrainMetricsFile, train } from '../src/trainer/train';
import { readNer, readNli, readQa, readSentiment, sharedDataRoot } from './defaults/datasets';

const ROOT = resolve(__dirname, '..');
const DOC = join(ROOT, 'docs', 'pretraining-objectives.md');
const TOKENIZER = join(ROOT, 'models', 'berth-mini');
const SEED = 42;
const ARCHITECTURE = { preset: 'tiny', max_position_embeddings: 128 };

type Task = 'sentiment' | 'nli' | 'ner' | 'qa';
const TASKS: Task[] = ['sentiment', 'nli', 'ner', 'qa'];
type Encoder = Objective | 'none';

interface Settings {
  work: string;
  steps: number;
  examples: number;
  devExamples: number;
  threads: number;
  /** Also fine-tune the random initialisation (the row that shows what pre-training gives at all). */
  baseline: boolean;
}

const FINE_TUNE: Record<
  Task,
  { task: 'classification' | 'ner' | 'qa'; labels: string[]; epochs: number; batchSize: number; maxSeqLength: number }
> = {
  sentiment: { task: 'classification', labels: ['negative', 'positive'], epochs: 3, batchSize: 16, maxSeqLength: 64 },
  nli: { task: 'classification', labels: ['entailment', 'neutral', 'contradiction'], epochs: 3, batchSize: 16, maxSeqLength: 64 },
  ner: {
    task: 'ner',
    labels: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'],
    epochs: 3,
    batchSize: 16,
    maxSeqLength: 64,
  },
  // Contexts longer than the window are read in overlapping windows (the trainer's doc stride).
  qa: { task: 'qa', labels: [], epochs: 3, batchSize: 16, maxSeqLength: 128 },
};
const FINE_TUNE_LR = 1e-3;
/** QA questions at most (training and dev): each is one to three windows of 128 tokens, the costliest task here. */
const QA_EXAMPLES = { train: 400, dev: 200 };
const PRETRAIN = { batchSize: 32, maxSeqLength: 128, learningRate: 1e-3, warmupRatio: 0.06, weightDecay: 0.01 };

interface Results {
  settings: Settings & { architecture: typeof ARCHITECTURE; tokenizer: string; parameters?: number };
  pretrain: Partial<Record<Objective, { seconds: number; tokens: number; final_train_loss: number; sentence_accuracy?: number }>>;
  scores: Partial<
    Record<Encoder, Partial<Record<Task, { score: number; scoreName: string; seconds: number; extra: Record<string, number> }>>>
  >;
  wall_seconds: Record<string, number>;
  /** Accuracy of always answering the dev set's most frequent label (the floor for sentiment and NLI). */
  majority?: Partial<Record<Task, number>>;
}

function parseArgs(argv: string[]): Settings & { renderOnly: boolean } {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    work: resolve(value('work') ?? (quick ? '/tmp/berth-objectives-quick' : '/tmp/berth-objectives')),
    steps: Number(value('steps') ?? (quick ? 6 : 100)),
    examples: Number(value('examples') ?? (quick ? 64 : 1000)),
    devExamples: quick ? 64 : 500,
    threads: Number(value('threads') ?? 2),
    baseline: argv.includes('--baseline'),
    renderOnly: argv.includes('--render-only'),
  };
}

function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  const order = new Rng(seed).permutation(items.length).slice(0, Math.min(n, items.length));
  return order.sort((a, b) => a - b).map((i) => items[i]);
}

const jsonl = (rows: readonly object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The labelled subsets (same rows for every encoder) and the pre-training text, as task files. */
async function writeTaskFiles(s: Settings): Promise<Record<Task, { train: string; dev: string }>> {
  const dir = join(s.work, 'data');
  const files = Object.fromEntries(
    TASKS.map((t) => [t, { train: join(dir, `${t}-train.jsonl`), dev: join(dir, `${t}-dev.jsonl`) }]),
  ) as Record<Task, { train: string; dev: string }>;
  if (existsSync(files.qa.dev)) return files;
  mkdirSync(dir, { recursive: true });
  const sentiment = (split: 'train' | 'dev', n: number, seed: number) =>
    readSentiment(split).then((rows) =>
      sample(rows, n, seed).map((r) => ({ text: r.text, label: r.label === '1' ? 'positive' : r.label === '0' ? 'negative' : r.label })),
    );
  writeFileSync(files.sentiment.train, jsonl(await sentiment('train', s.examples, 1)));
  writeFileSync(files.sentiment.dev, jsonl(await sentiment('dev', s.devExamples, 2)));
  const nli = (split: 'train' | 'dev', n: number, seed: number) =>
    sample(readNli(split), n, seed).map((r) => ({ premise: r.premise, hypothesis: r.hypothesis, label: r.label }));
  writeFileSync(files.nli.train, jsonl(nli('train', s.examples, 3)));
  writeFileSync(files.nli.dev, jsonl(nli('dev', s.devExamples, 4)));
  const ner = async (split: 'train' | 'dev', n: number, seed: number) =>
    sample(await readNer(split), n, seed).map((r) => ({ tokens: r.tokens, tags: r.tags }));
  writeFileSync(files.ner.train, jsonl(await ner('train', s.examples, 5)));
  writeFileSync(files.ner.dev, jsonl(await ner('dev', s.devExamples, 6)));
  const qa = async (split: 'train' | 'dev', n: number, seed: number) =>
    sample(await readQa(split), n, seed).map((r) => ({
      id: r.id,
      context: r.context,
      question: r.question,
      answers: { text: r.answers.text, answer_start: r.answers.answerStart },
    }));
  writeFileSync(files.qa.train, jsonl(await qa('train', Math.min(s.examples, QA_EXAMPLES.train), 7)));
  writeFileSync(files.qa.dev, jsonl(await qa('dev', Math.min(s.devExamples, QA_EXAMPLES.dev), 8)));
  return files;
}

function majorityRate(file: string): number {
  const counts = new Map<string, number>();
  const rows = readFileSync(file, 'utf8').trim().split('\n');
  for (const line of rows) {
    const label = (JSON.parse(line) as { label: string }).label;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return Math.max(...counts.values()) / rows.length;
}

function loadResults(s: Settings): Results {
  const file = join(s.work, 'results.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Results;
    return { ...saved, settings: { ...saved.settings, ...s } };
  }
  return {
    settings: { ...s, architecture: ARCHITECTURE, tokenizer: 'models/berth-mini (WordPiece, 8,192 tokens)' },
    pretrain: {},
    scores: {},
    wall_seconds: {},
  };
}

function saveResults(s: Settings, r: Results): void {
  writeFileSync(join(s.work, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
}

const log = (msg: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);

async function pretrainAll(s: Settings, r: Results, init: string): Promise<void> {
  const data = join(sharedDataRoot(), 'pretrain', 'gutenberg');
  // Enough text for the budget: the first shards (about 0.9 M tokens each), the last one held out.
  const shards = Math.min(10, Math.max(1, Math.ceil((s.steps * PRETRAIN.batchSize * PRETRAIN.maxSeqLength) / 900_000)));
  const corpus = join(s.work, 'corpus');
  const validation = join(s.work, 'validation.txt');
  if (!existsSync(join(corpus, 'done'))) {
    mkdirSync(corpus, { recursive: true });
    for (let i = 0; i < shards; i++) {
      const name = `gutenberg_en_${String(i).padStart(3, '0')}.txt`;
      writeFileSync(join(corpus, name), readFileSync(join(data, name)));
    }
    // 400 lines of the held-out shard around its first book boundary: two documents, so NSP can draw.
    const heldOut = readFileSync(join(data, 'gutenberg_en_011.txt'), 'utf8').split('\n');
    const boundary = heldOut.findIndex((line) => line.trim() === '');
    writeFileSync(validation, heldOut.slice(Math.max(0, boundary - 200), boundary + 200).join('\n'));
    writeFileSync(join(corpus, 'done'), '');
  }
  for (const objective of OBJECTIVES) {
    if (r.pretrain[objective]) continue;
    const t0 = performance.now();
    const { metrics } = await pretrain({
      ...PRETRAIN_DEFAULTS,
      ...PRETRAIN,
      modelDir: init,
      dataPath: corpus,
      outDir: join(s.work, `pretrain-${objective}`),
      validationFile: validation,
      validationBlocks: 64,
      steps: s.steps,
      objective,
      seed: SEED,
      threads: s.threads,
      logEvery: 50,
      resume: existsSync(join(s.work, `pretrain-${objective}`)),
      checkpointEvery: Math.max(1, Math.floor(s.steps / 4)),
    });
    const seconds = (performance.now() - t0) / 1000;
    r.pretrain[objective] = summary(metrics, seconds);
    log(`pretrain ${objective}: ${seconds.toFixed(0)} s, final train loss ${metrics.final_train_loss.toFixed(3)}`);
    saveResults(s, r);
  }
}

function summary(m: PretrainMetrics, seconds: number): NonNullable<Results['pretrain'][Objective]> {
  return {
    seconds,
    tokens: m.tokens_seen,
    final_train_loss: m.final_train_loss,
    ...(m.validation?.sentence_accuracy !== undefined ? { sentence_accuracy: m.validation.sentence_accuracy } : {}),
  };
}

async function fineTuneAll(s: Settings, r: Results, init: string, files: Record<Task, { train: string; dev: string }>): Promise<void> {
  // The random initialisation (with --baseline) last: it is context for the table, the objectives are the comparison.
  const encoders: Encoder[] = [...OBJECTIVES, ...(s.baseline ? (['none'] as const) : [])];
  for (const encoder of encoders) {
    const encoderDir = encoder === 'none' ? init : join(s.work, `pretrain-${encoder}`, 'model');
    for (const task of TASKS) {
      if (r.scores[encoder]?.[task]) continue;
      const t0 = performance.now();
      const plan = FINE_TUNE[task];
      const headDir = join(s.work, 'heads', `${encoder}-${task}`);
      newHeadModelDir({ modelDir: encoderDir, task: plan.task, labels: plan.labels, outDir: headDir, seed: SEED, overwrite: true });
      const result = await train(
        resolveTrainOptions({
          modelDir: headDir,
          task: plan.task,
          trainFile: files[task].train,
          validationFile: files[task].dev,
          outDir: join(s.work, 'fine-tuned', `${encoder}-${task}`),
          overwrite: true,
          method: 'full',
          epochs: plan.epochs,
          batchSize: plan.batchSize,
          learningRate: FINE_TUNE_LR,
          maxSeqLength: plan.maxSeqLength,
          warmupRatio: 0.06,
          weightDecay: 0.01,
          seed: SEED,
          threads: s.threads,
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      r.scores[encoder] = { ...r.scores[encoder], [task]: scoreOf(result.metrics, seconds) };
      log(
        `${encoder} ${task}: ${result.metrics.selected.metrics.scoreName} ${Number(result.metrics.selected.metrics.score).toFixed(4)} (${seconds.toFixed(0)} s)`,
      );
      saveResults(s, r);
    }
  }
}

function scoreOf(
  m: TrainMetricsFile,
  seconds: number,
): { score: number; scoreName: string; seconds: number; extra: Record<string, number> } {
  const best = m.selected.metrics;
  // The SQuAD script scores in percent; every other score here is a fraction.
  const scale = m.task === 'qa' ? 0.01 : 1;
  const extra: Record<string, number> = {};
  for (const [k, v] of Object.entries(best))
    if (typeof v === 'number' && k !== 'score') extra[k] = k === 'exact_match' || k === 'f1' ? v * scale : v;
  return { score: best.score * scale, scoreName: best.scoreName, seconds, extra };
}

async function main(): Promise<void> {
  const s = parseArgs(process.argv.slice(2));
  const settings: Settings = {
    work: s.work,
    steps: s.steps,
    examples: s.examples,
    devExamples: s.devExamples,
    threads: s.threads,
    baseline: s.baseline,
  };
  mkdirSync(s.work, { recursive: true });
  const r = loadResults(settings);
  const files = await writeTaskFiles(settings);
  r.majority = { sentiment: majorityRate(files.sentiment.dev), nli: majorityRate(files.nli.dev) };
  if (!s.renderOnly) {
    const started = performance.now();
    const init = join(s.work, 'init');
    if (!existsSync(join(init, 'model.safetensors'))) {
      const made = initModelDir({ spec: JSON.stringify(ARCHITECTURE), tokenizerDir: TOKENIZER, outDir: init, seed: SEED, overwrite: true });
      r.settings.parameters = made.parameters;
    }
    await pretrainAll(settings, r, init);
    await fineTuneAll(settings, r, init, files);
    r.wall_seconds[new Date().toISOString()] = (performance.now() - started) / 1000;
    saveResults(settings, r);
  }
  writeFileSync(DOC, renderDoc(r, existsSync(DOC) ? readFileSync(DOC, 'utf8') : ''));
  log(`wrote ${DOC}`);
}

// --- the document --------------------------------------------------------------------------------

const BEGIN = '<!-- objective-comparison:begin (scripts/objective-comparison.ts rewrites this part) -->';
const END = '<!-- objective-comparison:end -->';

const NAMES: Record<Encoder, string> = {
  none: 'no pre-training (random init)',
  mlm: '`mlm` (RoBERTa-style: MLM alone)',
  'mlm+nsp': '`mlm+nsp` (BERT)',
  'mlm+sop': '`mlm+sop` (ALBERT)',
  'span+sbo': '`span+sbo` (SpanBERT)',
};

const fmt = (x: number | undefined, digits = 1): string => (x === undefined ? '—' : (100 * x).toFixed(digits));

export function renderDoc(r: Results, previous: string): string {
  const rows = ([...(r.scores.none ? (['none'] as const) : []), ...OBJECTIVES] as Encoder[]).map((e) => {
    const sc = r.scores[e] ?? {};
    const pt = e === 'none' ? undefined : r.pretrain[e];
    return `| ${NAMES[e]} | ${fmt(sc.sentiment?.score)} | ${fmt(sc.nli?.score)} | ${fmt(sc.ner?.score)} | ${fmt(sc.qa?.extra.exact_match as number | undefined)} / ${fmt(sc.qa?.score)} | ${pt ? pt.final_train_loss.toFixed(3) : '—'} | ${pt?.sentence_accuracy !== undefined ? fmt(pt.sentence_accuracy) : '—'} |`;
  });
  const s = r.settings;
  const pretrainSeconds = Object.values(r.pretrain).reduce((a, p) => a + (p?.seconds ?? 0), 0);
  const fineTuneSeconds = Object.values(r.scores).reduce(
    (a, t) => a + Object.values(t ?? {}).reduce((b, x) => b + (x?.seconds ?? 0), 0),
    0,
  );
  const tokens = Object.values(r.pretrain)[0]?.tokens;
  const body = [
    BEGIN,
    '',
    '## Equal-compute comparison of pre-training objectives',
    '',
    `One architecture (BERT, ${s.architecture.preset} preset: 2 layers, hidden 64, 4 heads, FFN 256, max 128 positions; ${s.parameters?.toLocaleString('en-US') ?? '?'} parameters with the ${s.tokenizer} vocabulary), one random initialisation (seed ${SEED}), and the same budget under each objective: ${s.steps} steps of ${PRETRAIN.batchSize} rows × ${PRETRAIN.maxSeqLength} tokens (${tokens?.toLocaleString('en-US') ?? '?'} token positions; pair rows are padded to the full length, so every objective pays for ${PRETRAIN.maxSeqLength} positions a row), learning rate ${PRETRAIN.learningRate} with 6 % warm-up and linear decay, dropout 0.1, on the first Gutenberg shards of \`../shared/data/pretrain\` (\`berth pretrain --objective …\`). Each encoder${r.scores.none ? ', and the random initialisation for scale,' : ''} then gets a new task head (seed ${SEED}) and full fine-tuning on ${s.examples.toLocaleString('en-US')} labelled examples per task (at most ${QA_EXAMPLES.train} questions for QA; the same rows, the same seed, learning rate ${FINE_TUNE_LR}, ${FINE_TUNE.sentiment.epochs} epochs, batches of 16, 64 tokens a row, 128-token windows for QA), scored on ${s.devExamples} dev examples (${QA_EXAMPLES.dev} questions for QA) at the best epoch.`,
    '',
    '| pre-training | sentiment (SST-2) acc. | NLI acc. | NER (CoNLL-2003) entity F1 | QA (SQuAD 1.1) EM / F1 | final pre-training loss | NSP / SOP dev acc. |',
    '| --- | --: | --: | --: | --: | --: | --: |',
    `| _most frequent dev label_ | ${fmt(r.majority?.sentiment)} | ${fmt(r.majority?.nli)} | 0.0 | 0.0 / 0.0 | — | 50.0 |`,
    ...rows,
    '',
    `Scores in %. The pre-training loss is the mean training loss of the last 100 steps: the MLM loss plus the objective's own head loss (NSP/SOP/SBO), so it compares objectives only loosely. NSP / SOP accuracy is measured on 64 pairs drawn from 400 lines (two books) of the held-out shard (\`gutenberg_en_011.txt\`).`,
    '',
    `Run time on this machine (2 CPU cores shared with other work, ${s.threads} ONNX Runtime threads)${lastWall(r)}: pre-training ${(pretrainSeconds / 60).toFixed(1)} min for the four objectives, fine-tuning and scoring ${(fineTuneSeconds / 60).toFixed(1)} min for the ${Object.values(r.scores).reduce((a, t) => a + Object.keys(t ?? {}).length, 0)} runs. Rebuild with \`node scripts/run-ts.js scripts/objective-comparison.ts${r.scores.none ? ' --baseline' : ''}\` (\`--steps\`, \`--examples\`, \`--threads\`; \`--render-only\` rewrites this section from the saved results).`,
    '',
    '### What the papers claim, and what these numbers say',
    '',
    '| claim | source | here |',
    '| --- | --- | --- |',
    ...CLAIMS.map((c) => `| ${c.claim} | ${c.source} | ${c.verdict(r).text} |`),
    '',
    conclusion(r),
    '',
    END,
  ].join('\n');
  if (previous.includes(BEGIN) && previous.includes(END)) {
    return previous.slice(0, previous.indexOf(BEGIN)) + body + previous.slice(previous.indexOf(END) + END.length);
  }
  return `# Pre-training objectives\n\n${body}\n`;
}

function lastWall(r: Results): string {
  const runs = Object.values(r.wall_seconds);
  return runs.length === 1 ? `, ${(runs[0] / 60).toFixed(1)} min of wall clock for the whole script in one invocation` : '';
}

function taskScore(r: Results, e: Encoder, t: Task): number | undefined {
  return r.scores[e]?.[t]?.score;
}

function mean(r: Results, e: Encoder): number | undefined {
  const xs = TASKS.map((t) => taskScore(r, e, t));
  return xs.every((x) => x !== undefined) ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length : undefined;
}

const pts = (d: number): string => `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)}`;

interface Verdict {
  readonly text: string;
  readonly agrees?: boolean;
}

const NOT_MEASURED: Verdict = { text: 'not measured' };

/** SpanBERT: span masking + SBO against MLM alone, judged on QA (the span-selection task). */
function spanVerdict(r: Results): Verdict {
  const x = taskScore(r, 'span+sbo', 'qa');
  const y = taskScore(r, 'mlm', 'qa');
  const ma = mean(r, 'span+sbo');
  const mb = mean(r, 'mlm');
  if (x === undefined || y === undefined || ma === undefined || mb === undefined) return NOT_MEASURED;
  const agrees = x > y;
  return {
    text: `QA F1 ${pts(x - y)} points against \`mlm\`; mean of the four tasks ${pts(ma - mb)} — ${agrees ? 'agrees on QA' : 'does not agree'}`,
    agrees,
  };
}

/** RoBERTa: MLM alone matches or beats MLM + NSP. */
function nspVerdict(r: Results): Verdict {
  const a = mean(r, 'mlm');
  const b = mean(r, 'mlm+nsp');
  if (a === undefined || b === undefined) return NOT_MEASURED;
  const wins = TASKS.filter((t) => (taskScore(r, 'mlm', t) ?? 0) >= (taskScore(r, 'mlm+nsp', t) ?? 0)).length;
  const agrees = a >= b;
  return {
    text: `\`mlm\` − \`mlm+nsp\`: mean ${pts(a - b)} points, \`mlm\` as good or better on ${wins} of 4 tasks — ${agrees ? 'agrees' : 'does not agree'}`,
    agrees,
  };
}

/** ALBERT: MLM + SOP beats MLM + NSP. */
function sopVerdict(r: Results): Verdict {
  const x = mean(r, 'mlm+sop');
  const y = mean(r, 'mlm+nsp');
  if (x === undefined || y === undefined) return NOT_MEASURED;
  const wins = TASKS.filter((t) => (taskScore(r, 'mlm+sop', t) ?? 0) > (taskScore(r, 'mlm+nsp', t) ?? 0)).length;
  const agrees = x > y;
  return {
    text: `\`mlm+sop\` − \`mlm+nsp\`: mean ${pts(x - y)} points, ahead on ${wins} of 4 tasks — ${agrees ? 'agrees' : 'does not agree'}`,
    agrees,
  };
}

const CLAIMS: ReadonlyArray<{ claim: string; source: string; who: string; verdict: (r: Results) => Verdict }> = [
  {
    claim: 'Span masking with SBO beats token masking, most on span-selection tasks (SQuAD +2 to +3 F1 over their MLM-alone baseline)',
    source: 'SpanBERT (Joshi et al., 2020)',
    who: "SpanBERT's (span masking with SBO helps span tasks)",
    verdict: spanVerdict,
  },
  {
    claim: 'NSP does not help: removing it matches or improves downstream scores',
    source: 'RoBERTa (Liu et al., 2019)',
    who: "RoBERTa's (NSP does not help)",
    verdict: nspVerdict,
  },
  {
    claim: 'SOP beats NSP on downstream tasks (and NSP cannot solve SOP, while SOP solves NSP reasonably)',
    source: 'ALBERT (Lan et al., 2020)',
    who: "ALBERT's (SOP beats NSP)",
    verdict: sopVerdict,
  },
];

function conclusion(r: Results): string {
  const none = mean(r, 'none');
  const best = OBJECTIVES.map((o) => [o, mean(r, o)] as const).filter((x): x is readonly [Objective, number] => x[1] !== undefined);
  if (best.length < OBJECTIVES.length) return 'The comparison has not been run to the end yet.';
  best.sort((a, b) => b[1] - a[1]);
  // A classification task no encoder lifts 2 points above its most frequent label was not learnt at this budget.
  const floorTasks = (['sentiment', 'nli'] as const).filter((t) =>
    OBJECTIVES.every((o) => (taskScore(r, o, t) ?? 0) < (r.majority?.[t] ?? 0) + 0.02),
  );
  const nsp = r.pretrain['mlm+nsp']?.sentence_accuracy;
  const sop = r.pretrain['mlm+sop']?.sentence_accuracy;
  return [
    `Where we agree and where not: the ranking by mean score over the four tasks is ${best.map(([o, m]) => `\`${o}\` ${fmt(m)}`).join(', ')}${none === undefined ? '' : ` (random initialisation ${fmt(none)})`}; of the three claims, ${claimsSummary(r)}.`,
    none !== undefined ? againstRandom(r, best, none) : '',
    floorTasks.length > 0
      ? `${floorTasks.map((t) => (t === 'nli' ? 'NLI' : 'Sentiment')).join(' and ')} stayed within 2 points of always answering the most frequent label for every objective: at this budget the comparison says nothing there.`
      : '',
    nsp !== undefined && sop !== undefined
      ? `On held-out pairs the NSP head reached ${fmt(nsp)} % and the SOP head ${fmt(sop)} % (50 % is chance; 64 pairs, so a few points either way mean little): in ${r.settings.steps} steps the NSP head learnt nothing measurable and the SOP head only a little.`
      : '',
    `These are single runs (one seed) of a very small model after a short pre-training on 19th-century prose, then ${r.settings.examples.toLocaleString('en-US')} labelled examples per task; with one seed, differences of a point or two cannot be told apart from run-to-run noise, and the papers measured their effects at BERT-base scale or larger, with orders of magnitude more pre-training. Read the table as a check that each objective trains and transfers under equal compute, not as a replication.`,
  ]
    .filter((x) => x !== '')
    .join(' ');
}

/** How far the pre-trained encoders' means are from the random initialisation's (a point or less counts as level). */
function againstRandom(r: Results, best: ReadonlyArray<readonly [Objective, number]>, none: number): string {
  const deltas = best.map(([o, m]) => `\`${o}\` ${pts(m - none)}`).join(', ');
  const clearlyAbove = best.filter(([, m]) => m - none > 0.01).length;
  const tokens = (r.pretrain.mlm?.tokens ?? 0).toLocaleString('en-US');
  return clearlyAbove === 0
    ? `Against the random initialisation fine-tuned the same way (mean ${fmt(none)}), the pre-trained encoders' means differ by ${deltas} points: none is more than a point above it, so this little pre-training (${tokens} token positions per objective) has not yet paid for itself, and the differences between objectives are differences between encoders still close to their starting point.`
    : `Against the random initialisation fine-tuned the same way (mean ${fmt(none)}), the pre-trained encoders' means differ by ${deltas} points.`;
}

function claimsSummary(r: Results): string {
  const agree = CLAIMS.filter((c) => c.verdict(r).agrees === true).map((c) => c.who);
  const disagree = CLAIMS.filter((c) => c.verdict(r).agrees === false).map((c) => c.who);
  const list = (xs: string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  if (agree.length === 0) return `none is borne out here (${list(disagree)} do not come out as claimed)`;
  if (disagree.length === 0) return `all three agree in direction: ${list(agree)}`;
  return `${list(agree)} ${agree.length === 1 ? 'is' : 'are'} borne out in direction, ${list(disagree)} ${disagree.length === 1 ? 'is' : 'are'} not`;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
