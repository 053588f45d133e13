import { Rng } from '../random';
import { DataTokenizer, ENCODE_CHUNK, IGNORE_INDEX, MlmFeature } from './features';
import { summarizeLengths, LengthSummary } from './stats';

export interface MlmPrepOptions {
  maxLength: number;
  /**
   * Pack for pre-training, as run_mlm.py's group_texts: every document is tokenized as
   * [CLS] doc [SEP], the token streams are concatenated and cut into blocks of maxLength; the
   * tail shorter than a block is dropped (unless the whole corpus is shorter than one block).
   * Without packing each document is one row, truncated to maxLength (line_by_line).
   */
  pack?: boolean;
}

export interface PreparedMlm {
  features: MlmFeature[];
  /** Documents cut by truncation (line by line only). */
  truncated: number;
  /** Document lengths in tokens, before truncation or packing. */
  lengths: LengthSummary;
}

export async function prepareMlm(documents: readonly string[], tokenizer: DataTokenizer, options: MlmPrepOptions): Promise<PreparedMlm> {
  const rows: MlmFeature[] = [];
  const lengths: number[] = [];
  for (let from = 0; from < documents.length; from += ENCODE_CHUNK) {
    const encoded = await tokenizer.encodeBatch(documents.slice(from, from + ENCODE_CHUNK) as string[], { truncation: false });
    for (const [e] of encoded) {
      lengths.push(e.ids.length);
      rows.push({ inputIds: e.ids, tokenTypeIds: e.typeIds, specialTokensMask: e.specialTokensMask, wordIds: e.wordIds });
    }
  }
  if (options.pack) return { features: packRows(rows, options.maxLength), truncated: 0, lengths: summarizeLengths(lengths) };
  let truncated = 0;
  const features = rows.map((row) => {
    if (row.inputIds.length <= options.maxLength) return row;
    truncated++;
    // Keep [CLS] and the first maxLength − 2 pieces, then close with the row's final [SEP].
    const keep = options.maxLength - 1;
    const last = row.inputIds.length - 1;
    const pick = <T>(values: T[]): T[] => [...values.slice(0, keep), values[last]];
    return {
      inputIds: pick(row.inputIds),
      tokenTypeIds: pick(row.tokenTypeIds),
      specialTokensMask: pick(row.specialTokensMask),
      wordIds: pick(row.wordIds),
    };
  });
  return { features, truncated, lengths: summarizeLengths(lengths) };
}

/** Concatenates rows and cuts blocks of `blockLength` tokens; word ids are renumbered to stay unique per block. */
export function packRows(rows: readonly MlmFeature[], blockLength: number): MlmFeature[] {
  const ids: number[] = [];
  const types: number[] = [];
  const special: number[] = [];
  const words: Array<number | null> = [];
  let wordBase = 0;
  for (const row of rows) {
    let maxWord = -1;
    for (let t = 0; t < row.inputIds.length; t++) {
      ids.push(row.inputIds[t]);
      types.push(row.tokenTypeIds[t]);
      special.push(row.specialTokensMask[t]);
      const w = row.wordIds[t];
      words.push(w === null ? null : wordBase + w);
      if (w !== null && w > maxWord) maxWord = w;
    }
    wordBase += maxWord + 1;
  }
  const total = ids.length >= blockLength ? ids.length - (ids.length % blockLength) : ids.length;
  const blocks: MlmFeature[] = [];
  for (let start = 0; start < total; start += blockLength) {
    const end = Math.min(start + blockLength, total);
    blocks.push({
      inputIds: ids.slice(start, end),
      tokenTypeIds: types.slice(start, end),
      specialTokensMask: special.slice(start, end),
      wordIds: words.slice(start, end),
    });
  }
  return blocks;
}

export type MaskingStrategy = 'token' | 'whole-word' | 'span';

export interface MaskingOptions {
  maskTokenId: number;
  vocabSize: number;
  /** Share of (non-special) tokens to predict (default 0.15). */
  probability?: number;
  /** 'token' (BERT, HF DataCollatorForLanguageModeling), 'whole-word' or 'span' (SpanBERT). Default 'token'. */
  strategy?: MaskingStrategy;
  /** Span masking: geometric parameter and longest span in words (SpanBERT: 0.2 and 10). */
  spanP?: number;
  maxSpanWords?: number;
}

export interface MaskedRow {
  inputIds: number[];
  /** The original id where a token is to be predicted, IGNORE_INDEX elsewhere. */
  labels: number[];
}

/**
 * SpanBERT's span-length distribution: geometric with parameter p over 1..max words, truncated
 * and renormalized (p = 0.2, max 10 gives a mean of about 3.8 words).
 */
export function spanLengthProbabilities(p = 0.2, max = 10): number[] {
  const weights = Array.from({ length: max }, (_, i) => p * (1 - p) ** i);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function sampleIndex(probabilities: readonly number[], rng: Rng): number {
  let u = rng.float();
  for (let i = 0; i < probabilities.length - 1; i++) {
    u -= probabilities[i];
    if (u < 0) return i;
  }
  return probabilities.length - 1;
}

/**
 * Chooses tokens to predict and corrupts them 80/10/10: [MASK], a random vocabulary id, or left
 * unchanged. Special tokens are never chosen.
 * - token: each token independently with the given probability (HF's collator).
 * - whole-word: whole words in random order until round(probability × tokens) pieces are chosen;
 *   a word that would overshoot is skipped (HF's whole-word collator).
 * - span: SpanBERT: spans of whole words with geometric lengths, anchored at random tokens, until
 *   the budget is spent; the 80/10/10 choice is made once per span.
 */
export function maskTokens(row: MlmFeature, rng: Rng, options: MaskingOptions): MaskedRow {
  const { inputIds, labels } = maskWithSpans(row, rng, options);
  return { inputIds, labels };
}

/**
 * `maskTokens` with the spans it drew: the token positions each 80/10/10 choice covered, in draw
 * order (one token each for 'token', one word each for 'whole-word', SpanBERT's spans for 'span').
 */
export function maskWithSpans(row: MlmFeature, rng: Rng, options: MaskingOptions): MaskedRow & { spans: number[][] } {
  const probability = options.probability ?? 0.15;
  const strategy = options.strategy ?? 'token';
  const n = row.inputIds.length;
  const inputIds = [...row.inputIds];
  const labels = new Array<number>(n).fill(IGNORE_INDEX);
  const candidates: number[] = [];
  for (let t = 0; t < n; t++) if (row.specialTokensMask[t] !== 1) candidates.push(t);

  const spans: number[][] = [];
  const corrupt = (positions: readonly number[]): void => {
    spans.push([...positions]);
    const u = rng.float();
    for (const t of positions) {
      labels[t] = row.inputIds[t];
      if (u < 0.8) inputIds[t] = options.maskTokenId;
      else if (u < 0.9) inputIds[t] = rng.int(options.vocabSize);
    }
  };

  if (strategy === 'token') {
    for (const t of candidates) if (rng.bernoulli(probability)) corrupt([t]);
    return { inputIds, labels, spans };
  }

  // Group candidate tokens by word (a token without a word id is its own word).
  const words: number[][] = [];
  const wordOfToken = new Int32Array(n).fill(-1);
  for (const t of candidates) {
    const previous = t > 0 ? wordOfToken[t - 1] : -1;
    const sameWord = previous >= 0 && row.wordIds[t] !== null && row.wordIds[t] === row.wordIds[t - 1];
    if (sameWord) words[previous].push(t);
    else words.push([t]);
    wordOfToken[t] = sameWord ? previous : words.length - 1;
  }
  const budget = candidates.length === 0 ? 0 : Math.max(1, Math.round(candidates.length * probability));
  let chosen = 0;

  if (strategy === 'whole-word') {
    for (const w of rng.permutation(words.length)) {
      if (chosen >= budget) break;
      if (chosen + words[w].length > budget) continue;
      for (const t of words[w]) corrupt([t]);
      chosen += words[w].length;
    }
    return { inputIds, labels, spans };
  }

  const lengths = spanLengthProbabilities(options.spanP ?? 0.2, options.maxSpanWords ?? 10);
  const masked = new Uint8Array(n);
  // Each attempt either masks at least one token or hits an already masked anchor; the cap only
  // guards against a pathological row.
  for (let attempts = 0; chosen < budget && attempts < 100 * budget; attempts++) {
    const spanWords = sampleIndex(lengths, rng) + 1;
    const anchor = candidates[rng.int(candidates.length)];
    if (masked[anchor]) continue;
    const span: number[] = [];
    // Spans start at the anchor's word and take whole words, never crossing a special token.
    for (let w = wordOfToken[anchor], taken = 0; w < words.length && taken < spanWords && chosen < budget; w++, taken++) {
      if (w > wordOfToken[anchor] && words[w][0] !== words[w - 1][words[w - 1].length - 1] + 1) break;
      for (const t of words[w]) {
        if (chosen >= budget) break;
        if (masked[t]) continue;
        masked[t] = 1;
        span.push(t);
        chosen++;
      }
    }
    if (span.length > 0) corrupt(span);
  }
  return { inputIds, labels, spans };
}

/**
 * SpanBERT's span boundary targets for a masked row: every run of consecutive predicted positions
 * is one span (SpanBERT merges touching spans the same way); each of its positions gets the
 * positions just left and right of the run and its offset inside it (clipped to `maxOffset`).
 * In row order, as `labels` lists the predicted positions. A run touching either end of the row
 * has no boundary there and is refused: rows put [CLS] first and [SEP] last, which are never chosen.
 */
export function spanBoundaries(labels: readonly number[], maxOffset: number): { left: number[]; right: number[]; offset: number[] } {
  const left: number[] = [];
  const right: number[] = [];
  const offset: number[] = [];
  for (let t = 0; t < labels.length; ) {
    if (labels[t] === IGNORE_INDEX) {
      t++;
      continue;
    }
    let end = t;
    while (end + 1 < labels.length && labels[end + 1] !== IGNORE_INDEX) end++;
    if (t === 0 || end === labels.length - 1) throw new RangeError(`the span ${t}..${end} has no boundary token inside the row`);
    for (let i = t; i <= end; i++) {
      left.push(t - 1);
      right.push(end + 1);
      offset.push(Math.min(i - t, maxOffset));
    }
    t = end + 1;
  }
  return { left, right, offset };
}

/** Masks every row with one generator (call once per epoch with a per-epoch seed for dynamic masking). */
export function maskRows(rows: readonly MlmFeature[], rng: Rng, options: MaskingOptions): Array<MlmFeature & MaskedRow> {
  return rows.map((row) => ({ ...row, ...maskTokens(row, rng, options) }));
}
