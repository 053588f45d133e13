/**
 * The fine-tuning loop as a plain async function: no CLI, no HTTP, so the `berth train` command
 * and a job runner in a worker call the same code. It reports through `onEvent`, stops between
 * steps when `signal` aborts, and writes its output directory atomically or not at all.
 */
import { existsSync, readdirSync } from 'node:fs';
import { EngineError, FormatError } from '../engine/errors';
import { TensorF32 } from '../engine/formats/safetensors';
import { TrainingGraph, buildEvalGraph, buildTrainingGraph } from '../engine/training';
import { TrainingSession } from '../runtime/training-session';
import { BerthTokenizer } from '../tokenizer/tokenizer';
import { IGNORE_INDEX, TrainingFeature, collate, planBatches } from './data';
import { TeacherOutputs, computeTeacherOutputs, teacherBatchInputs, transferFeatures, withoutLabels } from './distill';
import { evaluateRows } from './evaluate';
import { MethodSetup, setupMethod } from './method';
import { OpenedModel, countValues, openModel, writeTrainedModel } from './model-io';
import { TrainOptions } from './options';
import { learningRateSchedule, warmupSteps } from './schedule';
import { bestTrial, sweepEpochs, sweepSample } from './sweep';
import { EvalMetrics, TASK_HEADS, TaskData, loadTaskData } from './task-data';
import { SweepTrial, TrainEvent, TrainHooks, TrainMetricsFile, TrainResult, TrainingCancelledError } from './train-types';

export { DEFAULT_MAX_SEQ_LENGTH, openModel, writeTrainedModel } from './model-io';
export { evaluateModel } from './evaluate';
export type { EvaluationResult } from './evaluate';
export { TrainingCancelledError } from './train-types';
export type { SweepTrial, TrainEvent, TrainHooks, TrainMetricsFile, TrainResult } from './train-types';

/** Everything a run needs that does not change between sweep trials and the full run. */
interface Prepared {
  readonly model: OpenedModel;
  readonly data: TaskData;
  readonly setup: MethodSetup;
  readonly graph: TrainingGraph;
  readonly frozen: Map<string, TensorF32>;
  readonly session: TrainingSession;
  readonly teacher?: TeacherOutputs;
  /** Unlabelled transfer rows among `data.train` (distillation), taught by the teacher alone. */
  readonly transferRows: number;
}

/** What one pass of epochs produced. */
interface RunOutcome {
  readonly totalSteps: number;
  readonly trainLoss: TrainMetricsFile['train_loss'];
  readonly evals: TrainMetricsFile['eval'];
  readonly best: { epoch: number; step: number; metrics: EvalMetrics; parameters: Map<string, TensorF32> };
  readonly stoppedAfter: number | null;
  readonly examples: number;
  readonly trainSeconds: number;
}

interface RunContext {
  readonly emit: (event: TrainEvent) => void;
  readonly checkCancelled: () => void;
  readonly started: number;
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
  const ctx: RunContext = { emit, checkCancelled, started };
  // Fail before hours of training rather than at the final rename.
  if (!options.overwrite && existsSync(options.outDir) && readdirSync(options.outDir).length > 0) {
    throw new FormatError(options.outDir, 'output directory already exists and is not empty');
  }
  const prep = await prepare(options, checkCancelled);
  try {
    // The baseline is scored first, while the session still holds the starting weights.
    const baseline = hooks.evaluateBaseline
      ? await evaluateRows(prep.session, prep.data.validation, options.batchSize, prep.model.config.pad_token_id, prep.data.score)
      : undefined;
    const sweep = options.learningRates && options.learningRates.length > 1 ? await sweepLearningRates(prep, options, ctx) : undefined;
    const learningRate = sweep?.chosen ?? options.learningRates?.[0] ?? options.learningRate;
    const runOptions = { ...options, learningRate };
    const run = await runEpochs(prep, runOptions, prep.data.train, prep.teacher, ctx, true);
    checkCancelled();
    const chosen = run.best;
    const wallSeconds = (performance.now() - started) / 1000;
    const metricsFile: TrainMetricsFile = {
      task: options.task,
      method: options.method,
      base_model: options.modelDir,
      hyperparameters: hyperparameters(runOptions, prep, run.totalSteps),
      data: {
        train: options.trainFile,
        validation: prep.data.validationSource,
        train_examples: prep.data.stats.trainExamples,
        validation_examples: prep.data.stats.validationExamples,
        truncated: prep.data.stats.truncated,
      },
      parameters: {
        trainable: countValues(prep.setup.weights, prep.setup.trainable),
        total: countValues(prep.setup.weights, prep.setup.weights.keys()),
      },
      train_loss: run.trainLoss,
      eval: run.evals,
      ...(baseline ? { baseline } : {}),
      ...(sweep ? { learning_rate_sweep: sweep } : {}),
      ...(options.patience !== undefined ? { early_stopping: { patience: options.patience, stopped_after_epoch: run.stoppedAfter } } : {}),
      ...(options.distill && prep.teacher
        ? {
            distillation: {
              teacher: options.distill.teacherDir,
              temperature: options.distill.temperature,
              alpha: options.distill.alpha,
              teacher_layers: prep.teacher.layers,
              student_layers: prep.model.config.num_hidden_layers,
              teacher_seconds: prep.teacher.seconds,
              ...(options.distill.transferFile ? { transfer_file: options.distill.transferFile, transfer_rows: prep.transferRows } : {}),
            },
          }
        : {}),
      selected: { select: options.select, epoch: chosen.epoch, step: chosen.step, metrics: chosen.metrics },
      wall_seconds: wallSeconds,
      train_examples_per_second: run.trainSeconds > 0 ? run.examples / run.trainSeconds : 0,
    };
    const { files } = writeTrainedModel(
      options.modelDir,
      options.outDir,
      prep.setup.config,
      chosen.parameters,
      metricsFile,
      options.overwrite,
    );
    emit({ type: 'done', outDir: options.outDir, selectedEpoch: chosen.epoch, wallSeconds });
    return { outDir: options.outDir, files, metrics: metricsFile };
  } finally {
    await prep.session.release();
  }
}

/** The model, the data, the method, the graphs and one session, plus the teacher's logits when distilling. */
async function prepare(options: TrainOptions, checkCancelled: () => void): Promise<Prepared> {
  const model = openModel(options);
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const data = await loadTaskData(options, model.config, tokenizer, model.maxLength);
  if (data.train.length === 0) throw new FormatError(options.trainFile, 'no training rows');
  if (data.validation.length === 0) throw new FormatError(options.validationFile ?? options.trainFile, 'no validation rows');
  const head = TASK_HEADS[options.task] as Exclude<(typeof TASK_HEADS)[keyof typeof TASK_HEADS], 'base'>;
  const setup = setupMethod(options, model.config, model.weights, head);
  checkCancelled();
  const transfer = options.distill?.transferFile
    ? await transferFeatures(
        options.distill.transferFile,
        options.task as 'classification' | 'ner',
        model.config,
        tokenizer,
        model.maxLength,
      )
    : [];
  const taught = transfer.length > 0 ? { ...data, train: [...data.train, ...transfer] } : data;
  const teacher = options.distill
    ? await computeTeacherOutputs(options.distill.teacherDir, { config: model.config, modelDir: options.modelDir, head }, taught.train, {
        batchSize: options.batchSize,
        threads: options.threads,
        device: options.device,
      })
    : undefined;
  withoutLabels(transfer);
  checkCancelled();
  const spec = {
    config: setup.config,
    weights: setup.weights,
    head,
    trainable: setup.trainable,
    optimizer: { weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm },
    dropoutSeed: options.seed,
  };
  const distillation = options.distill && { temperature: options.distill.temperature, alpha: options.distill.alpha };
  // Only the gradients leave ONNX Runtime; AdamW runs in place on the host (docs/benchmarks.md).
  const graph = buildTrainingGraph({ ...spec, distillation, optimizerPlacement: 'host' });
  // Validation is scored with the label loss alone, distilled or not, so runs compare.
  const evalGraph = buildEvalGraph(spec);
  const frozen = new Map([...setup.weights].filter(([name]) => !setup.trainable.has(name)));
  const session = await TrainingSession.create(graph, { eval: evalGraph, intraOpThreads: options.threads, device: options.device });
  return { model, data: taught, setup, graph, frozen, session, teacher, transferRows: transfer.length };
}

/** One learning-rate trial per candidate on a sample, from the same starting weights; the best wins. */
async function sweepLearningRates(
  prep: Prepared,
  options: TrainOptions,
  ctx: RunContext,
): Promise<NonNullable<TrainMetricsFile['learning_rate_sweep']>> {
  const candidates = options.learningRates as readonly number[];
  const sample = sweepSample(prep.data.train.length, options.seed);
  const features = sample.map((i) => prep.data.train[i]);
  const epochs = sweepEpochs(features.length, options.batchSize);
  const teacher = prep.teacher && { ...prep.teacher, rows: sample.map((i) => (prep.teacher as TeacherOutputs).rows[i]) };
  const trials: SweepTrial[] = [];
  let scoreName = '';
  for (const [index, learningRate] of candidates.entries()) {
    let trial: SweepTrial;
    try {
      const run = await runEpochs(prep, { ...options, learningRate, epochs, patience: undefined }, features, teacher, ctx, false);
      scoreName = run.best.metrics.scoreName;
      trial = { learning_rate: learningRate, score: run.best.metrics.score, loss: run.best.metrics.loss, diverged: false };
    } catch (e) {
      if (!(e instanceof EngineError && e.code === 'TRAINING_DIVERGED')) throw e;
      trial = { learning_rate: learningRate, score: NaN, loss: NaN, diverged: true };
    }
    trials.push(trial);
    ctx.emit({
      type: 'trial',
      trial: index + 1,
      trials: candidates.length,
      learningRate,
      score: trial.score,
      scoreName,
      loss: trial.loss,
      diverged: trial.diverged,
    });
  }
  const best = bestTrial(trials);
  if (best.diverged)
    throw new EngineError('TRAINING_DIVERGED', `every learning rate of the sweep diverged (${candidates.join(', ')}); try lower ones`);
  ctx.emit({ type: 'sweep', learningRate: best.learning_rate, score: best.score, scoreName });
  return {
    candidates: [...candidates],
    sample_rows: features.length,
    validation_rows: prep.data.validation.length,
    epochs,
    score_name: scoreName,
    trials,
    chosen: best.learning_rate,
  };
}

/**
 * Trains from the starting weights (the session is reset) for `options.epochs` epochs over
 * `features`, evaluating each epoch and keeping the best (or last) parameters; stops early after
 * `options.patience` epochs without a better score. `report` sends the step, eval and start
 * events (a sweep trial reports only its result).
 */
async function runEpochs(
  prep: Prepared,
  options: TrainOptions,
  features0: readonly TrainingFeature[],
  teacher: TeacherOutputs | undefined,
  ctx: RunContext,
  report: boolean,
): Promise<RunOutcome> {
  const { model, data, session, frozen, setup } = prep;
  const emit = report ? ctx.emit : () => undefined;
  session.state.load(prep.graph.initial, undefined, 0);
  const plan = (epoch: number, features: readonly TrainingFeature[]): number[][] =>
    planBatches(features, {
      batchSize: options.batchSize,
      shuffle: options.shuffle,
      seed: options.seed + epoch,
      groupByLength: options.groupByLength,
    });
  const stepsPerEpoch = Math.ceil(features0.length / options.batchSize);
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
    trainable: countValues(setup.weights, setup.trainable),
    frozen: countValues(setup.weights, frozen.keys()),
    validation: data.validationSource,
  });
  const trainLoss: RunOutcome['trainLoss'] = [];
  const evals: RunOutcome['evals'] = [];
  let best: RunOutcome['best'] | undefined;
  let bestScoreEpoch = 0;
  let bestScore = -Infinity;
  let stoppedAfter: number | null = null;
  let step = 0;
  let examples = 0;
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const features = (features0 === data.train ? data.epochFeatures?.(epoch) : undefined) ?? features0;
    for (const rows of plan(epoch, features)) {
      ctx.checkCancelled();
      const collated = collate(features, rows, { padId: model.config.pad_token_id });
      const batch = teacher ? { ...collated, floatInputs: teacherBatchInputs(teacher, rows, collated.seqLength) } : collated;
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
        elapsedSeconds: (performance.now() - ctx.started) / 1000,
      });
    }
    ctx.checkCancelled();
    const metrics = await evaluateRows(session, data.validation, options.batchSize, model.config.pad_token_id, data.score);
    const improved = metrics.score > bestScore || !best;
    if (improved) {
      bestScore = metrics.score;
      bestScoreEpoch = epoch;
    }
    const isBest = improved || options.select === 'last';
    evals.push({ epoch, step, ...metrics });
    if (isBest) best = { epoch, step, metrics, parameters: session.state.snapshot(frozen) };
    emit({ type: 'eval', epoch, step, metrics, best: isBest });
    if (options.patience !== undefined && epoch < options.epochs && epoch - bestScoreEpoch >= options.patience) {
      stoppedAfter = epoch;
      emit({ type: 'early-stop', epoch, bestEpoch: bestScoreEpoch, patience: options.patience });
      break;
    }
  }
  return { totalSteps, trainLoss, evals, best: best as RunOutcome['best'], stoppedAfter, examples, trainSeconds };
}

/** metrics.json's hyperparameters: every setting the run used. */
function hyperparameters(options: TrainOptions, prep: Prepared, totalSteps: number): Record<string, unknown> {
  return {
    epochs: options.epochs,
    batch_size: options.batchSize,
    learning_rate: options.learningRate,
    weight_decay: options.weightDecay,
    warmup_ratio: options.warmupRatio,
    warmup_steps: warmupSteps(totalSteps, options.warmupRatio),
    lr_scheduler: options.lrScheduler,
    max_grad_norm: options.maxGradNorm,
    max_seq_length: prep.model.maxLength,
    seed: options.seed,
    shuffle: options.shuffle,
    group_by_length: options.groupByLength,
    ...(options.patience !== undefined ? { patience: options.patience } : {}),
    ...(options.studentLayers !== undefined ? { student_layers: options.studentLayers } : {}),
    ...(options.method === 'lora'
      ? { lora_r: options.lora.r, lora_alpha: options.lora.alpha, lora_dropout: options.lora.dropout, lora_targets: options.lora.targets }
      : {}),
    ...(options.method === 'adapter' ? { adapter_reduction: options.adapterReduction } : {}),
    ...(options.method === 'prompt' ? { prompt_tokens: options.promptTokens } : {}),
  };
}
