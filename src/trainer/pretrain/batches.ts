import { TrainingBatch, TrainingSession } from '../../runtime/training-session';
import { IGNORE_INDEX } from '../data/features';
import { SENTENCE_LOGITS } from '../../engine/nn/pretraining';
import { spanBoundaries } from '../data/mlm';
import { Rng } from '../random';
import { MaskSettings, Objective, RowSource, objectiveBatch, sentenceObjectiveOf } from './objectives';

/** Validation MLM loss per masked token, its perplexity, and how many tokens were scored. */
export interface ValidationScore {
  readonly mlm_loss: number;
  readonly perplexity: number;
  readonly masked_tokens: number;
  /** NSP or SOP accuracy on the validation pairs. */
  readonly sentence_accuracy?: number;
}

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

export function maskedCount(batch: TrainingBatch): number {
  return batch.maskedPositions?.length ?? 0;
}

/** The first `count` validation rows, masked once with `rng`, in batches (those with no masked token dropped). */
export function maskedValidation(validation: RowSource, count: number, batchSize: number, rng: Rng, mask: MaskSettings): TrainingBatch[] {
  const batches: TrainingBatch[] = [];
  for (let from = 0; from < count; from += batchSize) {
    const rowIds: number[] = [];
    for (let b = from; b < Math.min(count, from + batchSize); b++) rowIds.push(b);
    const batch = objectiveBatch(validation, rowIds, rng, mask);
    if (maskedCount(batch) > 0) batches.push(batch);
  }
  return batches;
}

/** −Σ log softmax(logits)[label] over the rows of `logits` [M, V]. */
function crossEntropySum(logits: Float32Array, labels: ArrayLike<bigint>, classes: number): number {
  let sum = 0;
  for (let m = 0; m < labels.length; m++) {
    const row = logits.subarray(m * classes, (m + 1) * classes);
    let max = -Infinity;
    for (let v = 0; v < classes; v++) max = Math.max(max, row[v]);
    let z = 0;
    for (let v = 0; v < classes; v++) z += Math.exp(row[v] - max);
    sum += max + Math.log(z) - row[Number(labels[m])];
  }
  return sum;
}

/**
 * Loss per masked token over all validation batches and its perplexity. Under `mlm` the graph's
 * loss is the MLM loss (each batch's mean weighted by its masked tokens); the other objectives add
 * their heads' losses to it, so the MLM term is recomputed from the masked positions' logits, and
 * the sentence objectives also report their accuracy.
 */
export async function scoreValidation(
  session: TrainingSession,
  batches: readonly TrainingBatch[],
  objective: Objective = 'mlm',
): Promise<ValidationScore> {
  let lossSum = 0;
  let masked = 0;
  let pairs = 0;
  let correct = 0;
  const sentence = sentenceObjectiveOf(objective);
  for (const batch of batches) {
    const n = maskedCount(batch);
    const result = await session.evaluate(batch);
    if (objective === 'mlm') lossSum += result.loss * n;
    else {
      const logits = result.outputs.logits;
      lossSum += crossEntropySum(logits.data, batch.labels as BigInt64Array, logits.dims[1]);
    }
    if (sentence) {
      const s = result.outputs[SENTENCE_LOGITS[sentence]].data;
      batch.sentenceLabels!.forEach((label, r) => {
        const predicted = s[2 * r + 1] > s[2 * r] ? 1 : 0;
        if (BigInt(predicted) === label) correct++;
      });
      pairs += batch.size;
    }
    masked += n;
  }
  const loss = lossSum / masked;
  return {
    mlm_loss: loss,
    perplexity: Math.exp(loss),
    masked_tokens: masked,
    ...(sentence ? { sentence_accuracy: correct / pairs } : {}),
  };
}
