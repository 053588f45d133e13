/**
 * Sequence classification post-processing, as Hugging Face's TextClassificationPipeline: the
 * function applied to the logits defaults to none for a regression model, sigmoid for one label
 * or multi-label problems and softmax otherwise (checked in that order, so a one-output regression
 * head returns its raw value); `top_k` 1 by default, null for every label; scores sorted best
 * first.
 */
import type { LabelScore } from './types';
import { FloatRow, sigmoid, softmax } from './math';

export type ClassificationFunction = 'softmax' | 'sigmoid' | 'none';

export function defaultFunctionToApply(numLabels: number, problemType?: string): ClassificationFunction {
  if (problemType === 'regression') return 'none';
  if (problemType === 'multi_label_classification' || numLabels === 1) return 'sigmoid';
  return 'softmax';
}

export function applyFunction(logits: FloatRow, fn: ClassificationFunction): number[] {
  if (fn === 'softmax') return softmax(logits);
  if (fn === 'sigmoid') return Array.from(logits, sigmoid);
  return Array.from(logits);
}

/** Labels with scores, best first; `topK` null → all. */
export function rankLabels(logits: FloatRow, labels: string[], fn: ClassificationFunction, topK: number | null): LabelScore[] {
  const scores = applyFunction(logits, fn);
  const ranked = scores
    .map((score, i) => ({ label: labels[i] ?? `LABEL_${i}`, score }))
    .sort((a, b) => b.score - a.score);
  return topK === null ? ranked : ranked.slice(0, Math.max(0, topK));
}
