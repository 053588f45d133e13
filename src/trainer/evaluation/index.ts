/** Evaluation metrics for fine-tuning: the public API of `src/trainer/evaluation`. */
export { accuracy, confusionMatrix, macroF1, perClassScores } from './classification';
export type { ClassScores } from './classification';
export { entityScores, getEntities } from './seqeval';
export type { Entity, EntityScores, PrecisionRecallF1 } from './seqeval';
export { exactMatch, normalizeAnswer, squadEvaluate, tokenF1 } from './squad';
export type { SquadEvaluation, SquadReference, SquadScores } from './squad';
export { postprocessQaPredictions } from './qa-postprocess';
export type { QaCandidate, QaContext, QaPostprocessOptions, QaPrediction, QaContextOffsets } from './qa-postprocess';
