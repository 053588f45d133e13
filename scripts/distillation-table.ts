/**
 * Rebuilds the distillation table of docs/pretraining-objectives.md: each shipped task model
 * (the teacher) against a student with half its layers (alternate ones) distilled from it, and the
 * same student trained on the labels alone with the same steps. Columns: parameters, ONNX file
 * size (float32, built by the engine for both), sequences per second at 128 tokens (batch 32, one
 * ONNX Runtime thread, teacher and student timed in the same run) and the dev score.
 *
 * Usage: node scripts/run-ts.js scripts/distillation-table.ts [--write]
 * Reads the shared datasets (BERTH_SHARED_DATA, default ../shared/data); about 25 minutes on two cores.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TrainTask, resolveTrainOptions } from '../src/trainer/options';
import { evaluateModel, train } from '../src/trainer/train';
import { sharedDataRoot } from './defaults/datasets';
import { modelSize, throughput } from './defaults/model-speed';

const REPO = resolve(__dirname, '..');
const DOC = join(REPO, 'docs', 'pretraining-objectives.md');
const START = '<!-- distillation-table:start -->';
const END = '<!-- distillation-table:end -->';
const SETTINGS = { temperature: 2, alpha: 0.5, epochs: 2, learningRate: 3e-4, batchSize: 32, maxSeqLength: 128 };
/** Each student is trained once per seed (data order, dropout); scores are the mean with the range. */
const SEEDS = [42, 1, 2];

interface TaskCase {
  readonly name: string;
  readonly teacher: string;
  readonly task: TrainTask;
  readonly metric: string;
  /**
   * Writes the training, dev and transfer files into `dir`; returns their paths and sizes. The
   * transfer set is as many other training texts as there are training rows, without labels.
   */
  prepare(dir: string): { train: string; dev: string; transfer: string; trainRows: number; devRows: number; transferRows: number };
}

/** CoNLL sentences (blank-line separated, -DOCSTART- dropped). */
function conllSentences(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\n\s*\n/)
    .map((s) =>
      s
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('-DOCSTART-'))
        .join('\n'),
    )
    .filter((s) => s !== '');
}

const CASES: readonly TaskCase[] = [
  {
    name: 'sentiment (SST-2)',
    teacher: 'berth-mini-sentiment',
    task: 'classification',
    metric: 'accuracy',
    prepare(dir) {
      const root = join(sharedDataRoot(), 'sentiment', 'sst2');
      const [header, ...lines] = readFileSync(join(root, 'train.tsv'), 'utf8').trim().split('\n');
      // Whole sentences rather than SST-2's phrases: every 20th row of at least five words.
      const sentences = (offset: number) => lines.filter((l, i) => i % 20 === offset && l.split('\t')[0].trim().split(/\s+/).length >= 5);
      const rows = sentences(3).slice(0, 3000);
      const transfer = sentences(13)
        .slice(0, rows.length)
        .map((l) => l.split('\t')[0].trim());
      const dev = readFileSync(join(root, 'dev.tsv'), 'utf8').trim().split('\n');
      writeFileSync(join(dir, 'sst2-train.tsv'), `${header}\n${rows.join('\n')}\n`);
      writeFileSync(join(dir, 'sst2-transfer.txt'), `${transfer.join('\n')}\n`);
      writeFileSync(join(dir, 'sst2-dev.tsv'), `${dev.join('\n')}\n`);
      return {
        train: join(dir, 'sst2-train.tsv'),
        dev: join(dir, 'sst2-dev.tsv'),
        transfer: join(dir, 'sst2-transfer.txt'),
        trainRows: rows.length,
        devRows: dev.length - 1,
        transferRows: transfer.length,
      };
    },
  },
  {
    name: 'NER (CoNLL-2003)',
    teacher: 'berth-mini-ner',
    task: 'ner',
    metric: 'entity F1',
    prepare(dir) {
      const root = join(sharedDataRoot(), 'ner', 'conll2003');
      const all = conllSentences(join(root, 'train.txt'));
      const train = all.filter((_, i) => i % 14 === 5).slice(0, 1000);
      // The words of other training sentences, one sentence per line, without their tags.
      const transfer = all
        .filter((_, i) => i % 14 === 9)
        .slice(0, train.length)
        .map((sentence) =>
          sentence
            .split('\n')
            .map((line) => line.split(/\s+/)[0])
            .join(' '),
        );
      const dev = conllSentences(join(root, 'valid.txt')).slice(0, 500);
      writeFileSync(join(dir, 'conll-train.txt'), `${train.join('\n\n')}\n`);
      writeFileSync(join(dir, 'conll-transfer.txt'), `${transfer.join('\n')}\n`);
      writeFileSync(join(dir, 'conll-dev.txt'), `${dev.join('\n\n')}\n`);
      return {
        train: join(dir, 'conll-train.txt'),
        dev: join(dir, 'conll-dev.txt'),
        transfer: join(dir, 'conll-transfer.txt'),
        trainRows: train.length,
        devRows: dev.length,
        transferRows: transfer.length,
      };
    },
  },
];

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** "80.1 [79.4–80.9] (99 % of the teacher)" for several seeds, "80.7 (100 % of the teacher)" for one score. */
function scoreCell(scores: readonly number[], teacher: number): string {
  const m = mean(scores);
  const range = scores.length > 1 ? ` [${(100 * Math.min(...scores)).toFixed(1)}–${(100 * Math.max(...scores)).toFixed(1)}]` : '';
  return `${(100 * m).toFixed(1)}${range} (${((100 * m) / teacher).toFixed(0)} % of the teacher)`;
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const work = mkdtempSync(join(tmpdir(), 'berth-distill-table-'));
  const lines: string[] = [];
  const summaries: string[] = [];
  try {
    for (const c of CASES) {
      const teacherDir = join(REPO, 'models', c.teacher);
      const data = c.prepare(work);
      const common = {
        task: c.task,
        trainFile: data.train,
        validationFile: data.dev,
        studentLayers: 2,
        epochs: SETTINGS.epochs,
        learningRate: SETTINGS.learningRate,
        batchSize: SETTINGS.batchSize,
        maxSeqLength: SETTINGS.maxSeqLength,
        threads: 1,
      };
      const t0 = performance.now();
      const teacherScore = (
        await evaluateModel(
          resolveTrainOptions({ ...common, modelDir: teacherDir, outDir: '-', trainFile: data.dev, studentLayers: undefined }),
        )
      ).metrics.score;
      // The transfer run takes more steps per epoch (training and transfer rows); the last student
      // gets as many steps from the labels alone.
      const longEpochs = Math.round((SETTINGS.epochs * (data.trainRows + data.transferRows)) / data.trainRows);
      const students = [
        { key: 'distilled', name: 'student, distilled', epochs: SETTINGS.epochs, distill: true, transfer: false },
        { key: 'labels-only', name: 'student, labels only', epochs: SETTINGS.epochs, distill: false, transfer: false },
        {
          key: 'transfer',
          name: `student, distilled with a transfer set (${data.transferRows} unlabelled rows more)`,
          epochs: SETTINGS.epochs,
          distill: true,
          transfer: true,
        },
        {
          key: 'labels-only-long',
          name: `student, labels only, ${longEpochs} epochs (the transfer run's steps)`,
          epochs: longEpochs,
          distill: false,
          transfer: false,
        },
      ] as const;
      const outDir = (key: string, seed: number): string => join(work, `${c.teacher}-${key}-${seed}`);
      const scoresOf: Record<string, number[]> = Object.fromEntries(students.map((st) => [st.key, []]));
      for (const seed of SEEDS) {
        for (const st of students) {
          const result = await train(
            resolveTrainOptions({
              ...common,
              seed,
              epochs: st.epochs,
              modelDir: teacherDir,
              outDir: outDir(st.key, seed),
              ...(st.distill
                ? {
                    distill: {
                      teacherDir,
                      temperature: SETTINGS.temperature,
                      alpha: SETTINGS.alpha,
                      ...(st.transfer ? { transferFile: data.transfer } : {}),
                    },
                  }
                : {}),
            }),
          );
          scoresOf[st.key].push(result.metrics.selected.metrics.score);
        }
        console.error(`${c.name} seed ${seed}: ${students.map((st) => `${st.key} ${scoresOf[st.key].at(-1)}`).join(', ')}`);
      }
      const models = [teacherDir, ...students.map((st) => outDir(st.key, SEEDS[0]))].map(modelSize);
      const speed = await throughput(models.map((m, i) => ({ bytes: m.onnx, file: i === 0 ? 'teacher' : students[i - 1].key })));
      const scores = [[teacherScore], ...students.map((st) => scoresOf[st.key])];
      const compare = (a: string, b: string, what: string): string => {
        const wins = scoresOf[a].filter((d, i) => d > scoresOf[b][i]).length;
        const ties = scoresOf[a].filter((d, i) => d === scoresOf[b][i]).length;
        return `${what} ahead in ${wins} of ${SEEDS.length} seeds${ties > 0 ? ` (level in ${ties})` : ''}, by ${(100 * (mean(scoresOf[a]) - mean(scoresOf[b]))).toFixed(1)} points on the mean`;
      };
      summaries.push(
        `${c.name}: ${compare('distilled', 'labels-only', 'the distilled student is')}; with the transfer set, ${compare('transfer', 'labels-only-long', 'it is')} against the labels alone with as many steps.`,
      );
      const names = [`teacher \`${c.teacher}\``, ...students.map((st) => st.name)];
      lines.push(
        `| ${c.name}: ${data.trainRows} training rows, ${data.devRows} dev rows | layers | parameters | ONNX MB | seq/s at 128 tokens | dev ${c.metric} |`,
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...models.map(
          (m, i) =>
            `| ${names[i]} | ${m.layers} | ${(m.parameters / 1e6).toFixed(2)} M (${((100 * m.parameters) / models[0].parameters).toFixed(0)} %) | ${(m.onnx.length / 2 ** 20).toFixed(1)} | ${speed[i].toFixed(1)} (${(speed[i] / speed[0]).toFixed(2)}×) | ${scoreCell(scores[i], scores[0][0])} |`,
        ),
        '',
      );
      console.error(`${c.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const settings = `Students: 2 of 4 layers (0 and 3), T = ${SETTINGS.temperature}, α = ${SETTINGS.alpha}, ${SETTINGS.epochs} epochs, learning rate ${SETTINGS.learningRate}, batch ${SETTINGS.batchSize}, seeds ${SEEDS.join(', ')} (dev score: the mean over the seeds, with the lowest and highest in brackets; size and speed of the seed-${SEEDS[0]} students); every student starts from the same weights with the same seed, and the first labels-only student takes the distilled one's steps. The transfer set is other training texts of the task, without their labels, as many as the training rows; the run over both takes twice the steps, and the last student gets as many from the labels alone.`;
  const table = [START, settings, '', ...lines, ...summaries.map((line) => `- ${line}`), END].join('\n');
  process.stdout.write(`${table}\n`);
  if (write) {
    if (!existsSync(DOC) || !readFileSync(DOC, 'utf8').includes(START)) throw new Error(`${DOC} has no ${START} marker`);
    const doc = readFileSync(DOC, 'utf8');
    writeFileSync(DOC, doc.slice(0, doc.indexOf(START)) + table + doc.slice(doc.indexOf(END) + END.length));
    console.error(`wrote ${DOC}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
