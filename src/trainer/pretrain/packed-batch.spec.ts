import { makeBatch } from './packed-batch';

const I = -100;
const big = (xs: number[]): BigInt64Array => BigInt64Array.from(xs, (x) => BigInt(x));

describe('makeBatch', () => {
  it('masked positions row-major, attention from the real length, token types and sentence labels of pair rows', () => {
    const batch = makeBatch(
      [
        { inputIds: [2, 9, 9, 3, 7, 3], labels: [I, 11, I, I, 12, I], tokenTypeIds: [0, 0, 0, 0, 1, 1], length: 6, sentenceLabel: 1 },
        { inputIds: [2, 8, 3, 6, 3, 0], labels: [I, I, I, 13, I, I], tokenTypeIds: [0, 0, 0, 1, 1, 0], length: 5, sentenceLabel: 0 },
      ],
      6,
    );
    expect(batch.maskedPositions).toEqual(big([1, 4, 9]));
    expect(batch.labels).toEqual(big([11, 12, 13]));
    expect(batch.attentionMask).toEqual(big([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]));
    expect(batch.tokenTypeIds).toEqual(big([0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0]));
    expect(batch.sentenceLabels).toEqual(big([1, 0]));
    expect(batch.spanLeft).toBeUndefined();
  });

  it('span boundary inputs, one per masked position in the same order, offset into the batch', () => {
    const batch = makeBatch(
      [
        { inputIds: [2, 5, 5, 5, 3], labels: [I, 7, 8, I, I] },
        { inputIds: [2, 5, 5, 5, 3], labels: [I, I, 9, 9, I] },
      ],
      5,
      19,
    );
    expect(batch.maskedPositions).toEqual(big([1, 2, 7, 8]));
    expect(batch.spanLeft).toEqual(big([0, 0, 6, 6]));
    expect(batch.spanRight).toEqual(big([3, 3, 9, 9]));
    expect(batch.spanOffset).toEqual(big([0, 1, 0, 1]));
    expect(batch.attentionMask).toEqual(big(new Array(10).fill(1)));
    expect(batch.sentenceLabels).toBeUndefined();
  });
});
