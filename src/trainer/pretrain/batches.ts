import { TrainingBatch, TrainingSession } from '../../runtime/training-session';
import { SENTENCE_LOGITS } from '../../engine/nn/pretraining';
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
