export { DEFAULT_OPTIMIZER, emitAdamW, isDecayExempt, weightDecayOf } from './adamw';
export type { AdamWParameter, AdamWUpdate, OptimizerSpec } from './adamw';
export { constantSchedule, constantWithWarmupSchedule, linearSchedule } from './schedule';
export type { LearningRateSchedule } from './schedule';
