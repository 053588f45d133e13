import { EncoderConfig } from '../../engine/formats/config';
import { EngineError } from '../../engine/errors';
import { TensorF32 } from '../../engine/formats/safetensors';
import { TrainingBatch, TrainingSession } from '../../runtime/training-session';
import { MaskingStrategy } from '../data/mlm';
import { Rng } from '../random';
import { ValidationScore, scoreValidation } from './batches';
import { CheckpointState, saveCheckpoint } from './checkpoint';
import { PackedCorpus } from './corpus';
import { MaskSettings, RowSource, objectiveBatch } from './objectives';
import { appendCurve } from './curves';
import type { PretrainEvent, PretrainOptions } from './pretrain';
import { derivedSeed } from './seeds';
import { Moments, captureState } from './segments';

/** The state of a pre-training run that its steps share, and the two things a step does: train, checkpoint. */

export interface PretrainData {
  readonly maskTokenId: number;
  readonly corpus: PackedCorpus;
  /** The rows an epoch reads (blocks, or sentence chunks), and their count. */
  readonly source: RowSource;
  readonly blocks: number;
  readonly validation?: RowSource;
  readonly validationBlocks: number;
}

export interface StepPlan {
  readonly batchesPerEpoch: number;
  readonly totalSteps: number;
  readonly tokensPerStep: number;
  readonly hyperparameters: Record<string, unknown>;
}

export interface RunStart {
  /** The first step to take (0, or the checkpoint's). */
  readonly step: number;
  readonly params: Map<string, TensorF32>;
  readonly moments?: Moments;
  /** Train seconds of the invocations before this one. */
  readonly trainSecondsBefore: number;
  readonly resumedFrom?: string;
  readonly parameters: number;
}

/** Everything the steps read: settings, data, plan, schedule, masking and the validation batches. */
export interface Run {
  readonly options: PretrainOptions;
  readonly outDir: string;
  readonly emit: (event: PretrainEvent) => void;
  readonly config: EncoderConfig;
  readonly data: PretrainData;
  readonly plan: StepPlan;
  readonly start: RunStart;
  readonly curveFile: string;
  readonly validationCurve: string;
  readonly lrAt: (step: number) => number;
  readonly strategy: MaskingStrategy;
  readonly mask: MaskSettings;
  readonly validationBatches?: TrainingBatch[];
  /** The block order of an epoch (a seeded permutation, cached one epoch at a time). */
  readonly orderOf: (epoch: number) => number[];
}

/** What the steps of this invocation have measured and written so far. */
export interface Progress {
  trainSeconds: number;
  windowSeconds: number;
  windowSteps: number;
  lastCheckpointStep?: number;
  lastValidation?: { readonly step: number; readonly result: ValidationScore };
}

/**
 * Step `step`: batch `step mod B` of its epoch's block order, masked with a generator seeded from
 * (seed, step), one optimizer step at the scheduled rate; appends the learning curve and reports
 * progress every `logEvery` steps. Returns the number of steps done.
 */
export async function trainStep(run: Run, live: TrainingSession, step: number, progress: Progress): Promise<number> {
  const { options, plan } = run;
  const epoch = Math.floor(step / plan.batchesPerEpoch);
  const inEpoch = step % plan.batchesPerEpoch;
  const blockIds = run.orderOf(epoch).slice(inEpoch * options.batchSize, (inEpoch + 1) * options.batchSize);
  // Pairs (sentence objectives) and masks are drawn from one generator seeded from (seed, step).
  const batch = objectiveBatch(run.data.source, blockIds, new Rng(derivedSeed(options.seed, 'mask', step)), run.mask);
  const lr = run.lrAt(step);
  const s0 = performance.now();
  const result = await live.step(batch, lr);
  const seconds = (performance.now() - s0) / 1000;
  progress.trainSeconds += seconds;
  progress.windowSeconds += seconds;
  progress.windowSteps++;
  const done = step + 1;
  if (!Number.isFinite(result.loss))
    throw new EngineError('TRAINING_DIVERGED', `loss is ${result.loss} at step ${done}; lower the learning rate`);
  const tokensSeen = done * plan.tokensPerStep;
  const trainSeconds = +(run.start.trainSecondsBefore + progress.trainSeconds).toFixed(3);
  appendCurve(run.curveFile, {
    step: done,
    epoch,
    loss: result.loss,
    lr,
    grad_norm: result.gradNorm,
    tokens: tokensSeen,
    train_seconds: trainSeconds,
  });
  if (done % options.logEvery === 0 || done === plan.totalSteps) {
    const tokensPerSecond = (progress.windowSteps * plan.tokensPerStep) / progress.windowSeconds;
    const etaSeconds = ((plan.totalSteps - done) * progress.trainSeconds) / (done - run.start.step);
    run.emit({
      type: 'step',
      step: done,
      totalSteps: plan.totalSteps,
      epoch,
      loss: result.loss,
      lr,
      gradNorm: result.gradNorm,
      tokensPerSecond,
      etaSeconds,
      tokensSeen,
    });
    progress.windowSeconds = 0;
    progress.windowSteps = 0;
  }
  return done;
}

/** A checkpoint after `done` steps (a segment boundary), then the validation score when there is validation data. */
export async function checkpoint(run: Run, live: TrainingSession, done: number, progress: Progress): Promise<void> {
  const { options, plan, data } = run;
  const tokensSeen = done * plan.tokensPerStep;
  const state: CheckpointState = {
    step: done,
    hyperparameters: plan.hyperparameters,
    cursor: { epoch: Math.floor(done / plan.batchesPerEpoch), batch: done % plan.batchesPerEpoch, blocks: data.blocks },
    rng: { seed: options.seed, next_step: done },
    corpus: { files: data.corpus.files, tokens: data.corpus.ids.length, fingerprint: data.corpus.fingerprint },
    tokens_seen: tokensSeen,
    train_seconds: run.start.trainSecondsBefore + progress.trainSeconds,
  };
  const snap = captureState(live);
  const dir = saveCheckpoint(run.outDir, state, snap.params, snap);
  progress.lastCheckpointStep = done;
  run.emit({ type: 'checkpoint', step: done, dir });
  if (run.validationBatches) {
    const result = await scoreValidation(live, run.validationBatches, options.objective);
    progress.lastValidation = { step: done, result };
    appendCurve(run.validationCurve, { step: done, tokens: tokensSeen, ...result });
    run.emit({ type: 'eval', step: done, loss: result.mlm_loss, perplexity: result.perplexity, maskedTokens: result.masked_tokens });
  }
}
