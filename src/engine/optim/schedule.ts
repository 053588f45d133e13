/**
 * Learning-rate schedules, computed on the host and fed as the training graph's `learning_rate`
 * input. `step` is 0-based: the number of optimizer steps already taken, as HF's LambdaLR sees it
 * when the step is taken.
 */
export type LearningRateSchedule = (step: number) => number;

export function constantSchedule(lr: number): LearningRateSchedule {
  return () => lr;
}

/** HF `get_linear_schedule_with_warmup`: linear warm-up from 0, then linear decay to 0. */
export function linearSchedule(options: { lr: number; warmupSteps: number; totalSteps: number }): LearningRateSchedule {
  const { lr, warmupSteps, totalSteps } = options;
  return (step) => {
    if (step < warmupSteps) return (lr * step) / Math.max(1, warmupSteps);
    return lr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** HF `get_constant_schedule_with_warmup`. */
export function constantWithWarmupSchedule(options: { lr: number; warmupSteps: number }): LearningRateSchedule {
  return (step) => (step < options.warmupSteps ? (options.lr * step) / Math.max(1, options.warmupSteps) : options.lr);
}
