/**
 * The fine-tuning loop as a plain async function: no CLI, no HTTP, so the `berth train` command
 * and a job runner in a worker call the same code. It reports through `onEvent`, stops between
 * steps when `signal` aborts, and writes its output directory atomically or not at all.
 */
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, FormatError } from '../engine/errors';
import { EncoderConfig, headOf, readConfig, writeConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { readModelWeights } from '../engine/formats/model-weights';
import { TensorF32, writeSafetensors } from '../engine/formats/safetensors';
import { buildInferenceModel, checkBuildable } from '../engine/nn/bert';
import { COPIED_FILES, writeDirAtomically } from '../engine/nn/export';
import { usablePositions } from '../engine/nn/positions';
import { writeModelFile } from '../engine/onnx/encode';
import { buildEvalGraph, buildTrainingGraph } from '../engine/training';
import { TrainingSession } from '../runtime/training-session';
import { BerthTokenizer } from '../tokenizer/tokenizer';
import { IGNORE_INDEX, collate, planBatches } from './data';
import { exportedModel, headParameterNames, setupMethod } from './method';
import { TrainOptions, TrainOptionsError } from './options';
import { learningRateSchedule, warmupSteps } from './schedule';
import { EvalBatchOutput, EvalMetrics, TASK_HEADS, loadTaskData } from './task-data';

/** Longest sequence used when neither the user nor a small model limit sets one (HF run_glue's default). */
export const DEFAULT_MAX_SEQ_LENGTH = 128;

export type TrainEvent =
  | {
      type: 'start';
      totalSteps: number;
      stepsPerEpoch: number;
      epochs: number;
      trainExamples: number;
      validationExamples: number;
      trainable: number;
      frozen: number;
      validation: string;
    }
  | {
      type: 'step';
      epoch: number;
      step: number;
      totalSteps: number;
      loss: number;
      learningRate: number;
      gradNorm: number;
      examplesPerSecond: number;
      elapsedSeconds: number;
    }
  | { type: 'eval'; epoch: number; step: number; metrics: EvalMetrics; best: boolean }
  | { type: 'done'; outDir: string; selectedEpoch: number; wallSeconds: number };

export interface TrainHooks {
  /** Checked between steps; an abort ends the run with TrainingCancelledError and writes nothing. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainEvent) => void;
  /**
   * Also score the starting model on the validation rows before the first step, recorded as
   * metrics.json `baseline`, so a run shows what it gained on exactly the rows it is judged on.
   * Off by default: it costs one pass over the validation rows.
   */
  readonly evaluateBaseline?: boolean;
}

export class TrainingCancelledError extends EngineError {
  constructor() {
    super('TRAINING_CANCELLED', 'training was cancelled; no output was written');
  }
}

export interface TrainResult {
  readonly outDir: string;
  readonly files: string[];
  readonly metrics: TrainMetricsFile;
}

/** metrics.json: what was trained, how, and how well. */
export interface TrainMetricsFile {
  readonly task: string;
  readonly method: string;
  readonly base_model: string;
  readonly hyperparameters: Record<string, unknown>;
  readonly data: { train: string; validation: string; train_examples: number; validation_examples: number; truncated: number };
  readonly parameters: { trainable: number; total: number };
  readonly train_loss: Array<{ step: number; epoch: number; loss: number; learning_rate: number; grad_norm: number }>;
  readonly eval: Array<{ epoch: number; step: number } & EvalMetrics>;
  /** The starting model's score on the same validation rows (only with `evaluateBaseline`). */
  readonly baseline?: EvalMetrics;
  readonly selected: { select: string; epoch: number; step: number; metrics: EvalMetrics };
  readonly wall_seconds: number;
  readonly train_examples_per_second: number;
}

function count(t: ReadonlyMap<string, TensorF32>, names: Iterable<string>): number {
  let n = 0;
  for (const name of names) n += t.get(name)?.data.length ?? 0;
  return n;
}

/** The model directory's files, the task's head and the sequence length, checked before any data is read. */
export function openModel(options: TrainOptions): {
  config: EncoderConfig;
  configFile: string;
  weights: Map<string, TensorF32>;
  maxLength: number;
} {
  const located = locateHfModelDir(options.modelDir, { weights: true });
  const config = readConfig(located.configFile);
  checkBuildable(config, located.configFile);
  const head = headOf(config, located.configFile);
  const want = TASK_HEADS[options.task];
  if (head !== want) {
    throw new FormatError(
      located.configFile,
      `architectures ${JSON.stringify(config.architectures)} is a ${head} model; --task ${options.task} needs ${want}`,
    );
  }
  const prompt = options.method === 'prompt' ? options.promptTokens : 0;
  const positions = usablePositions(config);
  const limit = positions - prompt;
  if (limit < 8) throw new TrainOptionsError('prompt-tokens', `${prompt} prompt tokens leave no room in ${positions} positions`);
  const maxLength = options.maxSeqLength ?? Math.min(DEFAULT_MAX_SEQ_LENGTH, limit);
  if (maxLength > limit) {
    const why = prompt
      ? `${positions} positions minus ${prompt} prompt tokens`
      : `${positions} usable of max_position_embeddings ${config.max_position_embeddings}`;
    throw new TrainOptionsError(
      'max-seq-length',
      `${maxLength} is above the model's maximum of ${limit} (${why} in ${located.configFile})`,
    );
  }
  return { config, configFile: located.configFile, weights: readModelWeights(located.weightsFile as string), maxLength };
}

/**
 * Fine-tunes `options.modelDir` on `options.trainFile` and writes an HF layout directory to
 * `options.outDir`: config.json, tokenizer files, model.safetensors (HF names; LoRA merged),
 * model.onnx built by the engine, and metrics.json.
 */
export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const started = performance.now();
  const emit = hooks.onEvent ?? (() => undefined);
  const checkCancelled = (): void => {
    if (hooks.signal?.aborted) throw new TrainingCancelledError();
  };
  // Fail before hours of training rather than at the final rename.
  if (!options.overwrite && existsSync(options.outDir) && readdirSync(options.outDir).length > 0) {
    throw new FormatError(options.outDir, 'output directory already exists and is not empty');
  }

  const model = openModel(options);
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const data = await loadTaskData(options, model.config, tokenizer, model.maxLength);
  if (data.train.length === 0) throw new FormatError(options.trainFile, 'no training rows');
  if (data.validation.length === 0) throw new FormatError(options.validationFile ?? options.trainFile, 'no validation rows');
  const head = TASK_HEADS[options.task];
  const setup = setupMethod(options, model.config, model.weights, head);
  checkCancelled();

  const spec = {
    config: setup.config,
    weights: setup.weights,
    head: head as Exclude<typeof head, 'base'>,
    trainable: setup.trainable,
    optimizer: { weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm },
    dropoutSeed: options.seed,
  };
  const trainingGraph = buildTrainingGraph(spec);
  const evalGraph = buildEvalGraph(spec);
  const frozen = new Map([...setup.weights].filter(([name]) => !setup.trainable.has(name)));
  const session = await TrainingSession.create(trainingGraph, { eval: evalGraph, intraOpThreads: options.threads, device: options.device });

  try {
    const plan = (epoch: number, features: typeof data.train): number[][] =>
      planBatches(features, {
        batchSize: options.batchSize,
        shuffle: options.shuffle,
        seed: options.seed + epoch,
        groupByLength: options.groupByLength,
      });
    const stepsPerEpoch = Math.ceil(data.train.length / options.batchSize);
    const totalSteps = stepsPerEpoch * options.epochs;
    const lrAt = learningRateSchedule({
      kind: options.lrScheduler,
      learningRate: options.learningRate,
      totalSteps,
      warmupRatio: options.warmupRatio,
    });
    emit({
      type: 'start',
      totalSteps,
      stepsPerEpoch,
      epochs: options.epochs,
      trainExamples: data.stats.trainExamples,
      validationExamples: data.stats.validationExamples,
      trainable: count(setup.weights, setup.trainable),
      frozen: count(setup.weights, frozen.keys()),
      validation: data.validationSource,
    });

    const trainLoss: TrainMetricsFile['train_loss'][number][] = [];
    const evals: TrainMetricsFile['eval'][number][] = [];
    let best: { epoch: number; step: number; metrics: EvalMetrics; parameters: Map<string, TensorF32> } | undefined;
    let step = 0;
    let examples = 0;
    let trainSeconds = 0;
    const baseline = hooks.evaluateBaseline
      ? await evaluate(session, data.validation, options.batchSize, model.config.pad_token_id, data.score)
      : undefined;

    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const features = data.epochFeatures?.(epoch) ?? data.train;
      for (const rows of plan(epoch, features)) {
        checkCancelled();
        const batch = collate(features, rows, { padId: model.config.pad_token_id });
        // A masked-LM batch where masking picked no token has no loss (0/0); it is skipped, not stepped.
        if (batch.labels && batch.labelShape?.length === 2 && batch.labels.every((l) => l === BigInt(IGNORE_INDEX))) continue;
        const lr = lrAt(step);
        const t0 = performance.now();
        const result = await session.step(batch, lr);
        const seconds = (performance.now() - t0) / 1000;
        trainSeconds += seconds;
        examples += batch.size;
        step++;
        if (!Number.isFinite(result.loss))
          throw new EngineError('TRAINING_DIVERGED', `loss is ${result.loss} at step ${step}; lower the learning rate`);
        trainLoss.push({ step, epoch, loss: result.loss, learning_rate: lr, grad_norm: result.gradNorm });
        emit({
          type: 'step',
          epoch,
          step,
          totalSteps,
          loss: result.loss,
          learningRate: lr,
          gradNorm: result.gradNorm,
          examplesPerSecond: batch.size / seconds,
          elapsedSeconds: (performance.now() - started) / 1000,
        });
      }
      checkCancelled();
      const metrics = await evaluate(session, data.validation, options.batchSize, model.config.pad_token_id, data.score);
      const isBest = !best || metrics.score > best.metrics.score || options.select === 'last';
      evals.push({ epoch, step, ...metrics });
      if (isBest) best = { epoch, step, metrics, parameters: session.state.snapshot(frozen) };
      emit({ type: 'eval', epoch, step, metrics, best: isBest });
    }
    checkCancelled();

    const chosen = best as NonNullable<typeof best>;
    const wallSeconds = (performance.now() - started) / 1000;
    const metricsFile: TrainMetricsFile = {
      task: options.task,
      method: options.method,
      base_model: options.modelDir,
      hyperparameters: {
        epochs: options.epochs,
        batch_size: options.batchSize,
        learning_rate: options.learningRate,
        weight_decay: options.weightDecay,
        warmup_ratio: options.warmupRatio,
        warmup_steps: warmupSteps(totalSteps, options.warmupRatio),
        lr_scheduler: options.lrScheduler,
        max_grad_norm: options.maxGradNorm,
        max_seq_length: model.maxLength,
        seed: options.seed,
        shuffle: options.shuffle,
        group_by_length: options.groupByLength,
        ...(options.method === 'lora'
          ? {
              lora_r: options.lora.r,
              lora_alpha: options.lora.alpha,
              lora_dropout: options.lora.dropout,
              lora_targets: options.lora.targets,
            }
          : {}),
        ...(options.method === 'adapter' ? { adapter_reduction: options.adapterReduction } : {}),
        ...(options.method === 'prompt' ? { prompt_tokens: options.promptTokens } : {}),
      },
      data: {
        train: options.trainFile,
        validation: data.validationSource,
        train_examples: data.stats.trainExamples,
        validation_examples: data.stats.validationExamples,
        truncated: data.stats.truncated,
      },
      parameters: { trainable: count(setup.weights, setup.trainable), total: count(setup.weights, setup.weights.keys()) },
      train_loss: trainLoss,
      eval: evals,
      ...(baseline ? { baseline } : {}),
      selected: { select: options.select, epoch: chosen.epoch, step: chosen.step, metrics: chosen.metrics },
      wall_seconds: wallSeconds,
      train_examples_per_second: trainSeconds > 0 ? examples / trainSeconds : 0,
    };
    const { files } = writeTrainedModel(options.modelDir, options.outDir, setup.config, chosen.parameters, metricsFile, options.overwrite);
    emit({ type: 'done', outDir: options.outDir, selectedEpoch: chosen.epoch, wallSeconds });
    return { outDir: options.outDir, files, metrics: metricsFile };
  } finally {
    await session.release();
  }
}

/** A model's score on a labelled file (what `berth evaluate` prints). */
export interface EvaluationResult {
  readonly metrics: EvalMetrics;
  readonly examples: number;
  readonly wallSeconds: number;
}

/**
 * Scores a model on `options.validationFile` with the task metric training uses (accuracy,
 * conlleval entity F1, SQuAD EM/F1, MLM perplexity), through the same eval graph, training
 * nothing. The model is taken as it is, adapters or prompt included.
 */
export async function evaluateModel(options: TrainOptions): Promise<EvaluationResult> {
  const started = performance.now();
  if (!options.validationFile) throw new TrainOptionsError('validation', 'evaluation needs a labelled file');
  const model = openModel(options);
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const data = await loadTaskData({ ...options, trainFile: options.validationFile }, model.config, tokenizer, model.maxLength);
  if (data.validation.length === 0) throw new FormatError(options.validationFile, 'no rows to evaluate');
  const head = TASK_HEADS[options.task];
  const spec = {
    config: model.config,
    weights: model.weights,
    head: head as Exclude<typeof head, 'base'>,
    // Nothing is stepped; the training graph only has to exist for the session to hold the eval graph.
    trainable: new Set(headParameterNames(model.config, model.weights.keys())),
    optimizer: { weightDecay: 0, maxGradNorm: 0 },
    dropoutSeed: options.seed,
  };
  const session = await TrainingSession.create(buildTrainingGraph(spec), {
    eval: buildEvalGraph(spec),
    intraOpThreads: options.threads,
    device: options.device,
  });
  try {
    const metrics = await evaluate(session, data.validation, options.batchSize, model.config.pad_token_id, data.score);
    return { metrics, examples: data.stats.validationExamples, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    await session.release();
  }
}

/** Runs the eval graph over the validation rows in fixed order and scores them. */
async function evaluate(
  session: TrainingSession,
  features: Parameters<typeof collate>[0],
  batchSize: number,
  padId: number,
  score: (batches: readonly EvalBatchOutput[]) => EvalMetrics,
): Promise<EvalMetrics> {
  const outputs: EvalBatchOutput[] = [];
  for (const rows of planBatches(features, { batchSize, shuffle: false })) {
    const batch = collate(features, rows, { padId });
    const r = await session.evaluate(batch);
    outputs.push({ rows, seqLength: batch.seqLength, loss: r.loss, outputs: r.outputs });
  }
  return score(outputs);
}

/** Writes the trained model as an HF layout directory, atomically (temp dir + rename). */
export function writeTrainedModel(
  baseDir: string,
  outDir: string,
  trainingConfig: EncoderConfig,
  parameters: ReadonlyMap<string, TensorF32>,
  metrics: TrainMetricsFile,
  overwrite: boolean,
): { files: string[] } {
  const { config, tensors } = exportedModel(trainingConfig, parameters);
  const head = headOf(config);
  const onnx = buildInferenceModel(config, tensors, { head });
  return writeDirAtomically(outDir, overwrite, (tmp) => {
    // The weights are written in float32 whatever the base stored (the defaults ship float16).
    writeConfig(join(tmp, 'config.json'), { ...config, torch_dtype: 'float32' });
    writeSafetensors(join(tmp, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), onnx);
    for (const name of COPIED_FILES) {
      if (name === 'config.json') continue;
      const from = join(baseDir, name);
      if (existsSync(from)) copyFileSync(from, join(tmp, name));
    }
    writeFileJson(join(tmp, 'metrics.json'), metrics);
  });
}

function writeFileJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
