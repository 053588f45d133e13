/**
 * The pre-training objectives of `berth pretrain --objective`, and the rows each one reads:
 * - `mlm` (default): masked-LM on packed `[CLS] block` rows (RoBERTa's full sentences);
 * - `mlm+nsp`, `mlm+sop`: masked-LM plus BERT's next-sentence or ALBERT's sentence-order
 *   prediction, on `[CLS] A [SEP] B [SEP]` pair rows drawn from sentence chunks (`pairs.ts`);
 * - `span+sbo`: SpanBERT: masked-LM on contiguous whole-word spans plus the span boundary
 *   objective, on packed `[CLS] block [SEP]` rows (a single segment, as SpanBERT trains).
 * Every row holds `maxLength` tokens (pair rows are padded), so a step costs the same under each.
 */
import { FormatError } from '../../engine/errors';
import { PretrainingHeads } from '../../engine/nn/pretraining';
import { TrainingBatch } from '../../runtime/training-session';
import { MaskingOptions, maskTokens } from '../data/mlm';
import { Rng } from '../random';
import { BatchRow, makeBatch } from './packed-batch';
import { PackedCorpus, blockAt, blockCount, closedBlockAt, closedBlockCount } from './corpus';
import { Chunk, PairIds, SentenceObjective, chunkDocuments, drawPair } from './pairs';

export const OBJECTIVES = ['mlm', 'mlm+nsp', 'mlm+sop', 'span+sbo'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** SBO's relative-position table: SpanBERT's 20 rows; positions deeper inside a longer merged span use the last. */
export const SBO_POSITIONS = 20;

export function isObjective(value: string): value is Objective {
  return (OBJECTIVES as readonly string[]).includes(value);
}

export function sentenceObjectiveOf(objective: Objective): SentenceObjective | undefined {
  return objective === 'mlm+nsp' ? 'nsp' : objective === 'mlm+sop' ? 'sop' : undefined;
}

/** The engine heads trained beside masked-LM. */
export function headsOf(objective: Objective): PretrainingHeads {
  const sentence = sentenceObjectiveOf(objective);
  if (sentence) return { sentence };
  return objective === 'span+sbo' ? { spanBoundary: { maxSpanLength: SBO_POSITIONS } } : {};
}

/** What an epoch is made of: packed blocks, or (sentence objectives) the corpus's sentence chunks. */
export interface RowSource {
  readonly corpus: PackedCorpus;
  readonly objective: Objective;
  readonly maxLength: number;
  readonly chunks?: readonly Chunk[];
  /** Rows in one pass over the corpus. */
  readonly rows: number;
}

export function rowSource(corpus: PackedCorpus, objective: Objective, maxLength: number): RowSource {
  if (sentenceObjectiveOf(objective)) {
    if (objective === 'mlm+nsp' && corpus.documents < 2)
      throw new FormatError(
        corpus.files.join(', '),
        `holds ${corpus.documents} document; --objective mlm+nsp draws random sentences from another one (separate documents by blank lines)`,
      );
    const chunks = chunkDocuments(corpus, maxLength);
    return { corpus, objective, maxLength, chunks, rows: chunks.length };
  }
  const rows = objective === 'span+sbo' ? closedBlockCount(corpus, maxLength) : blockCount(corpus, maxLength);
  return { corpus, objective, maxLength, rows };
}

/** Masking settings without the strategy, which the objective decides (span for SpanBERT). */
export type MaskSettings = Omit<MaskingOptions, 'strategy'> & { readonly wholeWord: boolean; readonly padTokenId: number };

/**
 * The batch of rows `rowIds`: pairs (sentence objectives) drawn first, then every row masked, all
 * from `rng`, which the caller seeds from (seed, step) so the batch is a function of the step.
 */
export function objectiveBatch(source: RowSource, rowIds: readonly number[], rng: Rng, mask: MaskSettings): TrainingBatch {
  const { corpus, objective, maxLength } = source;
  const options: MaskingOptions = {
    maskTokenId: mask.maskTokenId,
    vocabSize: mask.vocabSize,
    probability: mask.probability,
    strategy: objective === 'span+sbo' ? 'span' : mask.wholeWord ? 'whole-word' : 'token',
  };
  const sentence = sentenceObjectiveOf(objective);
  if (sentence) {
    const ids: PairIds = { clsId: corpus.clsId, sepId: corpus.sepId, padId: mask.padTokenId };
    const pairs = rowIds.map((c) => drawPair(corpus, source.chunks![c], sentence, maxLength, ids, rng));
    const rows: BatchRow[] = pairs.map((p) => ({
      ...maskTokens(p, rng, options),
      tokenTypeIds: p.tokenTypeIds,
      length: p.length,
      sentenceLabel: p.label,
    }));
    return makeBatch(rows, maxLength);
  }
  if (objective === 'span+sbo') {
    return makeBatch(
      rowIds.map((b) => maskTokens(closedBlockAt(corpus, b, maxLength), rng, options)),
      maxLength,
      SBO_POSITIONS - 1,
    );
  }
  return makeBatch(
    rowIds.map((b) => maskTokens(blockAt(corpus, b, maxLength), rng, options)),
    maxLength,
  );
}
