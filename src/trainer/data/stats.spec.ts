import { countValues, lengthHistogram, summarizeLengths } from './stats';

describe('summarizeLengths (nearest-rank percentiles)', () => {
  it('reports lengths that occur: the smallest with at least p% of values at or below it', () => {
    const lengths = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(summarizeLengths(lengths)).toEqual({ count: 100, mean: 50.5, p50: 50, p90: 90, p99: 99, max: 100 });
    // Four values: p50 is rank ceil(2) = 2nd, p90 and p99 rank 4.
    expect(summarizeLengths([13, 9, 12, 9])).toEqual({ count: 4, mean: 10.75, p50: 9, p90: 13, p99: 13, max: 13 });
  });

  it('is all zeros for no rows', () => {
    expect(summarizeLengths([])).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe('countValues', () => {
  it('counts in first-seen order, with names that are Object.prototype keys', () => {
    const counts = countValues(['b', 'a', 'b', 'constructor', '__proto__']);
    expect(Object.keys(counts)).toEqual(['b', 'a', 'constructor', '__proto__']);
    expect([counts.b, counts.a, counts.constructor, counts['__proto__']]).toEqual([2, 1, 1, 1]);
  });
});

describe('lengthHistogram', () => {
  it('puts every length in the one bin whose edges hold it, with whole-number widths', () => {
    const lengths = [3, 7, 7, 10, 45, 3, 20, 44];
    const h = lengthHistogram(lengths, 5);
    // 3..45 is 43 values: width ceil(43 / 5) = 9, bins starting at 3, 12, 21, 30, 39.
    expect(h.edges).toEqual([3, 12, 21, 30, 39, 48]);
    const expected = h.counts.map((_, i) => lengths.filter((l) => l >= h.edges[i] && l < h.edges[i + 1]).length);
    expect(h.counts).toEqual(expected);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(lengths.length);
  });

  it('has one bin for equal lengths and none for no rows', () => {
    expect(lengthHistogram([5, 5, 5])).toEqual({ edges: [5, 6], counts: [3] });
    expect(lengthHistogram([])).toEqual({ edges: [], counts: [] });
  });
});
