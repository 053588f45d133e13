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
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError, FormatError } from '../../engine/errors';
import { EncoderConfig, headOf, readConfig, writeConfig } from '../../engine/formats/config';
import { locateHfModelDir } from '../../engine/formats/hf-dir';
import { TensorF32, readSafetensors, writeSafetensors } from '../../engine/formats/safetensors';
import { buildInferenceModel, checkBuildable } from '../../engine/nn/bert';
import { COPIED_FILES, writeDirAtomically } from '../../engine/nn/export';
import { writeModelFile } from '../../engine/onnx/encode';
import { buildEvalGraph, buildTrainingGraph } from '../../engine/training';
import { TrainingBatch, TrainingSession } from '../../runtime/training-session';
import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { IGNORE_INDEX } from '../data/features';
import { MaskingStrategy, maskTokens } from '../data/mlm';
import { Rng } from '../random';
import { learningRateSchedule, warmupSteps } from '../schedule';
import { CheckpointState, latestCheckpoint, listCheckpoints, saveCheckpoint } from './checkpoint';
import { PackedCorpus, blockAt, blockCount, listTextFiles, tokenizeCorpus } from './corpus';

export const LEARNING_CURVE_FILE = 'learning-curve.jsonl';
export const MODEL_SUBDIR = 'model';
/** Validation MLM loss and perplexity at every checkpoint. */
export const VALIDATION_CURVE_FILE = 'validation-curve.jsonl';

export interface PretrainOptions {
  /** HF layout directory of a BertForMaskedLM (e.g. from `berth init-model`). */
  readonly modelDir: string;
  /** A .txt file or a directory of them (one document per non-empty line). */
  readonly dataPath: string;
  readonly outDir: string;
  /** Held-out text for the final validation loss; excluded from the training files when inside `dataPath`. */
  readonly validationFile?: string;
  /** Blocks of the validation file scored (its first ones). */
  readonly validationBlocks: number;
  readonly maxSeqLength: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** Total optimizer steps; when absent, `epochs` full passes over the blocks. */
  readonly steps?: number;
  readonly epochs?: number;
  readonly wholeWordMask: boolean;
  readonly maskProbability: number;
  readonly seed: number;
  /** Steps between checkpoints (0: none before the end). */
  readonly checkpointEvery: number;
  readonly resume: boolean;
  /** Steps between progress events. */
  readonly logEvery: number;
  readonly threads?: number;
}

export const PRETRAIN_DEFAULTS = {
  validationBlocks: 256,
  maxSeqLength: 128,
  batchSize: 32,
  learningRate: 5e-4,
  warmupRatio: 0.06,
  weightDecay: 0.01,
  maxGradNorm: 1.0,
  wholeWordMask: false,
  maskProbability: 0.15,
  seed: 42,
  checkpointEvery: 0,
  resume: false,
  logEvery: 10,
} as const;

export type PretrainEvent =
  | { type: 'data'; files: number; documents: number; tokens: number; blocks: number; validationBlocks: number; seconds: number }
  | { type: 'start'; totalSteps: number; startStep: number; tokensPerStep: number; parameters: number; resumedFrom?: string }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number; etaSeconds: number; tokensSeen: number }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'eval'; step: number; loss: number; perplexity: number; maskedTokens: number }
  | { type: 'done'; outDir: string; wallSeconds: number };

export interface PretrainHooks {
  /** Checked between steps: the run stops (its last checkpoint stays) with PretrainingStoppedError. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PretrainEvent) => void;
}

export class PretrainingStoppedError extends EngineError {
  constructor(step: number, checkpointStep: number | undefined) {
    super(
      'PRETRAINING_STOPPED',
      `pre-training stopped at step ${step}; ${checkpointStep === undefined ? 'no checkpoint was written' : `the last checkpoint is at step ${checkpointStep}: rerun with --resume`}`,
    );
  }
}

export interface PretrainMetrics {
  readonly base_model: string;
  readonly data: { files: string[]; documents: number; tokens: number; blocks: number; validation_file: string | null; validation_blocks: number };
  readonly hyperparameters: Record<string, unknown>;
  readonly parameters: number;
  readonly steps: number;
  readonly tokens_seen: number;
  /** This invocation, data preparation and validation included. */
  readonly wall_seconds: number;
  /** Time inside optimizer steps, summed over every invocation of a resumed run. */
  readonly train_seconds: number;
  readonly train_tokens_per_second: number;
  /** Mean training loss over the last min(100, steps) steps. */
  readonly final_train_loss: number;
  readonly validation: { mlm_loss: number; perplexity: number; masked_tokens: number } | null;
}

export interface PretrainResult {
  readonly modelDir: string;
  readonly metrics: PretrainMetrics;
}

const PURPOSE = { order: 1n, mask: 2n, dropout: 3n, validation: 4n } as const;

/** A seed for one purpose and index, mixed from the run's seed (fits ONNX's int seed attribute). */
export function derivedSeed(seed: number, purpose: keyof typeof PURPOSE, index: number): number {
  let z = (BigInt(seed) * 0x9e3779b97f4a7c15n + PURPOSE[purpose] * 0xbf58476d1ce4e5b9n + BigInt(index) * 0x94d049bb133111ebn) & ((1n << 64n) - 1n);
  z = ((z ^ (z >> 31n)) * 0xd6e8feb86659fd93n) & ((1n << 64n) - 1n);
  return Number((z ^ (z >> 32n)) & 0x7fffffffn);
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
  };
}

function openMaskedLm(modelDir: string): { config: EncoderConfig; weights: Map<string, TensorF32> } {
  const located = locateHfModelDir(modelDir, { safetensors: true });
  const config = readConfig(located.configFile);
  checkBuildable(config, located.configFile);
  const head = headOf(config, located.configFile);
  if (head !== 'masked-lm') throw new FormatError(located.configFile, `architectures ${JSON.stringify(config.architectures)} is a ${head} model; pre-training needs BertForMaskedLM`);
  return { config, weights: readSafetensors(located.safetensorsFile as string) };
}

interface Snapshot {
  params: Map<string, TensorF32>;
  expAvg: Map<string, TensorF32>;
  expAvgSq: Map<string, TensorF32>;
}

function captureState(session: TrainingSession): Snapshot {
  const s = session.state;
  const params = s.snapshot();
  const expAvg = new Map<string, TensorF32>();
  const expAvgSq = new Map<string, TensorF32>();
  for (const name of s.names) {
    const shape = params.get(name)?.shape ?? [];
    expAvg.set(name, { shape: [...shape], data: Float32Array.from(s.expAvg(name)) });
    expAvgSq.set(name, { shape: [...shape], data: Float32Array.from(s.expAvgSq(name)) });
  }
  return { params, expAvg, expAvgSq };
}

/**
 * A packed, fully real batch ([CLS] + stream tokens, no padding) from masked rows. Only the masked
 * positions are scored (the graph's `maskedPositionsOnly`): their row-major indices and token ids,
 * which gives the loss and gradients of [B, L] labels with −100 elsewhere at a fraction of the
 * output layer's cost.
 */
function makeBatch(rows: ReadonlyArray<{ inputIds: number[]; labels: number[] }>, seqLength: number): TrainingBatch {
  const n = rows.length * seqLength;
  const inputIds = new BigInt64Array(n);
  const positions: bigint[] = [];
  const labels: bigint[] = [];
  rows.forEach((row, r) => {
    for (let t = 0; t < seqLength; t++) {
      inputIds[r * seqLength + t] = BigInt(row.inputIds[t]);
      if (row.labels[t] !== IGNORE_INDEX) {
        positions.push(BigInt(r * seqLength + t));
        labels.push(BigInt(row.labels[t]));
      }
    }
  });
  return {
    size: rows.length,
    seqLength,
    inputIds,
    attentionMask: new BigInt64Array(n).fill(1n),
    tokenTypeIds: new BigInt64Array(n),
    maskedPositions: BigInt64Array.from(positions),
    labels: BigInt64Array.from(labels),
  };
}

function maskedCount(batch: TrainingBatch): number {
  return batch.maskedPositions?.length ?? 0;
}

/** Curve lines kept on resume: those of steps the checkpoint already covers. */
function truncateCurve(file: string, upToStep: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= upToStep);
  writeFileSync(file, kept.length ? `${kept.join('\n')}\n` : '');
}

type MaskOptions = Parameters<typeof maskTokens>[2];

/** The first `count` validation blocks, masked once with the run's validation seed, in batches. */
function maskedValidation(validation: PackedCorpus, count: number, options: PretrainOptions, maskOptions: MaskOptions): TrainingBatch[] {
  const rng = new Rng(derivedSeed(options.seed, 'validation', 0));
  const batches: TrainingBatch[] = [];
  for (let from = 0; from < count; from += options.batchSize) {
    const rows: Array<{ inputIds: number[]; labels: number[] }> = [];
    for (let b = from; b < Math.min(count, from + options.batchSize); b++) rows.push(maskTokens(blockAt(validation, b, options.maxSeqLength), rng, maskOptions));
    const batch = makeBatch(rows, options.maxSeqLength);
    if (maskedCount(batch) > 0) batches.push(batch);
  }
  return batches;
}

/** Loss per masked token over all validation batches (each batch's mean weighted by its masked tokens). */
async function scoreValidation(session: TrainingSession, batches: readonly TrainingBatch[]): Promise<NonNullable<PretrainMetrics['validation']>> {
  let lossSum = 0;
  let masked = 0;
  for (const batch of batches) {
    const n = maskedCount(batch);
    lossSum += (await session.evaluate(batch)).loss * n;
    masked += n;
  }
  const loss = lossSum / masked;
  return { mlm_loss: loss, perplexity: Math.exp(loss), masked_tokens: masked };
}

export async function pretrain(options: PretrainOptions, hooks: PretrainHooks = {}): Promise<PretrainResult> {
  const started = performance.now();
  const emit = hooks.onEvent ?? (() => undefined);
  const outDir = resolve(options.outDir);
  if (options.maxSeqLength < 8) throw new FormatError('--max-seq-length', `must be at least 8, got ${options.maxSeqLength}`);
  const checkpoints = listCheckpoints(outDir);
  if (!options.resume && (checkpoints.length > 0 || existsSync(join(outDir, LEARNING_CURVE_FILE)) || existsSync(join(outDir, MODEL_SUBDIR)))) {
    throw new FormatError(outDir, 'holds an earlier run: pass --resume to continue it, or choose another --out');
  }

  const model = openMaskedLm(options.modelDir);
  if (options.maxSeqLength > model.config.max_position_embeddings) {
    throw new FormatError('--max-seq-length', `${options.maxSeqLength} is above max_position_embeddings ${model.config.max_position_embeddings}`);
  }
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const maskTokenId = tokenizer.specialIds.mask;
  if (maskTokenId === undefined) throw new FormatError(options.modelDir, 'the tokenizer has no [MASK] token');

  const t0 = performance.now();
  const files = listTextFiles(options.dataPath, options.validationFile ? [options.validationFile] : []);
  const corpus = await tokenizeCorpus(files, tokenizer);
  const blocks = blockCount(corpus, options.maxSeqLength);
  if (blocks < options.batchSize) throw new FormatError(options.dataPath, `${corpus.ids.length} tokens make ${blocks} blocks of ${options.maxSeqLength}, fewer than one batch of ${options.batchSize}`);
  let validation: PackedCorpus | undefined;
  let validationBlocks = 0;
  if (options.validationFile) {
    validation = await tokenizeCorpus(listTextFiles(options.validationFile), tokenizer);
    validationBlocks = Math.min(options.validationBlocks, blockCount(validation, options.maxSeqLength));
    if (validationBlocks === 0) throw new FormatError(options.validationFile, `shorter than one block of ${options.maxSeqLength} tokens`);
  }
  emit({ type: 'data', files: files.length, documents: corpus.documents, tokens: corpus.ids.length, blocks, validationBlocks, seconds: (performance.now() - t0) / 1000 });

  const batchesPerEpoch = Math.floor(blocks / options.batchSize);
  const totalSteps = options.steps ?? batchesPerEpoch * (options.epochs ?? 1);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new FormatError('--steps', `must be a positive integer, got ${totalSteps}`);
  const hyperparameters = boundHyperparameters(options, totalSteps);
  const tokensPerStep = options.batchSize * options.maxSeqLength;

  let params = model.weights;
  let moments: { expAvg: Map<string, TensorF32>; expAvgSq: Map<string, TensorF32> } | undefined;
  let startStep = 0;
  let trainSecondsBefore = 0;
  let resumedFrom: string | undefined;
  const curveFile = join(outDir, LEARNING_CURVE_FILE);
  const latest = options.resume ? latestCheckpoint(outDir) : undefined;
  if (latest) {
    const was = JSON.stringify(latest.state.hyperparameters);
    if (was !== JSON.stringify(hyperparameters)) {
      throw new FormatError(latest.dir, `was written with other settings (${was}); resume with the same ones (${JSON.stringify(hyperparameters)})`);
    }
    if (latest.state.corpus.fingerprint !== corpus.fingerprint) throw new FormatError(latest.dir, 'was written for other training data (token stream differs)');
    params = latest.params;
    moments = { expAvg: latest.expAvg, expAvgSq: latest.expAvgSq };
    startStep = latest.state.step;
    trainSecondsBefore = latest.state.train_seconds;
    resumedFrom = latest.dir;
    truncateCurve(curveFile, startStep);
  } else {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(curveFile, '');
  }
  let parameterCount = 0;
  for (const t of params.values()) parameterCount += t.data.length;
  emit({ type: 'start', totalSteps, startStep, tokensPerStep, parameters: parameterCount, resumedFrom });

  const lrAt = learningRateSchedule({ kind: 'linear', learningRate: options.learningRate, totalSteps, warmupRatio: options.warmupRatio });
  const strategy: MaskingStrategy = options.wholeWordMask ? 'whole-word' : 'token';
  const maskOptions = { maskTokenId, vocabSize: model.config.vocab_size, probability: options.maskProbability, strategy };
  // Validation is masked once, with its own seed, so every score of the run sees the same targets.
  const validationBatches = validation ? maskedValidation(validation, validationBlocks, options, maskOptions) : undefined;
  const validationCurve = join(outDir, VALIDATION_CURVE_FILE);
  if (latest) truncateCurve(validationCurve, startStep);
  else if (existsSync(validationCurve)) writeFileSync(validationCurve, '');
  let lastValidation: { step: number; result: NonNullable<PretrainMetrics['validation']> } | undefined;

  const orders = new Map<number, number[]>();
  const orderOf = (epoch: number): number[] => {
    let order = orders.get(epoch);
    if (!order) {
      orders.clear();
      order = new Rng(derivedSeed(options.seed, 'order', epoch)).permutation(blocks);
      orders.set(epoch, order);
    }
    return order;
  };
  const segmentOf = (step: number): number => (options.checkpointEvery > 0 ? Math.floor(step / options.checkpointEvery) : 0);

  let session: TrainingSession | undefined;
  let segment = -1;
  /** Opens the segment holding `step`: a fresh session at the current state, dropout seeded for the segment. */
  const openSegment = async (step: number): Promise<TrainingSession> => {
    if (session) {
      const state = captureState(session);
      params = state.params;
      moments = { expAvg: state.expAvg, expAvgSq: state.expAvgSq };
      await session.release();
      session = undefined;
    }
    segment = segmentOf(step);
    const spec = {
      config: model.config,
      weights: params,
      head: 'masked-lm' as const,
      maskedPositionsOnly: true,
      optimizer: { weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm },
      dropoutSeed: derivedSeed(options.seed, 'dropout', segment),
    };
    const opened = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec), intraOpThreads: options.threads });
    opened.state.load(params, moments, step);
    session = opened;
    return opened;
  };

  const recentLosses: number[] = [];
  let lastCheckpointStep = latest ? startStep : undefined;
  let trainSeconds = 0;
  let windowSeconds = 0;
  let windowSteps = 0;
  try {
    for (let step = startStep; step < totalSteps; step++) {
      if (hooks.signal?.aborted) throw new PretrainingStoppedError(step, lastCheckpointStep);
      const live = session && segmentOf(step) === segment ? session : await openSegment(step);
      const epoch = Math.floor(step / batchesPerEpoch);
      const inEpoch = step % batchesPerEpoch;
      const order = orderOf(epoch);
      const rng = new Rng(derivedSeed(options.seed, 'mask', step));
      const rows = order.slice(inEpoch * options.batchSize, (inEpoch + 1) * options.batchSize).map((b) => maskTokens(blockAt(corpus, b, options.maxSeqLength), rng, maskOptions));
      const batch = makeBatch(rows, options.maxSeqLength);
      const lr = lrAt(step);
      const s0 = performance.now();
      const result = await live.step(batch, lr);
      const seconds = (performance.now() - s0) / 1000;
      trainSeconds += seconds;
      windowSeconds += seconds;
      windowSteps++;
      const done = step + 1;
      if (!Number.isFinite(result.loss)) throw new EngineError('TRAINING_DIVERGED', `loss is ${result.loss} at step ${done}; lower the learning rate`);
      recentLosses.push(result.loss);
      if (recentLosses.length > 100) recentLosses.shift();
      const tokensSeen = done * tokensPerStep;
      appendFileSync(
        curveFile,
        `${JSON.stringify({ step: done, epoch, loss: result.loss, lr, grad_norm: result.gradNorm, tokens: tokensSeen, train_seconds: +(trainSecondsBefore + trainSeconds).toFixed(3) })}\n`,
      );
      if (done % options.logEvery === 0 || done === totalSteps) {
        const tokensPerSecond = (windowSteps * tokensPerStep) / windowSeconds;
        emit({
          type: 'step',
          step: done,
          totalSteps,
          epoch,
          loss: result.loss,
          lr,
          gradNorm: result.gradNorm,
          tokensPerSecond,
          etaSeconds: ((totalSteps - done) * trainSeconds) / (done - startStep),
          tokensSeen,
        });
        windowSeconds = 0;
        windowSteps = 0;
      }
      if (options.checkpointEvery > 0 && done % options.checkpointEvery === 0) {
        const state: CheckpointState = {
          step: done,
          hyperparameters,
          cursor: { epoch: Math.floor(done / batchesPerEpoch), batch: done % batchesPerEpoch, blocks },
          rng: { seed: options.seed, next_step: done },
          corpus: { files: corpus.files, tokens: corpus.ids.length, fingerprint: corpus.fingerprint },
          tokens_seen: tokensSeen,
          train_seconds: trainSecondsBefore + trainSeconds,
        };
        const snap = captureState(live);
        const dir = saveCheckpoint(outDir, state, snap.params, snap);
        lastCheckpointStep = done;
        emit({ type: 'checkpoint', step: done, dir });
        if (validationBatches) {
          const result = await scoreValidation(live, validationBatches);
          lastValidation = { step: done, result };
          appendFileSync(validationCurve, `${JSON.stringify({ step: done, tokens: tokensSeen, ...result })}\n`);
          emit({ type: 'eval', step: done, loss: result.mlm_loss, perplexity: result.perplexity, maskedTokens: result.masked_tokens });
        }
      }
    }
    const live = session ?? (await openSegment(totalSteps));

    let validationResult = lastValidation?.step === totalSteps ? lastValidation.result : null;
    if (validationBatches && !validationResult) {
      validationResult = await scoreValidation(live, validationBatches);
      emit({ type: 'eval', step: totalSteps, loss: validationResult.mlm_loss, perplexity: validationResult.perplexity, maskedTokens: validationResult.masked_tokens });
    }

    const finalParams = live.state.snapshot();
    const totalTrainSeconds = trainSecondsBefore + trainSeconds;
    const wallSeconds = (performance.now() - started) / 1000;
    const curve = readFileSync(curveFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { loss: number });
    const tail = curve.slice(-100);
    const metrics: PretrainMetrics = {
      base_model: options.modelDir,
      data: {
        files: corpus.files,
        documents: corpus.documents,
        tokens: corpus.ids.length,
        blocks,
        validation_file: options.validationFile ?? null,
        validation_blocks: validationBlocks,
      },
      hyperparameters: { ...hyperparameters, warmup_steps: warmupSteps(totalSteps, options.warmupRatio), lr_scheduler: 'linear', masking: strategy },
      parameters: parameterCount,
      steps: totalSteps,
      tokens_seen: totalSteps * tokensPerStep,
      wall_seconds: wallSeconds,
      train_seconds: totalTrainSeconds,
      train_tokens_per_second: totalTrainSeconds > 0 ? (totalSteps * tokensPerStep) / totalTrainSeconds : 0,
      final_train_loss: tail.length ? tail.reduce((a, b) => a + b.loss, 0) / tail.length : Number.NaN,
      validation: validationResult,
    };
    const modelOut = join(outDir, MODEL_SUBDIR);
    writeMaskedLmDir(options.modelDir, modelOut, model.config, finalParams, metrics);
    emit({ type: 'done', outDir: modelOut, wallSeconds });
    return { modelDir: modelOut, metrics };
  } finally {
    await session?.release();
  }
}

/** The pre-trained model as an HF layout directory (written atomically, replacing an earlier one). */
function writeMaskedLmDir(baseDir: string, outDir: string, config: EncoderConfig, parameters: ReadonlyMap<string, TensorF32>, metrics: PretrainMetrics): void {
  const sorted = new Map([...parameters].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const onnx = buildInferenceModel(config, sorted, { head: 'masked-lm' });
  writeDirAtomically(outDir, true, (tmp) => {
    writeConfig(join(tmp, 'config.json'), config);
    writeSafetensors(join(tmp, 'model.safetensors'), sorted, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), onnx);
    for (const name of COPIED_FILES) {
      if (name === 'config.json' || name === 'model.safetensors') continue;
      const from = join(baseDir, name);
      if (existsSync(from)) copyFileSync(from, join(tmp, name));
    }
    writeFileSync(join(tmp, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  });
}
