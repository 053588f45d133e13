export {
  GRAD_NORM,
  LEARNING_RATE,
  LOSS,
  MASKED_POSITIONS,
  STEP,
  buildEvalGraph,
  buildTrainingGraph,
  expAvgName,
  expAvgSqName,
  gradName,
  labelInputsOf,
  nextName,
  teacherInputsOf,
} from './training-graph';
export type { DistillationSpec, EvalGraph, OptimizerPlacement, TrainableHead, TrainingGraph, TrainingGraphSpec } from './training-graph';
export {
  DEFAULT_OPTIMIZER,
  HostAdamW,
  constantSchedule,
  constantWithWarmupSchedule,
  isDecayExempt,
  linearSchedule,
  weightDecayOf,
} from '../optim';
export type { LearningRateSchedule, OptimizerSpec } from '../optim';
