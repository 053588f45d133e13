import type { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';

/**
 * Losses as Hugging Face's heads compute them, built from primitives (LogSoftmax, GatherElements,
 * reductions) so that autodiff differentiates them with the ordinary rules.
 */

/** Label id PyTorch's CrossEntropyLoss ignores by default (HF labels padding and specials with it). */
export const IGNORE_INDEX = -100;

/**
 * Mean cross-entropy of `logits` [N, C] against int64 `labels` [N]. With `ignoreIndex`, rows whose
 * label equals it are left out of both the sum and the count (torch's `ignore_index`; a batch with
 * no scored row gives NaN, as torch does, unless `zeroWhenEmpty`: distillation's unlabelled
 * transfer rows can fill a whole batch, whose label loss is then 0 with no gradient).
 */
export function crossEntropy(
  g: GraphBuilder,
  logits: Value,
  labels: Value,
  ignoreIndex?: number | Value,
  options: { zeroWhenEmpty?: boolean } = {},
): Value {
  const logProbs = g.op.LogSoftmax(logits, -1);
  if (ignoreIndex === undefined) {
    const picked = g.op.GatherElements(logProbs, g.op.Unsqueeze(labels, [1]), 1);
    return g.op.Neg(g.op.ReduceMean(picked, undefined, false));
  }
  const ignored = typeof ignoreIndex === 'number' ? g.constant(ignoreIndex, 'int64') : ignoreIndex;
  const valid = g.op.Not(g.op.Equal(labels, ignored));
  // Ignored rows pick class 0 (any valid index) and are then weighted by 0.
  const safe = g.op.Where(valid, labels, g.constant(0, 'int64'));
  const picked = g.op.Squeeze(g.op.GatherElements(logProbs, g.op.Unsqueeze(safe, [1]), 1), [1]);
  const weight = g.op.Cast(valid, 'float32');
  const total = g.op.ReduceSum(g.op.Mul(picked, weight), undefined, false);
  const count = g.op.ReduceSum(weight, undefined, false);
  return g.op.Neg(g.op.Div(total, options.zeroWhenEmpty ? g.op.Max(count, g.constant(1, 'float32')) : count));
}

/** Mean squared error, HF's regression loss (`num_labels == 1`): `predictions` [N, 1], `targets` [N]. */
export function meanSquaredError(g: GraphBuilder, predictions: Value, targets: Value): Value {
  const diff = g.op.Sub(g.op.Reshape(predictions, [-1]), g.op.Reshape(targets, [-1]));
  return g.op.ReduceMean(g.op.Mul(diff, diff), undefined, false);
}

/** Token-level CE (NER, MLM): `logits` [B, L, C], `labels` [B, L] with −100 ignored. */
export function tokenCrossEntropy(
  g: GraphBuilder,
  logits: Value,
  labels: Value,
  numClasses: number,
  options: { zeroWhenEmpty?: boolean } = {},
): Value {
  return crossEntropy(g, g.op.Reshape(logits, [-1, numClasses]), g.op.Reshape(labels, [-1]), IGNORE_INDEX, options);
}

/**
 * HF BertForQuestionAnswering: positions are clamped to [0, L] and L is ignored; the loss is the
 * mean of the start and end CE, each a softmax over all L positions (padding included).
 */
export function spanLoss(g: GraphBuilder, startLogits: Value, endLogits: Value, startPositions: Value, endPositions: Value): Value {
  const length = g.op.Shape(startLogits, 1, 2);
  const clamp = (p: Value): Value => g.op.Min(g.op.Max(p, g.constant(0, 'int64')), length);
  const start = crossEntropy(g, startLogits, clamp(startPositions), length);
  const end = crossEntropy(g, endLogits, clamp(endPositions), length);
  return g.op.Div(g.op.Add(start, end), g.constant(2, 'float32'));
}

/**
 * The soft-target term of knowledge distillation (Hinton et al.; DistilBERT):
 * T² · KL(softmax(teacher/T) ‖ softmax(student/T)), the KL summed over classes and averaged over
 * rows (torch's `KLDivLoss(reduction="batchmean")`). The T² keeps the gradient's scale independent
 * of T, so α mixes it with the label CE as the papers do. `rowWeights` [N] (0 or 1) leaves rows out
 * of the mean (NER's ignored tokens); `logitMask` [N, C] (0 or 1) leaves classes out of both
 * softmaxes (QA's padding positions, which the teacher never saw at the same length).
 */
export function softTargetKl(
  g: GraphBuilder,
  studentLogits: Value,
  teacherLogits: Value,
  temperature: number,
  options: { rowWeights?: Value; logitMask?: Value } = {},
): Value {
  const t = g.constant(temperature, 'float32');
  const masked = (logits: Value): Value => {
    const scaled = g.op.Div(logits, t);
    if (!options.logitMask) return scaled;
    // −1e4 after scaling: exp underflows to 0 in float32, and the masked classes carry no gradient.
    const off = g.op.Mul(g.op.Sub(g.constant(1, 'float32'), options.logitMask), g.constant(-1e4, 'float32'));
    return g.op.Add(g.op.Mul(scaled, options.logitMask), off);
  };
  const logP = g.op.LogSoftmax(masked(teacherLogits), -1);
  const logQ = g.op.LogSoftmax(masked(studentLogits), -1);
  const perRow = g.op.ReduceSum(g.op.Mul(g.op.Exp(logP), g.op.Sub(logP, logQ)), [-1], false);
  const mean = options.rowWeights
    ? g.op.Div(g.op.ReduceSum(g.op.Mul(perRow, options.rowWeights), undefined, false), g.op.ReduceSum(options.rowWeights, undefined, false))
    : g.op.ReduceMean(perRow, undefined, false);
  return g.op.Mul(mean, g.constant(temperature * temperature, 'float32'));
}

/** α · soft-target term + (1 − α) · label loss; a zero weight drops its term (no 0 · NaN). */
export function distillationLoss(g: GraphBuilder, soft: Value, hard: Value, alpha: number): Value {
  if (alpha === 1) return soft;
  if (alpha === 0) return hard;
  return g.op.Add(g.op.Mul(soft, g.constant(alpha, 'float32')), g.op.Mul(hard, g.constant(1 - alpha, 'float32')));
}
