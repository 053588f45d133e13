import { LearningRateSchedule, constantWithWarmupSchedule, linearSchedule } from '../engine/training';
import { LrScheduler } from './options';

export interface ScheduleOptions {
  readonly kind: LrScheduler;
  readonly learningRate: number;
  readonly totalSteps: number;
  /** Share of the steps spent warming up (HF `warmup_ratio`). */
  readonly warmupRatio: number;
}

/** Warm-up steps as HF TrainingArguments.get_warmup_steps computes them: ceil(ratio · total). */
export function warmupSteps(totalSteps: number, warmupRatio: number): number {
  return Math.ceil(totalSteps * warmupRatio);
}

/**
 * The learning rate of each optimizer step (`step` 0-based, the step about to be taken), as HF
 * Trainer builds it from `lr_scheduler_type` and `warmup_ratio`: `linear` warms up then decays to
 * 0 at the last step; `constant` warms up then holds.
 */
export function learningRateSchedule(options: ScheduleOptions): LearningRateSchedule {
  const warmup = warmupSteps(options.totalSteps, options.warmupRatio);
  return options.kind === 'constant'
    ? constantWithWarmupSchedule({ lr: options.learningRate, warmupSteps: warmup })
    : linearSchedule({ lr: options.learningRate, warmupSteps: warmup, totalSteps: options.totalSteps });
}
