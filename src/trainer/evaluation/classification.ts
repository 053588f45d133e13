/**
 * Classification metrics with scikit-learn's conventions: macro-F1 averages the per-class F1 over
 * the classes present in gold or predictions (or over the classes given), and a class with no
 * predictions or no gold rows has precision or recall 0 (zero_division = 0).
 */

export function accuracy(gold: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(gold, predicted);
  if (gold.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === predicted[i]) right++;
  return right / gold.length;
}

/** counts[g][p] = rows with gold class g predicted as p (sklearn's confusion_matrix layout). */
export function confusionMatrix(gold: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  checkLengths(gold, predicted);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i];
    const p = predicted[i];
    if (!(g >= 0 && g < numClasses && p >= 0 && p < numClasses && Number.isInteger(g) && Number.isInteger(p))) {
      throw new RangeError(`row ${i}: class ids must be integers in [0, ${numClasses}), got gold ${g}, predicted ${p}`);
    }
    m[g][p]++;
  }
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class precision, recall, F1 and support for the given class ids. */
export function perClassScores(gold: ArrayLike<number>, predicted: ArrayLike<number>, classes: readonly number[]): ClassScores[] {
  checkLengths(gold, predicted);
  return classes.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      const isGold = gold[i] === c;
      const isPred = predicted[i] === c;
      if (isGold && isPred) tp++;
      else if (isPred) fp++;
      else if (isGold) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support: tp + fn };
  });
}

/**
 * Macro-F1. Without `classes`, the classes are those present in gold or predictions (sklearn's
 * default); with `classes` (say every label of the model), absent classes count as F1 = 0.
 */
export function macroF1(gold: ArrayLike<number>, predicted: ArrayLike<number>, classes?: readonly number[]): number {
  const used = classes ?? [...new Set([...Array.from(gold), ...Array.from(predicted)])].sort((a, b) => a - b);
  if (used.length === 0) return 0;
  const scores = perClassScores(gold, predicted, used);
  return scores.reduce((sum, s) => sum + s.f1, 0) / scores.length;
}

function checkLengths(gold: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (gold.length !== predicted.length) {
    throw new RangeError(`gold has ${gold.length} rows, predictions ${predicted.length}`);
  }
}
