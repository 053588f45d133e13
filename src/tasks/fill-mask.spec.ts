import { maskPositions, predictMask } from './fill-mask';
import { poolHiddenStates } from './feature-extraction';

describe('fill-mask', () => {
  it('top-k tokens with their softmax probability over the vocabulary', () => {
    const logits = Float32Array.from([Math.log(1), Math.log(4), Math.log(2), Math.log(3)]);
    expect(predictMask(logits, 2)).toEqual([
      { token: 1, score: expect.closeTo(0.4, 6) },
      { token: 3, score: expect.closeTo(0.3, 6) },
    ]);
  });

  it('finds every mask position', () => {
    expect(maskPositions([101, 103, 5, 103, 102], 103)).toEqual([1, 3]);
  });
});

describe('embedding pooling', () => {
  // 3 tokens × hidden 2; the last token is padding.
  const hidden = [1, 2, 3, 4, 100, 100];
  const mask = [1, 1, 0];

  it('mean ignores padding', () => {
    expect(poolHiddenStates(hidden, mask, 2, 'mean', false)).toEqual([2, 3]);
  });

  it('cls takes the first vector; normalize scales to unit length', () => {
    expect(poolHiddenStates(hidden, mask, 2, 'cls', false)).toEqual([1, 2]);
    const v = poolHiddenStates([3, 4], [1], 2, 'cls', true) as number[];
    expect(v).toEqual([0.6, 0.8]);
  });

  it('none returns one vector per real token', () => {
    expect(poolHiddenStates(hidden, mask, 2, 'none', false)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
