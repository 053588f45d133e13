import { accuracy, confusionMatrix, macroF1, perClassScores } from './classification';

describe('classification metrics (scikit-learn conventions)', () => {
  it('accuracy: sklearn accuracy_score docstring example', () => {
    expect(accuracy([0, 1, 2, 3], [0, 2, 1, 3])).toBe(0.5);
    expect(accuracy([], [])).toBe(0);
  });

  it('macro-F1: sklearn f1_score docstring example (0.2666…)', () => {
    const gold = [0, 1, 2, 0, 1, 2];
    const predicted = [0, 2, 1, 0, 0, 1];
    // Class 0: P 2/3, R 1 → F1 0.8; classes 1 and 2 have no true positives → 0.
    expect(macroF1(gold, predicted)).toBeCloseTo(0.8 / 3, 12);
    const [c0] = perClassScores(gold, predicted, [0]);
    expect(c0.precision).toBeCloseTo(2 / 3, 12);
    expect(c0).toMatchObject({ recall: 1, support: 2 });
    expect(c0.f1).toBeCloseTo(0.8, 12);
  });

  it('zero division counts as 0, and given classes absent from both sides count as F1 0', () => {
    expect(macroF1([0, 0], [0, 0])).toBe(1);
    expect(macroF1([0, 0], [0, 0], [0, 1])).toBe(0.5);
    expect(macroF1([0, 1], [1, 1])).toBeCloseTo((0 + 2 / 3) / 2, 12);
  });

  it('confusion matrix: sklearn confusion_matrix docstring example', () => {
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3)).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
    expect(() => confusionMatrix([3], [0], 3)).toThrow(RangeError);
  });

  it('rejects gold and predictions of different lengths', () => {
    expect(() => accuracy([0], [0, 1])).toThrow(RangeError);
  });
});
