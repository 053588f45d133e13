/**
 * The numerics every task shares, defined once. Inputs are float32 rows as ONNX Runtime returns
 * them; arithmetic runs in float64 and results are plain numbers (JSON-ready).
 *
 * Softmax subtracts the row's own maximum before exponentiating (the stable form), as the
 * Hugging Face pipelines do with numpy.
 */

export type FloatRow = ArrayLike<number>;

/** Softmax over a whole row. */
export function softmax(row: FloatRow): number[] {
  const n = row.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (row[i] > max) max = row[i];
  const out = new Array<number>(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(row[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** Softmax applied to each `width`-long row of a flat [rows, width] buffer. */
export function softmaxRows(flat: FloatRow, width: number): number[][] {
  const rows: number[][] = [];
  for (let start = 0; start + width <= flat.length; start += width) {
    rows.push(softmax(sliceRow(flat, start, width)));
  }
  return rows;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function argmax(row: FloatRow): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export function logSumExp(row: FloatRow): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

/** Indices of the `k` largest values, best first; ties keep the lower index first. */
export function topKIndices(row: FloatRow, k: number): number[] {
  const n = row.length;
  const take = Math.max(0, Math.min(k, n));
  if (take === 0) return [];
  // A bounded insertion list: O(n·k), and k is small (top-5 over a 30k vocabulary).
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = row[i];
    if (best.length === take && v <= row[best[take - 1]]) continue;
    let pos = best.length < take ? best.length : take - 1;
    while (pos > 0 && row[best[pos - 1]] < v) pos--;
    best.splice(pos, 0, i);
    if (best.length > take) best.pop();
  }
  return best;
}

export function l2Normalize(vector: number[]): number[] {
  let sq = 0;
  for (const v of vector) sq += v * v;
  // Same epsilon as torch.nn.functional.normalize, so a zero vector stays zero.
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  return vector.map((v) => v / norm);
}

export function sliceRow(flat: FloatRow, start: number, width: number): number[] {
  const out = new Array<number>(width);
  for (let i = 0; i < width; i++) out[i] = flat[start + i];
  return out;
}
