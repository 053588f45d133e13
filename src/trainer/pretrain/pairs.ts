/**
 * Sentence pairs for the sentence objectives, from the corpus's sentence and document boundaries.
 *
 * Each document is cut once, without randomness, into chunks of whole consecutive sentences of
 * about `maxLength − 3` tokens (BERT's `create_pretraining_data.py` fills a chunk until it
 * reaches the target length or the document ends). A chunk is one training row; what the row
 * holds is drawn per (seed, step):
 * - NSP (BERT): A is the chunk's first 1..k−1 sentences; with probability ½ B is the rest of the
 *   chunk (IsNext, label 0), else B is read from a random sentence of another document (label 1);
 *   a one-sentence chunk always gets a random B, as in BERT.
 * - SOP (ALBERT): A and B are the chunk split the same way, in order (label 0) or swapped
 *   (label 1); a one-sentence chunk is split at a random word boundary.
 * The pair is trimmed to fit (the longer side first: A loses tokens at its start, B at its end,
 * so the junction between them stays intact) and laid out as `[CLS] A [SEP] B [SEP]`, padded.
 */
import { FormatError } from '../../engine/errors';
import { Rng } from '../random';
import { PackedCorpus } from './corpus';

export type SentenceObjective = 'nsp' | 'sop';

/** Sentences [first, end) of one document. */
export interface Chunk {
  readonly document: number;
  readonly first: number;
  readonly end: number;
}

/** A row before masking: its tokens, types, specials and word ids padded to the row length, and how much is real. */
export interface PairRow {
  readonly inputIds: number[];
  readonly tokenTypeIds: number[];
  readonly specialTokensMask: number[];
  readonly wordIds: Array<number | null>;
  /** Real tokens (the rest is padding). */
  readonly length: number;
  /** NSP: 0 IsNext, 1 random; SOP: 0 in order, 1 swapped (HF's conventions). */
  readonly label: number;
  /** Where A and B came from, for tests and statistics. */
  readonly a: { readonly document: number; readonly sentences: readonly number[] };
  readonly b: { readonly document: number; readonly sentences: readonly number[] };
}

/** Every document cut into chunks of whole sentences, each filled up to `maxLength − 3` tokens. */
export function chunkDocuments(corpus: PackedCorpus, maxLength: number): Chunk[] {
  const target = maxLength - 3;
  const chunks: Chunk[] = [];
  for (let d = 0; d < corpus.documents; d++) {
    const from = corpus.documentSentences[d];
    const to = corpus.documentSentences[d + 1];
    let first = from;
    let tokens = 0;
    for (let s = from; s < to; s++) {
      tokens += corpus.sentenceEnds[s] - corpus.sentenceStarts[s];
      if (tokens >= target || s === to - 1) {
        chunks.push({ document: d, first, end: s + 1 });
        first = s + 1;
        tokens = 0;
      }
    }
  }
  return chunks;
}

interface Segment {
  ids: number[];
  words: number[];
}

function tokensOf(corpus: PackedCorpus, sentences: readonly number[]): Segment {
  const ids: number[] = [];
  const words: number[] = [];
  for (const s of sentences) {
    for (let t = corpus.sentenceStarts[s]; t < corpus.sentenceEnds[s]; t++) {
      ids.push(corpus.ids[t]);
      words.push(corpus.words[t]);
    }
  }
  return { ids, words };
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** B for NSP's random case: sentences of another document from a random start, up to `target` tokens. */
function randomSentences(corpus: PackedCorpus, document: number, target: number, rng: Rng): { document: number; sentences: number[] } {
  let other = rng.int(corpus.documents - 1);
  if (other >= document) other++;
  const from = corpus.documentSentences[other];
  const to = corpus.documentSentences[other + 1];
  const sentences: number[] = [];
  let tokens = 0;
  for (let s = from + rng.int(to - from); s < to && tokens < target; s++) {
    sentences.push(s);
    tokens += corpus.sentenceEnds[s] - corpus.sentenceStarts[s];
  }
  return { document: other, sentences };
}

/** One sentence split at a random word boundary (the middle of its tokens when it is one word). */
function splitSentence(whole: Segment, rng: Rng): [Segment, Segment] {
  const boundaries: number[] = [];
  for (let t = 1; t < whole.ids.length; t++) if (whole.words[t] !== whole.words[t - 1]) boundaries.push(t);
  const at = boundaries.length > 0 ? boundaries[rng.int(boundaries.length)] : Math.floor(whole.ids.length / 2);
  return [
    { ids: whole.ids.slice(0, at), words: whole.words.slice(0, at) },
    { ids: whole.ids.slice(at), words: whole.words.slice(at) },
  ];
}

/** Trims the longer side until both fit in `maxTokens`: A from its start, B from its end. */
function trimPair(a: Segment, b: Segment, maxTokens: number): void {
  while (a.ids.length + b.ids.length > maxTokens) {
    if (a.ids.length > b.ids.length) {
      a.ids.shift();
      a.words.shift();
    } else {
      b.ids.pop();
      b.words.pop();
    }
  }
}

export interface PairIds {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
}

/** The pair row of `chunk` for `objective`, drawn with `rng`, laid out in `maxLength` tokens. */
export function drawPair(
  corpus: PackedCorpus,
  chunk: Chunk,
  objective: SentenceObjective,
  maxLength: number,
  ids: PairIds,
  rng: Rng,
): PairRow {
  const k = chunk.end - chunk.first;
  const aEnd = k >= 2 ? chunk.first + 1 + rng.int(k - 1) : chunk.first + 1;
  const maxTokens = maxLength - 3;
  let aSentences = range(chunk.first, aEnd);
  let bSentences = range(aEnd, chunk.end);
  let bDocument = chunk.document;
  let a = tokensOf(corpus, aSentences);
  let b: Segment;
  let label: number;
  if (objective === 'nsp') {
    if (corpus.documents < 2) throw new FormatError('--objective mlm+nsp', 'needs at least two documents to draw random sentences from');
    const random = k === 1 || rng.bernoulli(0.5);
    if (random) {
      const drawn = randomSentences(corpus, chunk.document, Math.max(1, maxTokens - a.ids.length), rng);
      bDocument = drawn.document;
      bSentences = drawn.sentences;
    }
    b = tokensOf(corpus, bSentences);
    label = random ? 1 : 0;
  } else {
    if (k === 1) [a, b] = splitSentence(a, rng);
    else b = tokensOf(corpus, bSentences);
    if (k === 1) bSentences = aSentences;
    trimPair(a, b, maxTokens);
    label = rng.bernoulli(0.5) ? 1 : 0;
    if (label === 1) {
      [a, b] = [b, a];
      [aSentences, bSentences] = [bSentences, aSentences];
    }
  }
  trimPair(a, b, maxTokens);
  return layOut(a, b, label, maxLength, ids, {
    a: { document: chunk.document, sentences: aSentences },
    b: { document: bDocument, sentences: bSentences },
  });
}

function layOut(a: Segment, b: Segment, label: number, maxLength: number, ids: PairIds, origin: Pick<PairRow, 'a' | 'b'>): PairRow {
  const inputIds = [ids.clsId, ...a.ids, ids.sepId, ...b.ids, ids.sepId];
  const length = inputIds.length;
  const firstLength = a.ids.length + 2;
  const tokenTypeIds = inputIds.map((_, t) => (t < firstLength ? 0 : 1));
  const specialTokensMask = inputIds.map((_, t) => (t === 0 || t === firstLength - 1 || t === length - 1 ? 1 : 0));
  const wordIds: Array<number | null> = [null, ...a.words, null, ...b.words, null];
  for (let t = length; t < maxLength; t++) {
    inputIds.push(ids.padId);
    tokenTypeIds.push(0);
    specialTokensMask.push(1);
    wordIds.push(null);
  }
  return { inputIds, tokenTypeIds, specialTokensMask, wordIds, length, label, ...origin };
}
