import { TrainingBatch } from '../../runtime/training-session';
import { IGNORE_INDEX } from '../data/features';
import { spanBoundaries } from '../data/mlm';

/** A masked row of a batch; pair rows also carry token types, a real length and the sentence label. */
export interface BatchRow {
  readonly inputIds: number[];
  readonly labels: number[];
  readonly tokenTypeIds?: number[];
  /** Real tokens, the rest is padding (default: the whole row). */
  readonly length?: number;
  readonly sentenceLabel?: number;
}

/**
 * A batch from masked rows of `seqLength` tokens. Only the masked positions are scored (the
 * graph's `maskedPositionsOnly`): their row-major indices and token ids, which gives the loss and
 * gradients of [B, L] labels with −100 elsewhere at a fraction of the output layer's cost. With
 * `spanBoundaryOffsets`, each masked position also gets its span's boundary positions and its
 * offset in the span (SBO, `spanBoundaries`); rows with a sentence label give `sentenceLabels`.
 */
export function makeBatch(rows: readonly BatchRow[], seqLength: number, spanBoundaryOffsets?: number): TrainingBatch {
  const n = rows.length * seqLength;
  const inputIds = new BigInt64Array(n);
  const attentionMask = new BigInt64Array(n);
  const tokenTypeIds = new BigInt64Array(n);
  const positions: bigint[] = [];
  const labels: bigint[] = [];
  const span = { left: [] as bigint[], right: [] as bigint[], offset: [] as bigint[] };
  rows.forEach((row, r) => {
    const base = r * seqLength;
    const length = row.length ?? seqLength;
    for (let t = 0; t < seqLength; t++) {
      inputIds[base + t] = BigInt(row.inputIds[t]);
      attentionMask[base + t] = t < length ? 1n : 0n;
      tokenTypeIds[base + t] = BigInt(row.tokenTypeIds?.[t] ?? 0);
      if (row.labels[t] !== IGNORE_INDEX) {
        positions.push(BigInt(base + t));
        labels.push(BigInt(row.labels[t]));
      }
    }
    if (spanBoundaryOffsets !== undefined) {
      const b = spanBoundaries(row.labels, spanBoundaryOffsets);
      b.left.forEach((p) => span.left.push(BigInt(base + p)));
      b.right.forEach((p) => span.right.push(BigInt(base + p)));
      b.offset.forEach((o) => span.offset.push(BigInt(o)));
    }
  });
  const sentence = rows.every((row) => row.sentenceLabel !== undefined)
    ? BigInt64Array.from(rows, (row) => BigInt(row.sentenceLabel!))
    : undefined;
  return {
    size: rows.length,
    seqLength,
    inputIds,
    attentionMask,
    tokenTypeIds,
    maskedPositions: BigInt64Array.from(positions),
    labels: BigInt64Array.from(labels),
    ...(rows.length > 0 && sentence ? { sentenceLabels: sentence } : {}),
    ...(spanBoundaryOffsets !== undefined
      ? { spanLeft: BigInt64Array.from(span.left), spanRight: BigInt64Array.from(span.right), spanOffset: BigInt64Array.from(span.offset) }
      : {}),
  };
}
