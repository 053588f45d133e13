import { EngineError } from '../engine/errors';
import { DEFAULT_LORA_TARGETS, LORA_TARGETABLE } from '../engine/nn/peft';

export const TRAIN_TASKS = ['classification', 'nli', 'ner', 'qa', 'mlm'] as const;
export type TrainTask = (typeof TRAIN_TASKS)[number];

export const TRAIN_METHODS = ['full', 'lora', 'adapter', 'head', 'prompt'] as const;
export type TrainMethod = (typeof TRAIN_METHODS)[number];

export const LR_SCHEDULERS = ['linear', 'constant'] as const;
export type LrScheduler = (typeof LR_SCHEDULERS)[number];

export const SELECTIONS = ['best', 'last'] as const;
export type Selection = (typeof SELECTIONS)[number];

export interface LoraOptions {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  /** Module names as PEFT spells them for BERT (`query`, `value`, `intermediate.dense`, ...). */
  readonly targets: readonly string[];
}

/** Everything a fine-tuning run needs; `resolveTrainOptions` fills defaults and checks ranges. */
export interface TrainOptions {
  /** HF layout directory with config.json, tokenizer files and weights (model.safetensors or pytorch_model.bin). */
  readonly modelDir: string;
  readonly task: TrainTask;
  readonly trainFile: string;
  /** Without one, a seeded 10% of the training rows is held out. */
  readonly validationFile?: string;
  readonly method: TrainMethod;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly warmupRatio: number;
  readonly lrScheduler: LrScheduler;
  /** 0 disables clipping. */
  readonly maxGradNorm: number;
  /** Longest row in tokens; defaults to the model's limit, capped at 128. */
  readonly maxSeqLength?: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** HF group_by_length: batches of similar lengths (less padding). */
  readonly groupByLength: boolean;
  readonly select: Selection;
  readonly lora: LoraOptions;
  readonly adapterReduction: number;
  readonly promptTokens: number;
  readonly columns: { readonly text?: string; readonly textPair?: string; readonly label?: string };
  /** Share of training rows held out when there is no validation file. */
  readonly validationSplit: number;
  readonly outDir: string;
  /** Replace an existing output directory. */
  readonly overwrite: boolean;
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice). */
  readonly threads?: number;
  /** Where the training sessions run: `cpu` (the default) or `cuda` (a GPU worker). */
  readonly device?: 'cpu' | 'cuda';
  /**
   * Learning-rate sweep: with two or more candidates, short trials (see `sweep.ts`) pick the one
   * that scores best on validation, and the full run trains at it (`learningRate` is then unused).
   */
  readonly learningRates?: readonly number[];
  /** Early stopping: stop after this many epochs without a better validation score. */
  readonly patience?: number;
  /** Start from the model's encoder cut to this many alternate layers (a distillation student). */
  readonly studentLayers?: number;
  /** Knowledge distillation from a teacher model of the same task, labels and tokenizer. */
  readonly distill?: DistillOptions;
  /**
   * Put a new task head with these labels (none for QA) on a pre-trained encoder (a masked-LM or
   * bare model) before training, as `berth new-head` would, instead of requiring the task's head.
   */
  readonly newHead?: { readonly labels: readonly string[] };
}

export interface DistillOptions {
  readonly teacherDir: string;
  /** Softmax temperature T of both distributions (DistilBERT: 2). */
  readonly temperature: number;
  /** Weight of the soft-target term T²·KL; the label loss gets 1 − alpha. */
  readonly alpha: number;
  /**
   * A transfer set: plain text (one text per line, or paragraphs split by blank lines) with no
   * labels, which the teacher labels for the student. Its rows join the training rows and add to
   * the soft term alone. Classification of single texts and NER (words split on spaces).
   */
  readonly transferFile?: string;
}

/** DistilBERT's temperature; alpha 0.5 weighs teacher and labels equally. */
export const DISTILL_DEFAULTS = { temperature: 2, alpha: 0.5 } as const;

export type TrainOptionsInput = Pick<TrainOptions, 'modelDir' | 'task' | 'trainFile' | 'outDir'> &
  Partial<Omit<TrainOptions, 'modelDir' | 'task' | 'trainFile' | 'outDir' | 'lora' | 'distill'>> & {
    readonly lora?: Partial<LoraOptions>;
    readonly distill?: Pick<DistillOptions, 'teacherDir'> & Partial<DistillOptions>;
  };

/** Defaults as HF Trainer and PEFT set them, except the batch size (16) and seed (42, AutoTrain's). */
export const TRAIN_DEFAULTS = {
  method: 'full',
  epochs: 3,
  batchSize: 16,
  learningRate: 5e-5,
  weightDecay: 0,
  warmupRatio: 0,
  lrScheduler: 'linear',
  maxGradNorm: 1,
  seed: 42,
  shuffle: true,
  groupByLength: false,
  select: 'best',
  lora: { r: 8, alpha: 8, dropout: 0, targets: DEFAULT_LORA_TARGETS },
  adapterReduction: 16,
  promptTokens: 20,
  validationSplit: 0.1,
  overwrite: false,
} as const;

/** A training option outside its range: names the option and the accepted values. */
export class TrainOptionsError extends EngineError {
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super('INVALID_TRAINING_OPTIONS', `${option}: ${problem}`);
  }
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new TrainOptionsError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TrainOptionsError(name, `must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function number(name: string, value: number, min: number, max: number, maxInclusive = true): number {
  const ok = Number.isFinite(value) && value >= min && (maxInclusive ? value <= max : value < max);
  if (!ok) throw new TrainOptionsError(name, `must be in [${min}, ${max}${maxInclusive ? ']' : ')'}, got ${value}`);
  return value;
}

function learningRates(values: readonly number[] | undefined): readonly number[] | undefined {
  if (values === undefined) return undefined;
  if (values.length === 0) throw new TrainOptionsError('learning-rate', 'a sweep needs at least one candidate');
  return [...new Set(values.map((v) => number('learning-rate', v, Number.MIN_VALUE, 10)))];
}

/** Fills defaults and checks every range; the model-dependent checks happen in `train`. */
export function resolveTrainOptions(input: TrainOptionsInput): TrainOptions {
  const d = TRAIN_DEFAULTS;
  const lora = { ...d.lora, ...(input.lora ?? {}) };
  for (const t of lora.targets) oneOf('lora-targets', t, LORA_TARGETABLE);
  if (lora.targets.length === 0) throw new TrainOptionsError('lora-targets', 'needs at least one module');
  const options: TrainOptions = {
    modelDir: input.modelDir,
    task: oneOf('task', input.task, TRAIN_TASKS),
    trainFile: input.trainFile,
    validationFile: input.validationFile,
    method: oneOf('method', input.method ?? d.method, TRAIN_METHODS),
    epochs: integer('epochs', input.epochs ?? d.epochs, 1),
    batchSize: integer('batch-size', input.batchSize ?? d.batchSize, 1),
    learningRate: number('learning-rate', input.learningRate ?? d.learningRate, 0, 10),
    weightDecay: number('weight-decay', input.weightDecay ?? d.weightDecay, 0, 1),
    warmupRatio: number('warmup-ratio', input.warmupRatio ?? d.warmupRatio, 0, 1),
    lrScheduler: oneOf('lr-scheduler', input.lrScheduler ?? d.lrScheduler, LR_SCHEDULERS),
    maxGradNorm: number('max-grad-norm', input.maxGradNorm ?? d.maxGradNorm, 0, Number.MAX_VALUE),
    maxSeqLength: input.maxSeqLength === undefined ? undefined : integer('max-seq-length', input.maxSeqLength, 8),
    seed: integer('seed', input.seed ?? d.seed, 0),
    shuffle: input.shuffle ?? d.shuffle,
    groupByLength: input.groupByLength ?? d.groupByLength,
    select: oneOf('select', input.select ?? d.select, SELECTIONS),
    lora: {
      r: integer('lora-r', lora.r, 1),
      alpha: number('lora-alpha', lora.alpha, Number.MIN_VALUE, Number.MAX_VALUE),
      dropout: number('lora-dropout', lora.dropout, 0, 1, false),
      targets: [...new Set(lora.targets)],
    },
    adapterReduction: integer('adapter-reduction', input.adapterReduction ?? d.adapterReduction, 1),
    promptTokens: integer('prompt-tokens', input.promptTokens ?? d.promptTokens, 1),
    columns: input.columns ?? {},
    validationSplit: number('validation-split', input.validationSplit ?? d.validationSplit, 0, 1, false),
    outDir: input.outDir,
    overwrite: input.overwrite ?? d.overwrite,
    threads: input.threads === undefined ? undefined : integer('threads', input.threads, 1),
    device: input.device,
    learningRates: learningRates(input.learningRates),
    patience: input.patience === undefined ? undefined : integer('patience', input.patience, 1),
    newHead: input.newHead,
    studentLayers: input.studentLayers === undefined ? undefined : integer('student-layers', input.studentLayers, 1),
    distill: input.distill && {
      teacherDir: input.distill.teacherDir,
      temperature: number('temperature', input.distill.temperature ?? DISTILL_DEFAULTS.temperature, Number.MIN_VALUE, 100),
      alpha: number('alpha', input.distill.alpha ?? DISTILL_DEFAULTS.alpha, 0, 1),
      transferFile: input.distill.transferFile,
    },
  };
  if (options.distill?.transferFile !== undefined) {
    if (options.task !== 'classification' && options.task !== 'ner')
      throw new TrainOptionsError('transfer', `a transfer set of plain text teaches classification or NER students, not ${options.task}`);
    if (options.distill.alpha === 0)
      throw new TrainOptionsError('transfer', 'transfer rows are taught by the teacher alone: alpha must be above 0');
  }
  if (options.distill && (options.task === 'mlm' || options.method !== 'full')) {
    throw new TrainOptionsError(
      'distill',
      `distillation trains a classification, NER or QA student with method full, not ${options.task}/${options.method}`,
    );
  }
  if (!options.validationFile && options.validationSplit === 0) {
    throw new TrainOptionsError('validation', 'no validation file and no held-out split');
  }
  return options;
}
