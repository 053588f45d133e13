import { TrainingBatch, TrainingSession } from '../../runtime/training-session';
import { IGNORE_INDEX } from '../data/features';
import { maskTokens } from '../data/mlm';
import { Rng } from '../random';
import { PackedCorpus, blockAt } from './corpus';

export type MaskOptions = Parameters<typeof maskTokens>[2];

/** Validation MLM loss per masked token, its perplexity, and how many tokens were scored. */
export interface ValidationScore {
  readonly mlm_loss: number;
  readonly perplexity: number;
  readonly masked_tokens: number;
}

/**
 * A packed, fully real batch ([CLS] + stream tokens, no padding) from masked rows. Only the masked
 * positions are scored (the graph's `maskedPositionsOnly`): their row-major indices and token ids,
 * which gives the loss and gradients of [B, L] labels with −100 elsewhere at a fraction of the
 * output layer's cost.
 */
export function makeBatch(rows: ReadonlyArray<{ inputIds: number[]; labels: number[] }>, seqLength: number): TrainingBatch {
  const n = rows.length * seqLength;
  const inputIds = new BigInt64Array(n);
  const positions: bigint[] = [];
  const labels: bigint[] = [];
  rows.forEach((row, r) => {
    for (let t = 0; t < seqLength; t++) {
      inputIds[r * seqLength + t] = BigInt(row.inputIds[t]);
      if (row.labels[t] !== IGNORE_INDEX) {
        positions.push(BigInt(r * seqLength + t));
        labels.push(BigInt(row.labels[t]));
      }
    }
  });
  return {
    size: rows.length,
    seqLength,
    inputIds,
    attentionMask: new BigInt64Array(n).fill(1n),
    tokenTypeIds: new BigInt64Array(n),
    maskedPositions: BigInt64Array.from(positions),
    labels: BigInt64Array.from(labels),
  };
}

/** The blocks `blockIds` of `corpus`, each masked in turn with `rng`, as one batch. */
export function maskedBatch(
  corpus: PackedCorpus,
  blockIds: readonly number[],
  seqLength: number,
  rng: Rng,
  maskOptions: MaskOptions,
): TrainingBatch {
  return makeBatch(
    blockIds.map((b) => maskTokens(blockAt(corpus, b, seqLength), rng, maskOptions)),
    seqLength,
  );
}

export function maskedCount(batch: TrainingBatch): number {
  return batch.maskedPositions?.length ?? 0;
}

/** The first `count` validation blocks, masked once with `rng`, in batches (those with no masked token dropped). */
export function maskedValidation(
  validation: PackedCorpus,
  count: number,
  batchSize: number,
  seqLength: number,
  rng: Rng,
  maskOptions: MaskOptions,
): TrainingBatch[] {
  const batches: TrainingBatch[] = [];
  for (let from = 0; from < count; from += batchSize) {
    const blockIds: number[] = [];
    for (let b = from; b < Math.min(count, from + batchSize); b++) blockIds.push(b);
    const batch = maskedBatch(validation, blockIds, seqLength, rng, maskOptions);
    if (maskedCount(batch) > 0) batches.push(batch);
  }
  return batches;
}

/** Loss per masked token over all validation batches (each batch's mean weighted by its masked tokens). */
export async function scoreValidation(session: TrainingSession, batches: readonly TrainingBatch[]): Promise<ValidationScore> {
  let lossSum = 0;
  let masked = 0;
  for (const batch of batches) {
    const n = maskedCount(batch);
    lossSum += (await session.evaluate(batch)).loss * n;
    masked += n;
  }
  const loss = lossSum / masked;
  return { mlm_loss: loss, perplexity: Math.exp(loss), masked_tokens: masked };
}
