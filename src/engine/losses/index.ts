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
 * no scored row gives NaN, as torch does).
 */
export function crossEntropy(g: GraphBuilder, logits: Value, labels: Value, ignoreIndex?: number | Value): Value {
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
  return g.op.Neg(g.op.Div(total, g.op.ReduceSum(weight, undefined, false)));
}

/** Mean squared error, HF's regression loss (`num_labels == 1`): `predictions` [N, 1], `targets` [N]. */
export function meanSquaredError(g: GraphBuilder, predictions: Value, targets: Value): Value {
  const diff = g.op.Sub(g.op.Reshape(predictions, [-1]), g.op.Reshape(targets, [-1]));
  return g.op.ReduceMean(g.op.Mul(diff, diff), undefined, false);
}

/** Token-level CE (NER, MLM): `logits` [B, L, C], `labels` [B, L] with −100 ignored. */
export function tokenCrossEntropy(g: GraphBuilder, logits: Value, labels: Value, numClasses: number): Value {
  return crossEntropy(g, g.op.Reshape(logits, [-1, numClasses]), g.op.Reshape(labels, [-1]), IGNORE_INDEX);
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
