import { Rng } from '../random';
import { collate, lengthGroupedOrder, makeBatches, planBatches } from './batching';
import { TrainingFeature } from './features';

const row = (ids: number[], extra: Partial<TrainingFeature> = {}): TrainingFeature => ({
  inputIds: ids,
  tokenTypeIds: ids.map((_, i) => (i >= 2 ? 1 : 0)),
  ...extra,
});

describe('collate (dynamic padding)', () => {
  it('pads on the right to the longest row: pad id, mask 0, type 0, labels −100', () => {
    const batch = collate([row([101, 7, 8, 102], { labels: [-100, 3, 4, -100] }), row([101, 9, 102], { labels: [-100, 5, -100] })], [0, 1]);
    expect([batch.size, batch.seqLength, batch.rows]).toEqual([2, 4, [0, 1]]);
    expect(batch.inputIds).toEqual(BigInt64Array.from([101n, 7n, 8n, 102n, 101n, 9n, 102n, 0n]));
    expect(batch.attentionMask).toEqual(BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]));
    expect(batch.tokenTypeIds).toEqual(BigInt64Array.from([0n, 0n, 1n, 1n, 0n, 0n, 1n, 0n]));
    expect(batch.labels).toEqual(BigInt64Array.from([-100n, 3n, 4n, -100n, -100n, 5n, -100n, -100n]));
    expect(batch.labelShape).toEqual([2, 4]);
  });

  it('stacks sequence labels and QA positions as [batch], in int32 when asked', () => {
    const cls = collate([row([1, 2], { label: 2 }), row([1], { label: 0 })], [1, 0], { dtype: 'int32', padId: 5 });
    expect(cls.inputIds).toEqual(Int32Array.from([1, 5, 1, 2]));
    expect(cls.labels).toEqual(Int32Array.from([0, 2]));
    expect(cls.labelShape).toEqual([2]);
    const qa = collate([row([1, 2, 3], { startPosition: 1, endPosition: 2 })], [0]);
    expect([qa.startPositions, qa.endPositions, qa.labels]).toEqual([BigInt64Array.from([1n]), BigInt64Array.from([2n]), undefined]);
  });

  it('refuses rows that carry different targets, and empty batches', () => {
    expect(() => collate([row([1], { label: 0 }), row([1])], [0, 1])).toThrow(RangeError);
    expect(() => collate([row([1])], [])).toThrow(RangeError);
  });
});

describe('planBatches', () => {
  const features = Array.from({ length: 10 }, (_, i) => row(Array.from({ length: 1 + (i % 4) }, () => i)));

  it('keeps file order without shuffling and splits into batches (last one smaller unless dropped)', () => {
    expect(planBatches(features, { batchSize: 4 })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(planBatches(features, { batchSize: 4, dropLast: true })).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it('shuffles as a seeded permutation, the same for the same seed', () => {
    const a = planBatches(features, { batchSize: 3, shuffle: true, seed: 11 });
    expect(a).toEqual(planBatches(features, { batchSize: 3, shuffle: true, seed: 11 }));
    expect(a.flat()).toEqual(new Rng(11).permutation(10));
    expect(a).not.toEqual(planBatches(features, { batchSize: 3, shuffle: true, seed: 12 }));
  });

  it('makeBatches plans and collates', () => {
    const batches = makeBatches(features, { batchSize: 4 });
    expect(batches.map((b) => [b.size, b.seqLength])).toEqual([
      [4, 4],
      [4, 4],
      [2, 2],
    ]);
  });
});

describe('lengthGroupedOrder (HF group_by_length)', () => {
  it('sorts each megabatch longest first and puts the longest row first', () => {
    const lengths = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) + 1);
    const order = lengthGroupedOrder(lengths, 4, new Rng(3));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(lengths[order[0]]).toBe(Math.max(...lengths));
    // 200 / (4 · 4) = 12 batches per megabatch → megabatches of 48 rows.
    for (let m = 0; m < 200; m += 48) {
      const block = order.slice(m, m + 48).map((i) => lengths[i]);
      // Heads aside (the longest row's block and the first block swap their first rows), each block is sorted.
      const rest = block.slice(1);
      expect(rest).toEqual([...rest].sort((a, b) => b - a));
    }
  });

  it('with fewer rows than one megabatch, is simply longest first whatever the seed', () => {
    // 3 rows, batch size 4: max(1, min(floor(3 / 16), 50)) = 1 batch per megabatch of 4 ≥ 3 rows.
    for (const seed of [0, 1, 2]) expect(lengthGroupedOrder([2, 9, 5], 4, new Rng(seed))).toEqual([1, 2, 0]);
  });

  it('is what planBatches uses with groupByLength', () => {
    const features = [row([1, 1]), row([1, 1, 1, 1, 1]), row([1])];
    for (const seed of [0, 1, 2, 3]) {
      const plan = planBatches(features, { batchSize: 2, groupByLength: true, seed });
      expect(plan[0][0]).toBe(1); // the longest row leads
      expect(plan.flat().sort()).toEqual([0, 1, 2]);
    }
  });
});
