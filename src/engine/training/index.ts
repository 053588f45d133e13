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
export type { DistillationSpec, EvalGraph, TrainableHead, TrainingGraph, TrainingGraphSpec } from './training-graph';
export { DEFAULT_OPTIMIZER, constantSchedule, constantWithWarmupSchedule, isDecayExempt, linearSchedule, weightDecayOf } from '../optim';
export type { LearningRateSchedule, OptimizerSpec } from '../optim';
