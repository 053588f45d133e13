/** Summary of a length distribution (tokens per row), as shown to users on upload. */
export interface LengthSummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentiles: the p-th percentile is the smallest value with at least p% of the
 * values at or below it, so every reported figure is a length that really occurs.
 */
export function summarizeLengths(lengths: ArrayLike<number>): LengthSummary {
  const n = lengths.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(lengths).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)];
  return { count: n, mean: sum / n, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[n - 1] };
}

/** Row counts per token-length bin: bin `i` holds the lengths in `[edges[i], edges[i + 1])`. */
export interface LengthHistogram {
  edges: number[];
  counts: number[];
}

/** Token lengths with their percentiles and their histogram, as an upload reports them. */
export type TokenLengthStats = LengthSummary & { histogram: LengthHistogram };

/**
 * At most `bins` bins of one whole-number width from the shortest length to the longest, so a
 * chart shows the spread without gaps or fractional token counts.
 */
export function lengthHistogram(lengths: ArrayLike<number>, bins = 20): LengthHistogram {
  if (lengths.length === 0) return { edges: [], counts: [] };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < lengths.length; i++) {
    min = Math.min(min, lengths[i]);
    max = Math.max(max, lengths[i]);
  }
  const width = Math.max(1, Math.ceil((max - min + 1) / bins));
  const n = Math.floor((max - min) / width) + 1;
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < lengths.length; i++) counts[Math.floor((lengths[i] - min) / width)]++;
  return { edges: Array.from({ length: n + 1 }, (_, i) => min + i * width), counts };
}

/** Counts occurrences, keeping first-seen order (stable output for users and tests). */
export function countValues(values: Iterable<string>): Record<string, number> {
  // No prototype: a label named "constructor" or "__proto__" is just a label.
  const counts = Object.create(null) as Record<string, number>;
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
