/**
 * Classic baselines for the four default tasks, trained on the train splits of the shared data
 * and scored on the dev splits (column (c) of the default models' table):
 * - sentiment (SST-2): TF-IDF word uni+bigrams + logistic regression, accuracy;
 * - NLI: TF-IDF of premise and hypothesis terms + logistic regression, accuracy (SICK rows left
 *   out of training for license reasons; dev scored whole and without SICK);
 * - NER (CoNLL-2003): most frequent tag per word, entity F1 as conlleval counts it;
 * - QA (SQuAD v1.1 rebuild): the SQuAD paper's sliding-window baseline, official EM and F1; its
 *   longest candidate is chosen on the train split.
 *
 * Usage (from the repository root):
 *   node scripts/run-ts.js scripts/defaults/baselines.ts [out.json]
 * Writes a markdown table to stdout and everything to out.json (default /tmp/berth-baselines.json).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { answerBySlidingWindow, MostFrequentTagTagger, pairTerms, textTerms, TfidfLogisticClassifier } from '../baselines';
import { QaExample } from '../../src/trainer/data/readers/qa';
import { accuracy, entityScores, squadEvaluate } from '../../src/trainer/evaluation';
import { isSick, readNer, readNli, readQa, readSentiment, sharedDataRoot } from './datasets';

const OUTPUT_JSON = process.argv[2] ?? '/tmp/berth-baselines.json';
/** Candidate lengths tried on the QA train split; SQuAD answers are mostly 1 to 4 words. */
const QA_SPAN_CHOICES = [1, 2, 3, 4, 5];

interface Timed<T> {
  result: T;
  seconds: number;
}

async function timed<T>(work: () => T | Promise<T>): Promise<Timed<T>> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

function labelAccuracy(gold: readonly string[], predicted: readonly string[]): number {
  const ids = new Map([...new Set([...gold, ...predicted])].sort().map((label, i) => [label, i]));
  return accuracy(
    gold.map((g) => ids.get(g)!),
    predicted.map((p) => ids.get(p)!),
  );
}

async function sentimentBaseline() {
  const [train, dev] = [await readSentiment('train'), await readSentiment('dev')];
  const classifier = new TfidfLogisticClassifier().fit(
    train.map((e) => textTerms(e.text)),
    train.map((e) => e.label),
  );
  const predicted = classifier.predict(dev.map((e) => textTerms(e.text)));
  return {
    method: 'TF-IDF (sublinear tf, l2, word 1-2-grams) + logistic regression (L2, C = 1, L-BFGS)',
    train: train.length,
    dev: dev.length,
    features: classifier.vectorizer.size,
    optimizer: classifier.model.training,
    accuracy: labelAccuracy(
      dev.map((e) => e.label),
      predicted,
    ),
  };
}

function nliBaseline() {
  const train = readNli('train');
  const dev = readNli('dev', { includeSick: true });
  const classifier = new TfidfLogisticClassifier().fit(
    train.map((e) => pairTerms(e.premise, e.hypothesis)),
    train.map((e) => e.label),
  );
  const predicted = classifier.predict(dev.map((e) => pairTerms(e.premise, e.hypothesis)));
  const subset = (keep: (i: number) => boolean) => {
    const rows = dev.map((_, i) => i).filter(keep);
    return {
      rows: rows.length,
      accuracy: labelAccuracy(
        rows.map((i) => dev[i].label),
        rows.map((i) => predicted[i]),
      ),
    };
  };
  const bySource: Record<string, { rows: number; accuracy: number }> = {};
  for (const source of [...new Set(dev.map((e) => e.source))].sort()) bySource[source] = subset((i) => dev[i].source === source);
  return {
    method:
      'TF-IDF over premise terms "p:", hypothesis terms "h:" (word 1-2-grams) and hypothesis words absent from the premise "new:" + logistic regression (L2, C = 1, L-BFGS)',
    train: train.length,
    trainNote: 'SICK rows (non-commercial license) left out of training',
    features: classifier.vectorizer.size,
    optimizer: classifier.model.training,
    dev: subset(() => true),
    devWithoutSick: subset((i) => !isSick(dev[i])),
    bySource,
  };
}

async function nerBaseline() {
  const [train, dev] = [await readNer('train'), await readNer('dev')];
  const tagger = new MostFrequentTagTagger().fit(train);
  const scores = entityScores(
    dev.map((s) => s.tags),
    dev.map((s) => tagger.predict(s.tokens)),
  );
  return {
    method: 'most frequent training tag per word (exact word form; unknown words → O)',
    train: train.length,
    dev: dev.length,
    knownWords: tagger.knownWords,
    f1: scores.f1,
    precision: scores.precision,
    recall: scores.recall,
    tokenAccuracy: scores.accuracy,
    perType: scores.perType,
  };
}

function squadScores(examples: readonly QaExample[], maxSpanWords: number) {
  const predictions = new Map(examples.map((e) => [e.id, answerBySlidingWindow(e.question, e.context, { maxSpanWords })?.text ?? '']));
  return squadEvaluate(
    examples.map((e) => ({ id: e.id, answers: e.answers.text })),
    predictions,
    'v1.1',
  );
}

async function qaBaseline() {
  const [train, dev] = [await readQa('train'), await readQa('dev')];
  const onTrain = QA_SPAN_CHOICES.map((span) => ({ maxSpanWords: span, ...squadScores(train, span) }));
  const chosen = onTrain.reduce((best, row) => (row.f1 > best.f1 ? row : best));
  const scores = squadScores(dev, chosen.maxSpanWords);
  return {
    method: 'sliding window + distance (Rajpurkar et al. 2016 §5; Richardson et al. 2013) over word-span candidates',
    train: train.length,
    dev: dev.length,
    maxSpanWords: chosen.maxSpanWords,
    trainSearch: onTrain.map(({ maxSpanWords, exactMatch, f1 }) => ({ maxSpanWords, exactMatch, f1 })),
    exactMatch: scores.exactMatch,
    f1: scores.f1,
  };
}

const pct = (x: number): string => (100 * x).toFixed(1);

async function main(): Promise<void> {
  const started = Date.now();
  console.error(`data: ${sharedDataRoot()}`);
  const sentiment = await timed(sentimentBaseline);
  console.error(`sentiment done in ${sentiment.seconds.toFixed(1)} s`);
  const nli = await timed(nliBaseline);
  console.error(`nli done in ${nli.seconds.toFixed(1)} s`);
  const ner = await timed(nerBaseline);
  console.error(`ner done in ${ner.seconds.toFixed(1)} s`);
  const qa = await timed(qaBaseline);
  console.error(`qa done in ${qa.seconds.toFixed(1)} s`);

  const rows = [
    '| task | dev rows | baseline (c) | metric | score | time (s) |',
    '|---|---:|---|---|---:|---:|',
    `| sentiment (SST-2) | ${sentiment.result.dev} | TF-IDF + logistic regression | accuracy | ${pct(sentiment.result.accuracy)} | ${sentiment.seconds.toFixed(1)} |`,
    `| NLI (all dev) | ${nli.result.dev.rows} | TF-IDF pair features + logistic regression | accuracy | ${pct(nli.result.dev.accuracy)} | ${nli.seconds.toFixed(1)} |`,
    `| NLI (dev without SICK) | ${nli.result.devWithoutSick.rows} | same model | accuracy | ${pct(nli.result.devWithoutSick.accuracy)} | |`,
    `| NER (CoNLL-2003) | ${ner.result.dev} sentences | most frequent tag per word | entity F1 (P / R) | ${pct(ner.result.f1)} (${pct(ner.result.precision)} / ${pct(ner.result.recall)}) | ${ner.seconds.toFixed(1)} |`,
    `| QA (SQuAD v1.1) | ${qa.result.dev} | sliding window (max ${qa.result.maxSpanWords} words) | EM / F1 | ${qa.result.exactMatch.toFixed(1)} / ${qa.result.f1.toFixed(1)} | ${qa.seconds.toFixed(1)} |`,
  ];
  console.log(rows.join('\n'));
  const total = (Date.now() - started) / 1000;
  const report = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    totalSeconds: total,
    sentiment: { ...sentiment.result, seconds: sentiment.seconds },
    nli: { ...nli.result, seconds: nli.seconds },
    ner: { ...ner.result, seconds: ner.seconds },
    qa: { ...qa.result, seconds: qa.seconds },
  };
  writeFileSync(OUTPUT_JSON, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten ${OUTPUT_JSON}; total ${total.toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
