import { Rng } from '../random';
import { IGNORE_INDEX, TrainingFeature } from './features';

export type IndexDType = 'int64' | 'int32';
type IndexArray<D extends IndexDType> = D extends 'int32' ? Int32Array : BigInt64Array;

/**
 * A padded batch, as flat row-major typed arrays ready to become ONNX Runtime tensors:
 * `inputIds`, `attentionMask`, `tokenTypeIds` and token-level `labels` have shape [size, seqLength];
 * sequence `labels`, `startPositions` and `endPositions` have shape [size].
 */
export interface Batch<A extends BigInt64Array | Int32Array = BigInt64Array> {
  size: number;
  seqLength: number;
  /** Indices of the features in this batch, in row order. */
  rows: number[];
  inputIds: A;
  attentionMask: A;
  tokenTypeIds: A;
  /** [size] for sequence classification, [size, seqLength] for token classification and MLM. */
  labels?: A;
  labelShape?: [number] | [number, number];
  startPositions?: A;
  endPositions?: A;
}

export interface BatchingOptions<D extends IndexDType = 'int64'> {
  batchSize: number;
  /** Shuffle the order (default false). With groupByLength, shuffling is always on, as in HF. */
  shuffle?: boolean;
  /** Seed of the order (default 0). Use a different seed per epoch (seed + epoch, as HF does). */
  seed?: number;
  /** HF group_by_length: megabatches of 50 batches sorted by length, so padding is small. */
  groupByLength?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Padding id of input_ids (default 0, [PAD] in BERT vocabularies). */
  padId?: number;
  /** Element type of the tensors (default int64, what BERT exports and the losses take). */
  dtype?: D;
}

/**
 * HF's LengthGroupedSampler order: a random permutation cut into megabatches of
 * min(n / (4 · batchSize), 50) batches, each sorted longest first, with the longest row of all
 * moved to the very front (so a too-large batch fails on the first step, not hours in).
 */
export function lengthGroupedOrder(lengths: readonly number[], batchSize: number, rng: Rng): number[] {
  const n = lengths.length;
  const multiplier = Math.max(1, Math.min(Math.floor(n / (batchSize * 4)), 50));
  const megabatchSize = multiplier * batchSize;
  const permutation = rng.permutation(n);
  const megabatches: number[][] = [];
  for (let i = 0; i < n; i += megabatchSize) {
    // Stable sort, longest first.
    megabatches.push(permutation.slice(i, i + megabatchSize).sort((a, b) => lengths[b] - lengths[a]));
  }
  if (megabatches.length > 0) {
    let longest = 0;
    megabatches.forEach((m, k) => {
      if (lengths[m[0]] > lengths[megabatches[longest][0]]) longest = k;
    });
    const first = megabatches[0][0];
    megabatches[0][0] = megabatches[longest][0];
    megabatches[longest][0] = first;
  }
  return megabatches.flat();
}

/** The order of rows and their split into batches (indices only; nothing is padded yet). */
export function planBatches(features: readonly TrainingFeature[], options: BatchingOptions<IndexDType>): number[][] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const rng = new Rng(options.seed ?? 0);
  let order: number[];
  if (options.groupByLength) order = lengthGroupedOrder(features.map((f) => f.inputIds.length), batchSize, rng);
  else if (options.shuffle) order = rng.permutation(features.length);
  else order = features.map((_, i) => i);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const rows = order.slice(i, i + batchSize);
    if (rows.length < batchSize && options.dropLast) break;
    batches.push(rows);
  }
  return batches;
}

/** Pads the given rows on the right to their longest and stacks them (dynamic padding). */
export function collate<D extends IndexDType = 'int64'>(
  features: readonly TrainingFeature[],
  rows: readonly number[],
  options: { padId?: number; dtype?: D } = {},
): Batch<IndexArray<D>> {
  if (rows.length === 0) throw new RangeError('a batch needs at least one row');
  const make = (length: number): IndexArray<D> =>
    (options.dtype === 'int32' ? new Int32Array(length) : new BigInt64Array(length)) as IndexArray<D>;
  const set = (array: IndexArray<D>, index: number, value: number): void => {
    if (array instanceof BigInt64Array) array[index] = BigInt(value);
    else (array as Int32Array)[index] = value;
  };
  const padId = options.padId ?? 0;
  const size = rows.length;
  const picked = rows.map((r) => {
    const f = features[r];
    if (f === undefined) throw new RangeError(`no feature ${r}`);
    if (f.tokenTypeIds.length !== f.inputIds.length) throw new RangeError(`feature ${r}: token type ids and input ids differ in length`);
    return f;
  });
  const seqLength = Math.max(...picked.map((f) => f.inputIds.length));
  const first = picked[0];
  const kind = (f: TrainingFeature): string =>
    [f.label !== undefined, f.labels !== undefined, f.startPosition !== undefined, f.endPosition !== undefined].join();
  picked.forEach((f, i) => {
    if (kind(f) !== kind(first)) throw new RangeError(`rows ${rows[0]} and ${rows[i]} carry different targets`);
  });

  const batch: Batch<IndexArray<D>> = {
    size,
    seqLength,
    rows: [...rows],
    inputIds: make(size * seqLength),
    attentionMask: make(size * seqLength),
    tokenTypeIds: make(size * seqLength),
  };
  if (first.label !== undefined) {
    batch.labels = make(size);
    batch.labelShape = [size];
  } else if (first.labels !== undefined) {
    batch.labels = make(size * seqLength);
    batch.labelShape = [size, seqLength];
  }
  if (first.startPosition !== undefined) batch.startPositions = make(size);
  if (first.endPosition !== undefined) batch.endPositions = make(size);

  picked.forEach((f, b) => {
    if (f.labels !== undefined && f.labels.length !== f.inputIds.length) {
      throw new RangeError(`feature ${rows[b]}: labels and input ids differ in length`);
    }
    const base = b * seqLength;
    for (let t = 0; t < seqLength; t++) {
      const real = t < f.inputIds.length;
      set(batch.inputIds, base + t, real ? f.inputIds[t] : padId);
      set(batch.attentionMask, base + t, real ? 1 : 0);
      set(batch.tokenTypeIds, base + t, real ? f.tokenTypeIds[t] : 0);
      if (f.labels !== undefined) set(batch.labels!, base + t, real ? f.labels[t] : IGNORE_INDEX);
    }
    if (f.label !== undefined) set(batch.labels!, b, f.label);
    if (f.startPosition !== undefined) set(batch.startPositions!, b, f.startPosition);
    if (f.endPosition !== undefined) set(batch.endPositions!, b, f.endPosition);
  });
  return batch;
}

/** Plans and collates every batch of an epoch. */
export function makeBatches<D extends IndexDType = 'int64'>(
  features: readonly TrainingFeature[],
  options: BatchingOptions<D>,
): Array<Batch<IndexArray<D>>> {
  return planBatches(features, options).map((rows) => collate<D>(features, rows, { padId: options.padId, dtype: options.dtype }));
}
