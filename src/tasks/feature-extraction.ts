/**
 * Embeddings from an encoder's `last_hidden_state` [tokens, hidden]: the [CLS] vector, the mean
 * over real tokens (the attention mask decides which; padding never counts), or every token
 * vector; optionally L2-normalised (per vector).
 */
import { l2Normalize, sliceRow } from './math';

export type Pooling = 'cls' | 'mean' | 'none';

export function poolHiddenStates(
  hidden: ArrayLike<number>,
  attentionMask: ArrayLike<number>,
  hiddenSize: number,
  pooling: Pooling,
  normalize: boolean,
): number[] | number[][] {
  const tokens = attentionMask.length;
  const finish = (v: number[]) => (normalize ? l2Normalize(v) : v);
  if (pooling === 'cls') return finish(sliceRow(hidden, 0, hiddenSize));
  if (pooling === 'none') {
    const rows: number[][] = [];
    for (let t = 0; t < tokens; t++) if (attentionMask[t]) rows.push(finish(sliceRow(hidden, t * hiddenSize, hiddenSize)));
    return rows;
  }
  const sum = new Array<number>(hiddenSize).fill(0);
  let count = 0;
  for (let t = 0; t < tokens; t++) {
    if (!attentionMask[t]) continue;
    count++;
    for (let h = 0; h < hiddenSize; h++) sum[h] += hidden[t * hiddenSize + h];
  }
  // As sentence-transformers: the count is clamped so an all-padding row divides by 1e-9, not 0.
  const denom = Math.max(count, 1e-9);
  return finish(sum.map((v) => v / denom));
}
