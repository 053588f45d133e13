export { DEFAULT_OPTIMIZER, emitAdamW, emitGradNorm, isDecayExempt, weightDecayOf } from './adamw';
export { HostAdamW, adamWScalars } from './host-adamw';
export type { HostTensor } from './host-adamw';
export type { AdamWParameter, AdamWUpdate, OptimizerSpec } from './adamw';
export { constantSchedule, constantWithWarmupSchedule, linearSchedule } from './schedule';
export type { LearningRateSchedule } from './schedule';
