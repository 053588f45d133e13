/**
 * Per task: which head it needs, how its files become training and validation features, and how
 * the validation outputs become the task metric. One small adapter per task, like a pipeline.
 */
import { EncoderConfig, HeadKind, labelsOf } from '../engine/formats/config';
import { argmax } from '../tasks/math';
import {
  DatasetError,
  IGNORE_INDEX,
  TrainingFeature,
  labelMapFromId2Label,
  maskRows,
  predictionsPerWord,
  prepareClassification,
  prepareMlm,
  prepareQaEvaluation,
  prepareQaTraining,
  prepareTokenClassification,
  readClassificationDataset,
  readNerDataset,
  readQaDataset,
  readTextCorpus,
} from './data';
import type { DataTokenizer, QaEvaluationFeature, TokenClassificationFeature } from './data';
import type { QaExample } from './data';
import { accuracy, entityScores, macroF1, postprocessQaPredictions, squadEvaluate } from './evaluation';
import { TrainOptions, TrainTask } from './options';
import { Rng } from './random';

/** The head each task trains. */
export const TASK_HEADS: Readonly<Record<TrainTask, HeadKind>> = {
  classification: 'sequence-classification',
  nli: 'sequence-classification',
  ner: 'token-classification',
  qa: 'question-answering',
  mlm: 'masked-lm',
};

/** Validation metrics of one epoch; `score` is what `--select best` maximises. */
export interface EvalMetrics {
  readonly loss: number;
  readonly score: number;
  readonly scoreName: string;
  readonly [metric: string]: number | string;
}

/** The eval graph's outputs for one validation batch. */
export interface EvalBatchOutput {
  readonly rows: readonly number[];
  readonly seqLength: number;
  readonly loss: number;
  readonly outputs: Readonly<Record<string, { data: Float32Array; dims: number[] }>>;
}

export interface TaskData {
  readonly train: TrainingFeature[];
  /** The training rows of an epoch (masked-LM masks afresh each epoch, as HF's collator does per batch). */
  epochFeatures?(epoch: number): TrainingFeature[];
  readonly validation: TrainingFeature[];
  /** Where the validation rows came from (a file, or "held out from <file>"). */
  readonly validationSource: string;
  readonly stats: { trainExamples: number; validationExamples: number; truncated: number };
  /** The task metric from the eval outputs of every validation batch. */
  score(batches: readonly EvalBatchOutput[]): EvalMetrics;
}

/** The sizes of a train/validation split, and how many rows were cut to the maximum length. */
function splitStats(parts: { train: readonly unknown[]; validation: readonly unknown[] }, truncated: number): TaskData['stats'] {
  return { trainExamples: parts.train.length, validationExamples: parts.validation.length, truncated };
}

/** A seeded hold-out: which example indices go to validation (10% by default, at least one). */
export function holdOut(count: number, share: number, seed: number): { train: number[]; validation: number[] } {
  if (count < 2) throw new RangeError('a held-out split needs at least 2 rows');
  const order = new Rng(seed).permutation(count);
  const n = Math.min(count - 1, Math.max(1, Math.round(count * share)));
  const validation = order.slice(0, n).sort((a, b) => a - b);
  const held = new Set(validation);
  return { train: order.filter((i) => !held.has(i)).sort((a, b) => a - b), validation };
}

function split<T>(examples: T[], validation: T[] | undefined, options: TrainOptions): { train: T[]; validation: T[]; source: string } {
  if (validation) return { train: examples, validation, source: options.validationFile as string };
  const parts = holdOut(examples.length, options.validationSplit, options.seed);
  return {
    train: parts.train.map((i) => examples[i]),
    validation: parts.validation.map((i) => examples[i]),
    source: `${Math.round(options.validationSplit * 100)}% held out from ${options.trainFile}`,
  };
}

function meanLoss(batches: readonly EvalBatchOutput[]): number {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    sum += b.loss * b.rows.length;
    n += b.rows.length;
  }
  return n === 0 ? NaN : sum / n;
}

async function classificationTask(
  options: TrainOptions,
  config: EncoderConfig,
  tokenizer: DataTokenizer,
  maxLength: number,
): Promise<TaskData> {
  const columns = { textColumn: options.columns.text, textPairColumn: options.columns.textPair, labelColumn: options.columns.label };
  const trainSet = await readClassificationDataset(options.trainFile, columns);
  const validSet = options.validationFile ? await readClassificationDataset(options.validationFile, columns) : undefined;
  if (options.task === 'nli' && trainSet.columns.textPair === undefined) {
    throw new DatasetError(trainSet.file, 'an NLI dataset needs a second text column (text_pair, hypothesis or sentence2)');
  }
  const { label2id } = labelMapFromId2Label(config.id2label);
  if (Object.keys(label2id).length === 0) throw new DatasetError('config.json', 'the model has no labels (id2label is empty)');
  const parts = split(trainSet.examples, validSet?.examples, options);
  const prep = (rows: typeof parts.train, file: string) =>
    prepareClassification(rows, tokenizer, { maxLength, label2id, file, labelField: trainSet.columns.label });
  const train = await prep(parts.train, trainSet.file);
  const validation = await prep(parts.validation, validSet?.file ?? trainSet.file);
  const classes = labelsOf(config).map((_, i) => i);
  return {
    train: train.features,
    validation: validation.features,
    validationSource: parts.source,
    stats: splitStats(parts, train.truncated + validation.truncated),
    score(batches) {
      const gold: number[] = [];
      const predicted: number[] = [];
      for (const b of batches) {
        const logits = b.outputs.logits;
        const width = logits.dims[1];
        b.rows.forEach((row, i) => {
          gold.push(validation.features[row].label);
          predicted.push(argmax(logits.data.subarray(i * width, (i + 1) * width)));
        });
      }
      const acc = accuracy(gold, predicted);
      return { loss: meanLoss(batches), accuracy: acc, macro_f1: macroF1(gold, predicted, classes), score: acc, scoreName: 'accuracy' };
    },
  };
}

async function nerTask(options: TrainOptions, config: EncoderConfig, tokenizer: DataTokenizer, maxLength: number): Promise<TaskData> {
  const trainSet = await readNerDataset(options.trainFile);
  const validSet = options.validationFile ? await readNerDataset(options.validationFile) : undefined;
  const { label2id, id2label } = labelMapFromId2Label(config.id2label);
  const parts = split(trainSet.examples, validSet?.examples, options);
  const train = await prepareTokenClassification(parts.train, tokenizer, { maxLength, label2id, file: trainSet.file });
  const validation = await prepareTokenClassification(parts.validation, tokenizer, {
    maxLength,
    label2id,
    file: validSet?.file ?? trainSet.file,
  });
  return {
    train: train.features,
    validation: validation.features,
    validationSource: parts.source,
    stats: splitStats(parts, train.truncated + validation.truncated),
    score(batches) {
      const gold: string[][] = [];
      const predicted: string[][] = [];
      for (const b of batches) {
        const logits = b.outputs.logits;
        const classes = logits.dims[2];
        b.rows.forEach((row, i) => {
          const feature: TokenClassificationFeature = validation.features[row];
          const tokens = feature.inputIds.map((_, t) => {
            const at = (i * b.seqLength + t) * classes;
            return argmax(logits.data.subarray(at, at + classes));
          });
          gold.push(parts.validation[feature.example].tags);
          // A word with no token in the row (cut by truncation) is predicted "O", as run_ner.py scores it.
          predicted.push(predictionsPerWord(feature, tokens).map((p) => (p === null ? 'O' : id2label[p])));
        });
      }
      const s = entityScores(gold, predicted);
      return {
        loss: meanLoss(batches),
        precision: s.precision,
        recall: s.recall,
        f1: s.f1,
        accuracy: s.accuracy,
        score: s.f1,
        scoreName: 'f1',
      };
    },
  };
}

async function qaTask(options: TrainOptions, tokenizer: DataTokenizer, maxLength: number): Promise<TaskData> {
  const trainSet = await readQaDataset(options.trainFile);
  const validSet = options.validationFile ? await readQaDataset(options.validationFile) : undefined;
  const parts = split(trainSet.examples, validSet?.examples, options);
  const docStride = Math.min(128, Math.floor(maxLength / 4));
  const train = await prepareQaTraining(parts.train, tokenizer, { maxLength, docStride, file: trainSet.file });
  const windows: QaEvaluationFeature[] = await prepareQaEvaluation(parts.validation, tokenizer, {
    maxLength,
    docStride,
    file: validSet?.file ?? trainSet.file,
  });
  // The same windows with their answer positions, so the validation loss is the real span loss.
  const positions = await prepareQaTraining(parts.validation, tokenizer, { maxLength, docStride, file: validSet?.file ?? trainSet.file });
  if (positions.length !== windows.length) throw new Error('QA windows of evaluation and training views differ');
  const validation: TrainingFeature[] = positions;
  const allowNoAnswer = parts.validation.some((e: QaExample) => e.isImpossible) || parts.train.some((e) => e.isImpossible);
  return {
    train,
    validation,
    validationSource: parts.source,
    stats: splitStats(parts, 0),
    score(batches) {
      const starts: Float32Array[] = new Array<Float32Array>(windows.length);
      const ends: Float32Array[] = new Array<Float32Array>(windows.length);
      for (const b of batches) {
        b.rows.forEach((row, i) => {
          const len = windows[row].inputIds.length;
          starts[row] = b.outputs.start_logits.data.slice(i * b.seqLength, i * b.seqLength + len);
          ends[row] = b.outputs.end_logits.data.slice(i * b.seqLength, i * b.seqLength + len);
        });
      }
      const predictions = postprocessQaPredictions(
        parts.validation.map((e) => ({ id: e.id, context: e.context })),
        windows,
        starts,
        ends,
        { allowNoAnswer },
      );
      const texts = new Map([...predictions].map(([id, p]) => [id, p.text]));
      const s = squadEvaluate(
        parts.validation.map((e) => ({ id: e.id, answers: e.isImpossible ? [] : e.answers.text })),
        texts,
      );
      return { loss: meanLoss(batches), exact_match: s.exactMatch, f1: s.f1, score: s.f1, scoreName: 'f1' };
    },
  };
}

async function mlmTask(options: TrainOptions, tokenizer: DataTokenizer, maxLength: number): Promise<TaskData> {
  const trainSet = await readTextCorpus(options.trainFile);
  const validSet = options.validationFile ? await readTextCorpus(options.validationFile) : undefined;
  const parts = split(trainSet.documents, validSet?.documents, options);
  const mask = tokenizer.specialIds.mask;
  if (mask === undefined) throw new DatasetError('tokenizer.json', 'masked-LM training needs a [MASK] token');
  const masking = { maskTokenId: mask, vocabSize: tokenizer.vocabSize };
  const train = await prepareMlm(
    parts.train.map((d) => d.text),
    tokenizer,
    { maxLength },
  );
  const valid = await prepareMlm(
    parts.validation.map((d) => d.text),
    tokenizer,
    { maxLength },
  );
  // Validation is masked once with a fixed seed, so every epoch scores the same positions.
  const validation = maskRows(valid.features, new Rng(options.seed + 1), masking).map((r) => ({
    inputIds: r.inputIds,
    tokenTypeIds: r.tokenTypeIds,
    labels: r.labels,
  }));
  const maskedCount = (rows: readonly number[]): number =>
    rows.reduce((n, row) => n + (validation[row].labels as number[]).filter((l) => l !== IGNORE_INDEX).length, 0);
  return {
    train: maskRows(train.features, new Rng(options.seed), masking).map((r) => ({
      inputIds: r.inputIds,
      tokenTypeIds: r.tokenTypeIds,
      labels: r.labels,
    })),
    epochFeatures: (epoch) =>
      maskRows(train.features, new Rng(options.seed + 1000 * epoch), masking).map((r) => ({
        inputIds: r.inputIds,
        tokenTypeIds: r.tokenTypeIds,
        labels: r.labels,
      })),
    validation,
    validationSource: parts.source,
    stats: splitStats(parts, train.truncated + valid.truncated),
    score(batches) {
      // The graph's loss is a mean over masked tokens; weight batches by their masked count.
      let sum = 0;
      let n = 0;
      for (const b of batches) {
        const k = maskedCount(b.rows);
        if (k === 0) continue;
        sum += b.loss * k;
        n += k;
      }
      const loss = n === 0 ? NaN : sum / n;
      return { loss, perplexity: Math.exp(loss), score: -loss, scoreName: 'negative_loss' };
    },
  };
}

export async function loadTaskData(
  options: TrainOptions,
  config: EncoderConfig,
  tokenizer: DataTokenizer,
  maxLength: number,
): Promise<TaskData> {
  switch (options.task) {
    case 'classification':
    case 'nli':
      return classificationTask(options, config, tokenizer, maxLength);
    case 'ner':
      return nerTask(options, config, tokenizer, maxLength);
    case 'qa':
      return qaTask(options, tokenizer, maxLength);
    case 'mlm':
      return mlmTask(options, tokenizer, maxLength);
  }
}
