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

/** Counts occurrences, keeping first-seen order (stable output for users and tests). */
export function countValues(values: Iterable<string>): Record<string, number> {
  // No prototype: a label named "constructor" or "__proto__" is just a label.
  const counts = Object.create(null) as Record<string, number>;
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
