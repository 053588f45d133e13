/**
 * The accuracy cost of int8: every default model in `models/` scored on its shared dev set through
 * the inference graph the server runs, float32 against int8 weights (plain graph, and fused +
 * int8), with the task metric training reports (accuracy, conlleval entity F1, SQuAD EM/F1).
 * Same rows, batches and sequence lengths as the default-model build evaluates them with.
 *
 *   node scripts/run-ts.js scripts/int8-accuracy.ts [--threads 1] [--write-docs]
 *
 * Prints a Markdown table; with --write-docs it replaces the table in docs/benchmarks.md (between
 * the int8-accuracy markers). Needs the shared data (`../shared/data` or BERTH_SHARED_DATA).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GraphVariant, variantName } from '../src/engine/nn/graph-variant';
import { evaluateServingGraph } from '../src/trainer/evaluate-graph';
import { TrainOptionsInput, resolveTrainOptions } from '../src/trainer/options';
import { readNli, sharedDataRoot } from './defaults/datasets';

const { values: flags } = parseArgs({ options: { threads: { type: 'string' }, 'write-docs': { type: 'boolean' } } });
const THREADS = Number(flags.threads ?? 1);
const ROOT = resolve(__dirname, '..');
const DOCS = join(ROOT, 'docs', 'benchmarks.md');
const BEGIN = '<!-- int8-accuracy:begin (scripts/int8-accuracy.ts --write-docs) -->';
const END = '<!-- int8-accuracy:end -->';

interface TaskRun {
  readonly label: string;
  readonly model: string;
  readonly task: TrainOptionsInput['task'];
  readonly data: (scratch: string) => string;
  readonly maxSeqLength: number;
  readonly batchSize: number;
  /** Metrics to report, the first being the one the acceptance bar reads. */
  readonly metrics: readonly string[];
  /** SQuAD's script reports percentages already; the other metrics are fractions. */
  readonly percent?: boolean;
}

const data = sharedDataRoot();
const RUNS: readonly TaskRun[] = [
  {
    label: 'sentiment (SST-2 dev, 872)',
    model: 'berth-mini-sentiment',
    task: 'classification',
    data: () => join(data, 'sentiment', 'sst2', 'dev.tsv'),
    maxSeqLength: 64,
    batchSize: 32,
    metrics: ['accuracy'],
  },
  {
    label: 'NLI (dev, 2,495 pairs)',
    model: 'berth-mini-nli',
    task: 'nli',
    // As the default-model build writes it: premise, hypothesis, label (SICK rows included).
    data: (scratch) => {
      const file = join(scratch, 'nli-dev.jsonl');
      const rows = readNli('dev', { includeSick: true });
      writeFileSync(
        file,
        rows.map((r) => JSON.stringify({ premise: r.premise, hypothesis: r.hypothesis, label: r.label })).join('\n') + '\n',
      );
      return file;
    },
    maxSeqLength: 128,
    batchSize: 32,
    metrics: ['accuracy'],
  },
  {
    label: 'NER (CoNLL-2003 valid, 3,250 sentences)',
    model: 'berth-mini-ner',
    task: 'ner',
    data: () => join(data, 'ner', 'conll2003', 'valid.txt'),
    maxSeqLength: 128,
    batchSize: 32,
    metrics: ['f1'],
  },
  {
    label: 'QA (SQuAD v1.1 dev, 1,648 questions)',
    model: 'berth-mini-qa',
    task: 'qa',
    data: () => join(data, 'qa', 'squad11', 'dev.json'),
    maxSeqLength: 256,
    batchSize: 16,
    metrics: ['f1', 'exact_match'],
    percent: true,
  },
];

const VARIANTS: readonly GraphVariant[] = [{}, { quantize: 'int8' }, { fused: true, quantize: 'int8' }];

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-int8-accuracy-'));
  const rows: string[] = [];
  let worstDrop = 0;
  try {
    for (const run of RUNS) {
      const file = run.data(scratch);
      const options = resolveTrainOptions({
        modelDir: join(ROOT, 'models', run.model),
        task: run.task,
        trainFile: file,
        validationFile: file,
        outDir: '',
        maxSeqLength: run.maxSeqLength,
        batchSize: run.batchSize,
        threads: THREADS,
        columns: {},
      });
      const scores: Array<Record<string, number | string>> = [];
      for (const variant of VARIANTS) {
        const r = await evaluateServingGraph(options, variant);
        scores.push(r.metrics);
        process.stderr.write(`${run.model} ${variantName(variant)}: ${JSON.stringify(r.metrics)} (${r.wallSeconds.toFixed(1)} s)\n`);
      }
      for (const metric of run.metrics) {
        const [fp32, ...int8] = scores.map((s) => (run.percent ? 1 : 100) * Number(s[metric]));
        const cells = int8.map((v) => `${v.toFixed(2)} (${v - fp32 >= 0 ? '+' : ''}${(v - fp32).toFixed(2)})`);
        worstDrop = Math.max(worstDrop, ...int8.map((v) => fp32 - v));
        rows.push(
          `| ${run.label} | ${metric === 'f1' && run.task === 'ner' ? 'entity F1' : metric.replace('_', ' ')} | ${fp32.toFixed(2)} | ${cells.join(' | ')} |`,
        );
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const table = [
    '| default model, dev set | metric | float32 | int8 (Δ points) | fused + int8 (Δ points) |',
    '|---|---|---:|---:|---:|',
    ...rows,
    '',
    `Largest loss: ${worstDrop.toFixed(2)} points (the acceptance bar is 1 point). Threads: ${THREADS}.`,
  ].join('\n');
  console.log(table);
  if (flags['write-docs']) {
    const doc = readFileSync(DOCS, 'utf8');
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${DOCS}: the int8-accuracy markers are missing`);
    writeFileSync(DOCS, `${doc.slice(0, start + BEGIN.length)}\n${table}\n${doc.slice(end)}`);
    console.log(`\nwrote the table into ${DOCS}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
