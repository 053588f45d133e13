import { argmax, l2Normalize, logSumExp, sigmoid, softmax, topKIndices } from './math';

describe('math', () => {
  it('softmax of logs of 1, 2, 3 is 1/6, 2/6, 3/6', () => {
    const p = softmax([0, Math.log(2), Math.log(3)]);
    expect(p[0]).toBeCloseTo(1 / 6, 12);
    expect(p[1]).toBeCloseTo(2 / 6, 12);
    expect(p[2]).toBeCloseTo(3 / 6, 12);
  });

  it('softmax is stable for large logits (subtracts the row maximum)', () => {
    const p = softmax(Float32Array.from([1000, 1000 + Math.log(3)]));
    expect(p[0]).toBeCloseTo(0.25, 4); // float32 input: 1000 + ln 3 is rounded
    expect(p[1]).toBeCloseTo(0.75, 4);
  });

  it('sigmoid, argmax, logSumExp, l2Normalize against hand values', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 12);
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(logSumExp([Math.log(2), Math.log(6)])).toBeCloseTo(Math.log(8), 12);
    expect(l2Normalize([3, 4])).toEqual([0.6, 0.8]);
    expect(l2Normalize([0, 0])).toEqual([0, 0]);
  });

  it('topKIndices returns the k best, best first, lower index on ties', () => {
    expect(topKIndices([0.1, 0.5, 0.2, 0.5, 0.9], 3)).toEqual([4, 1, 3]);
    expect(topKIndices([3, 1], 5)).toEqual([0, 1]);
    expect(topKIndices([3, 1], 0)).toEqual([]);
  });
});
