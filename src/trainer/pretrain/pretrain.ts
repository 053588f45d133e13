/**
 * Masked-LM pre-training over a directory of text files, resumable to the bit.
 *
 * Everything random is a pure function of the seed and the step: the block order of each epoch,
 * the 80/10/10 masks of each batch, and the dropout stream, which ONNX Runtime keeps inside the
 * session. That stream cannot be saved, so the run is cut into segments of `checkpointEvery`
 * steps: each segment gets a fresh session whose Dropout nodes are seeded from (seed, segment),
 * and checkpoints fall only on segment boundaries. A resumed run therefore replays exactly the
 * computation an uninterrupted one performs, and ends with identical parameters.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FormatError } from '../../engine/errors';
import { EncoderConfig } from '../../engine/formats/config';
import { TensorF32 } from '../../engine/formats/safetensors';
import { TrainingSession } from '../../runtime/training-session';
import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { MaskingStrategy } from '../data/mlm';
import { Rng } from '../random';
import { learningRateSchedule, warmupSteps } from '../schedule';
import { ValidationScore, maskedValidation, scoreValidation } from './batches';
import { latestCheckpoint, listCheckpoints } from './checkpoint';
import { PackedCorpus, listTextFiles, tokenizeCorpus } from './corpus';
import { MaskSettings, RowSource, headsOf, rowSource } from './objectives';
import { readCurve, truncateCurve } from './curves';
import { configFor, openMaskedLm, writeMaskedLmDir } from './masked-lm-dir';
import { withPretrainingHeads } from '../../engine/init';
import { derivedSeed } from './seeds';
import { SegmentedSessions } from './segments';
import { PretrainData, Progress, Run, RunStart, StepPlan, checkpoint, trainStep } from './steps';
import {
  LEARNING_CURVE_FILE,
  MODEL_SUBDIR,
  VALIDATION_CURVE_FILE,
  PretrainingStoppedError,
  type PretrainEvent,
  type PretrainHooks,
  type PretrainMetrics,
  type PretrainOptions,
  type PretrainResult,
} from './pretrain-options';

export { LEARNING_CURVE_FILE, MODEL_SUBDIR, VALIDATION_CURVE_FILE, PRETRAIN_DEFAULTS, PretrainingStoppedError } from './pretrain-options';
export type { PretrainEvent, PretrainHooks, PretrainMetrics, PretrainOptions, PretrainResult } from './pretrain-options';

/**
 * Pre-trains the masked LM in `options.modelDir` on `options.dataPath`, as a sequence of stages:
 * check the output directory, open the model, tokenize the data, plan the steps, start or resume,
 * run the steps (checkpointing and validating on segment boundaries), then write the model.
 */
export async function pretrain(options: PretrainOptions, hooks: PretrainHooks = {}): Promise<PretrainResult> {
  const started = performance.now();
  const emit = hooks.onEvent ?? (() => undefined);
  const outDir = checkOutDir(options);
  const model = openModel(options);
  const data = await prepareData(options, emit);
  const plan = planSteps(options, data);
  const start = startOrResume(options, outDir, plan, data.corpus, model.weights);
  emit({
    type: 'start',
    totalSteps: plan.totalSteps,
    startStep: start.step,
    tokensPerStep: plan.tokensPerStep,
    parameters: start.parameters,
    resumedFrom: start.resumedFrom,
  });
  const run = prepareRun(options, outDir, model.config, data, plan, start, emit);
  const sessions = new SegmentedSessions(
    {
      config: model.config,
      pretraining: headsOf(options.objective),
      checkpointEvery: options.checkpointEvery,
      weightDecay: options.weightDecay,
      maxGradNorm: options.maxGradNorm,
      threads: options.threads,
      dropoutSeed: (segment) => derivedSeed(options.seed, 'dropout', segment),
    },
    start.params,
    start.moments,
  );
  try {
    const progress = await trainSteps(run, sessions, hooks.signal);
    return await finish(run, progress, await sessions.current(plan.totalSteps), started);
  } finally {
    await sessions.release();
  }
}

/** The hyperparameters a checkpoint is bound to: resuming with others would not continue the same run. */
function boundHyperparameters(options: PretrainOptions, totalSteps: number): Record<string, unknown> {
  return {
    max_seq_length: options.maxSeqLength,
    batch_size: options.batchSize,
    learning_rate: options.learningRate,
    warmup_ratio: options.warmupRatio,
    weight_decay: options.weightDecay,
    max_grad_norm: options.maxGradNorm,
    total_steps: totalSteps,
    whole_word_mask: options.wholeWordMask,
    mask_probability: options.maskProbability,
    seed: options.seed,
    checkpoint_every: options.checkpointEvery,
    // Absent under plain MLM, so checkpoints written before objectives existed still resume.
    ...(options.objective !== 'mlm' ? { objective: options.objective } : {}),
  };
}

/** The output directory, refused when it holds an earlier run and `resume` is off. */
function checkOutDir(options: PretrainOptions): string {
  const outDir = resolve(options.outDir);
  if (options.maxSeqLength < 8) throw new FormatError('--max-seq-length', `must be at least 8, got ${options.maxSeqLength}`);
  const checkpoints = listCheckpoints(outDir);
  if (
    !options.resume &&
    (checkpoints.length > 0 || existsSync(join(outDir, LEARNING_CURVE_FILE)) || existsSync(join(outDir, MODEL_SUBDIR)))
  ) {
    throw new FormatError(outDir, 'holds an earlier run: pass --resume to continue it, or choose another --out');
  }
  return outDir;
}

/** The starting model, with the objective's heads initialised where the checkpoint lacks them. */
function openModel(options: PretrainOptions): ReturnType<typeof openMaskedLm> {
  const opened = openMaskedLm(options.modelDir);
  const heads = headsOf(options.objective);
  const model = { ...opened, weights: withPretrainingHeads(opened.config, opened.weights, heads, derivedSeed(options.seed, 'heads', 0)) };
  if (options.maxSeqLength > model.config.max_position_embeddings) {
    throw new FormatError(
      '--max-seq-length',
      `${options.maxSeqLength} is above max_position_embeddings ${model.config.max_position_embeddings}`,
    );
  }
  return model;
}

/** Tokenizes the training files (and the validation file) into packed block streams. */
async function prepareData(options: PretrainOptions, emit: (event: PretrainEvent) => void): Promise<PretrainData> {
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const maskTokenId = tokenizer.specialIds.mask;
  if (maskTokenId === undefined) throw new FormatError(options.modelDir, 'the tokenizer has no [MASK] token');
  const t0 = performance.now();
  const files = listTextFiles(options.dataPath, options.validationFile ? [options.validationFile] : []);
  const corpus = await tokenizeCorpus(files, tokenizer);
  const source = rowSource(corpus, options.objective, options.maxSeqLength);
  const blocks = source.rows;
  if (blocks < options.batchSize)
    throw new FormatError(
      options.dataPath,
      `${corpus.ids.length} tokens make ${blocks} ${source.chunks ? 'sentence chunks' : 'blocks'} of ${options.maxSeqLength}, fewer than one batch of ${options.batchSize}`,
    );
  let validation: RowSource | undefined;
  let validationBlocks = 0;
  if (options.validationFile) {
    validation = rowSource(await tokenizeCorpus(listTextFiles(options.validationFile), tokenizer), options.objective, options.maxSeqLength);
    validationBlocks = Math.min(options.validationBlocks, validation.rows);
    if (validationBlocks === 0) throw new FormatError(options.validationFile, `shorter than one block of ${options.maxSeqLength} tokens`);
  }
  emit({
    type: 'data',
    files: files.length,
    documents: corpus.documents,
    tokens: corpus.ids.length,
    blocks,
    validationBlocks,
    seconds: (performance.now() - t0) / 1000,
  });
  return { maskTokenId, corpus, source, blocks, validation, validationBlocks };
}

function planSteps(options: PretrainOptions, data: PretrainData): StepPlan {
  const batchesPerEpoch = Math.floor(data.blocks / options.batchSize);
  const totalSteps = options.steps ?? batchesPerEpoch * (options.epochs ?? 1);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new FormatError('--steps', `must be a positive integer, got ${totalSteps}`);
  return {
    batchesPerEpoch,
    totalSteps,
    tokensPerStep: options.batchSize * options.maxSeqLength,
    hyperparameters: boundHyperparameters(options, totalSteps),
  };
}

/** The starting state: the latest checkpoint (checked against this run) on resume, else the model's weights. */
function startOrResume(
  options: PretrainOptions,
  outDir: string,
  plan: StepPlan,
  corpus: PackedCorpus,
  weights: Map<string, TensorF32>,
): RunStart {
  const curveFile = join(outDir, LEARNING_CURVE_FILE);
  const latest = options.resume ? latestCheckpoint(outDir) : undefined;
  let start: Omit<RunStart, 'parameters'> = { step: 0, params: weights, trainSecondsBefore: 0 };
  if (latest) {
    const was = JSON.stringify(latest.state.hyperparameters);
    if (was !== JSON.stringify(plan.hyperparameters)) {
      throw new FormatError(
        latest.dir,
        `was written with other settings (${was}); resume with the same ones (${JSON.stringify(plan.hyperparameters)})`,
      );
    }
    if (latest.state.corpus.fingerprint !== corpus.fingerprint)
      throw new FormatError(latest.dir, 'was written for other training data (token stream differs)');
    start = {
      step: latest.state.step,
      params: latest.params,
      moments: { expAvg: latest.expAvg, expAvgSq: latest.expAvgSq },
      trainSecondsBefore: latest.state.train_seconds,
      resumedFrom: latest.dir,
    };
    truncateCurve(curveFile, start.step);
  } else {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(curveFile, '');
  }
  let parameters = 0;
  for (const t of start.params.values()) parameters += t.data.length;
  return { ...start, parameters };
}

function prepareRun(
  options: PretrainOptions,
  outDir: string,
  config: EncoderConfig,
  data: PretrainData,
  plan: StepPlan,
  start: RunStart,
  emit: Run['emit'],
): Run {
  const lrAt = learningRateSchedule({
    kind: 'linear',
    learningRate: options.learningRate,
    totalSteps: plan.totalSteps,
    warmupRatio: options.warmupRatio,
  });
  const strategy: MaskingStrategy = options.objective === 'span+sbo' ? 'span' : options.wholeWordMask ? 'whole-word' : 'token';
  const mask: MaskSettings = {
    maskTokenId: data.maskTokenId,
    vocabSize: config.vocab_size,
    probability: options.maskProbability,
    wholeWord: options.wholeWordMask,
    padTokenId: config.pad_token_id,
  };
  // Validation is masked once, with its own seed, so every score of the run sees the same targets.
  const validationBatches = data.validation
    ? maskedValidation(data.validation, data.validationBlocks, options.batchSize, new Rng(derivedSeed(options.seed, 'validation', 0)), mask)
    : undefined;
  const validationCurve = join(outDir, VALIDATION_CURVE_FILE);
  if (start.resumedFrom) truncateCurve(validationCurve, start.step);
  else if (existsSync(validationCurve)) writeFileSync(validationCurve, '');
  const orders = new Map<number, number[]>();
  const orderOf = (epoch: number): number[] => {
    let order = orders.get(epoch);
    if (!order) {
      orders.clear();
      order = new Rng(derivedSeed(options.seed, 'order', epoch)).permutation(data.blocks);
      orders.set(epoch, order);
    }
    return order;
  };
  const curveFile = join(outDir, LEARNING_CURVE_FILE);
  return {
    options,
    outDir,
    emit,
    config,
    data,
    plan,
    start,
    curveFile,
    validationCurve,
    lrAt,
    strategy,
    mask,
    validationBatches,
    orderOf,
  };
}

async function trainSteps(run: Run, sessions: SegmentedSessions, signal: AbortSignal | undefined): Promise<Progress> {
  const { options, plan, start } = run;
  const progress: Progress = {
    trainSeconds: 0,
    windowSeconds: 0,
    windowSteps: 0,
    lastCheckpointStep: start.resumedFrom ? start.step : undefined,
  };
  for (let step = start.step; step < plan.totalSteps; step++) {
    if (signal?.aborted) throw new PretrainingStoppedError(step, progress.lastCheckpointStep);
    const live = await sessions.at(step);
    const done = await trainStep(run, live, step, progress);
    if (options.checkpointEvery > 0 && done % options.checkpointEvery === 0) await checkpoint(run, live, done, progress);
  }
  return progress;
}

/** The final validation score (unless the last checkpoint has it), the metrics and the model directory. */
async function finish(run: Run, progress: Progress, live: TrainingSession, started: number): Promise<PretrainResult> {
  const { totalSteps } = run.plan;
  let validation = progress.lastValidation?.step === totalSteps ? progress.lastValidation.result : null;
  if (run.validationBatches && !validation) {
    validation = await scoreValidation(live, run.validationBatches, run.options.objective);
    run.emit({
      type: 'eval',
      step: totalSteps,
      loss: validation.mlm_loss,
      perplexity: validation.perplexity,
      maskedTokens: validation.masked_tokens,
    });
  }
  // Tensors of the starting model that this objective does not train (another objective's head) are
  // carried over unchanged, so a checkpoint keeps every tensor it came with.
  const finalParams = new Map([...openMaskedLm(run.options.modelDir).weights, ...live.state.snapshot()]);
  const wallSeconds = (performance.now() - started) / 1000;
  const metrics = metricsOf(run, progress, validation, wallSeconds);
  const modelOut = join(run.outDir, MODEL_SUBDIR);
  writeMaskedLmDir(run.options.modelDir, modelOut, configFor(run.config, run.options.objective), finalParams, metrics);
  run.emit({ type: 'done', outDir: modelOut, wallSeconds });
  return { modelDir: modelOut, metrics };
}

function metricsOf(run: Run, progress: Progress, validation: ValidationScore | null, wallSeconds: number): PretrainMetrics {
  const { options, plan, data } = run;
  const totalTrainSeconds = run.start.trainSecondsBefore + progress.trainSeconds;
  const tail = readCurve<{ loss: number }>(run.curveFile).slice(-100);
  return {
    base_model: options.modelDir,
    data: {
      files: data.corpus.files,
      documents: data.corpus.documents,
      tokens: data.corpus.ids.length,
      blocks: data.blocks,
      validation_file: options.validationFile ?? null,
      validation_blocks: data.validationBlocks,
    },
    hyperparameters: {
      ...plan.hyperparameters,
      warmup_steps: warmupSteps(plan.totalSteps, options.warmupRatio),
      lr_scheduler: 'linear',
      masking: run.strategy,
      objective: options.objective,
    },
    parameters: run.start.parameters,
    steps: plan.totalSteps,
    tokens_seen: plan.totalSteps * plan.tokensPerStep,
    wall_seconds: wallSeconds,
    train_seconds: totalTrainSeconds,
    train_tokens_per_second: totalTrainSeconds > 0 ? (plan.totalSteps * plan.tokensPerStep) / totalTrainSeconds : 0,
    final_train_loss: tail.length ? tail.reduce((a, b) => a + b.loss, 0) / tail.length : Number.NaN,
    validation,
  };
}
