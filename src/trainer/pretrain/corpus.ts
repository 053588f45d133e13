/**
 * The pre-training corpus as one packed token stream: every non-empty line of every text file is
 * a paragraph (Gutenberg's shards hold one paragraph per line), tokenized without special tokens
 * and followed by [SEP], its sentences found by ICU's sentence boundaries (`Intl.Segmenter`); the
 * stream is cut into blocks of `maxLength − 1` tokens and each block is read as `[CLS] block`. Sentence and document boundaries are kept beside the stream, so sentence pairs
 * and segments can be drawn (`pairs.ts`): documents are separated by blank lines (Gutenberg's
 * books), and a file without blank lines holds one document per line. Tokens live in typed arrays
 * (about 8 bytes a token), so a corpus of tens of millions of tokens fits, and a block is
 * materialised only when its batch is built.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FormatError } from '../../engine/errors';
import type { BerthTokenizer } from '../../tokenizer/tokenizer';
import { MlmFeature } from '../data/features';

/** Paragraphs sent to the tokenizer per call. */
const ENCODE_LINES = 512;

const SENTENCES = new Intl.Segmenter('en', { granularity: 'sentence' });

export type CorpusTokenizer = Pick<BerthTokenizer, 'encodeBatch' | 'specialIds'>;

/** `.txt` files under `path` (a file or a directory, not recursive), sorted, minus those in `exclude`. */
export function listTextFiles(path: string, exclude: readonly string[] = []): string[] {
  if (!existsSync(path)) throw new FormatError(path, 'no such file or directory');
  const skip = new Set(exclude.map((f) => resolve(f)));
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((name) => name.endsWith('.txt'))
        .sort()
        .map((name) => join(path, name))
    : [path];
  const kept = files.filter((f) => !skip.has(resolve(f)));
  if (kept.length === 0) throw new FormatError(path, 'no .txt files to read');
  return kept;
}

class GrowableInt32 {
  private data = new Int32Array(1 << 16);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

export interface PackedCorpus {
  /** Token ids of the whole stream (documents, each followed by [SEP]). */
  readonly ids: Int32Array;
  /** Word index of each token, unique over the stream; −1 for [SEP]. */
  readonly words: Int32Array;
  readonly clsId: number;
  readonly sepId: number;
  readonly files: string[];
  /** Documents (blank-line separated; one per line in a file without blank lines). */
  readonly documents: number;
  /** Stream offset of each sentence's first token and one past its last (a sentence never holds [SEP]). */
  readonly sentenceStarts: Int32Array;
  readonly sentenceEnds: Int32Array;
  /** Index of each document's first sentence, then the sentence count (length documents + 1). */
  readonly documentSentences: Int32Array;
  /** SHA-256 of the token stream: a checkpoint refuses to resume on different data. */
  readonly fingerprint: string;
}

/** The non-empty lines of a file grouped into documents: by blank lines, or one per line when there is none. */
function documentsOf(text: string): string[][] {
  const lines = text.split(/\r?\n/);
  if (!/\n[^\S\n]*\n/.test(text.trim())) return lines.filter((line) => line.trim().length > 0).map((line) => [line]);
  const documents: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim().length > 0) current.push(line);
    else if (current.length > 0) {
      documents.push(current);
      current = [];
    }
  }
  if (current.length > 0) documents.push(current);
  return documents;
}

/**
 * Where each sentence of `paragraph` starts, in code points (the unit of the tokenizer's offsets):
 * ICU's sentence boundaries, each segment's trailing spaces belonging to it.
 */
function sentenceStartsOf(paragraph: string): number[] {
  const starts: number[] = [];
  let unit = 0;
  let point = 0;
  for (const { index } of SENTENCES.segment(paragraph)) {
    while (unit < index) {
      const c = paragraph.charCodeAt(unit);
      const pair = c >= 0xd800 && c <= 0xdbff && unit + 1 < paragraph.length;
      unit += pair ? 2 : 1;
      point++;
    }
    starts.push(point);
  }
  return starts;
}

/**
 * Tokenizes `files` paragraph by paragraph into one stream (the sentence boundaries are read from
 * the tokens' offsets, so the stream is the same as without them); `onProgress` is called after
 * each file.
 */
export async function tokenizeCorpus(
  files: readonly string[],
  tokenizer: CorpusTokenizer,
  onProgress?: (file: string, tokens: number) => void,
): Promise<PackedCorpus> {
  const { cls, sep } = tokenizer.specialIds;
  const ids = new GrowableInt32();
  const words = new GrowableInt32();
  const sentenceStarts = new GrowableInt32();
  const sentenceEnds = new GrowableInt32();
  const documentSentences = new GrowableInt32();
  let wordBase = 0;
  for (const file of files) {
    const paragraphs: Array<{ text: string; firstOfDocument: boolean }> = [];
    for (const document of documentsOf(readFileSync(file, 'utf8'))) {
      document.forEach((text, i) => paragraphs.push({ text, firstOfDocument: i === 0 }));
    }
    let documentOpen = false;
    for (let from = 0; from < paragraphs.length; from += ENCODE_LINES) {
      const chunk = paragraphs.slice(from, from + ENCODE_LINES);
      const encoded = await tokenizer.encodeBatch(
        chunk.map((p) => p.text),
        { addSpecialTokens: false, truncation: false },
      );
      encoded.forEach(([e], k) => {
        if (chunk[k].firstOfDocument) documentOpen = false;
        const starts = sentenceStartsOf(chunk[k].text);
        let sentence = -1;
        let maxWord = -1;
        for (let t = 0; t < e.ids.length; t++) {
          // The sentence holding this token: the last one starting at or before it.
          let s = sentence < 0 ? 0 : sentence;
          while (s + 1 < starts.length && e.offsets[t][0] >= starts[s + 1]) s++;
          if (s !== sentence) {
            if (sentence >= 0) sentenceEnds.push(ids.length);
            if (!documentOpen) documentSentences.push(sentenceStarts.length);
            documentOpen = true;
            sentenceStarts.push(ids.length);
            sentence = s;
          }
          ids.push(e.ids[t]);
          const w = e.wordIds[t];
          words.push(w === null ? -1 : wordBase + w);
          if (w !== null && w > maxWord) maxWord = w;
        }
        if (sentence >= 0) sentenceEnds.push(ids.length);
        wordBase += maxWord + 1;
        ids.push(sep);
        words.push(-1);
      });
    }
    onProgress?.(file, ids.length);
  }
  const idArray = ids.toArray();
  const fingerprint = createHash('sha256')
    .update(new Uint8Array(idArray.buffer, idArray.byteOffset, idArray.byteLength))
    .digest('hex');
  const documents = documentSentences.length;
  documentSentences.push(sentenceStarts.length);
  return {
    ids: idArray,
    words: words.toArray(),
    clsId: cls,
    sepId: sep,
    files: files.map((f) => basename(f)),
    documents,
    sentenceStarts: sentenceStarts.toArray(),
    sentenceEnds: sentenceEnds.toArray(),
    documentSentences: documentSentences.toArray(),
    fingerprint,
  };
}

/** Whole blocks in the stream (the tail shorter than a block is dropped, as run_mlm's group_texts). */
export function blockCount(corpus: PackedCorpus, maxLength: number): number {
  return Math.floor(corpus.ids.length / (maxLength - 1));
}

/** Block `index` as a masked-LM row: [CLS] then maxLength − 1 stream tokens. */
export function blockAt(corpus: PackedCorpus, index: number, maxLength: number): MlmFeature {
  return readBlock(corpus, index, maxLength - 1, false);
}

/** [CLS], `width` stream tokens from block `index`, and a closing [SEP] when `close`. */
function readBlock(corpus: PackedCorpus, index: number, width: number, close: boolean): MlmFeature {
  const start = index * width;
  if (index < 0 || start + width > corpus.ids.length) throw new RangeError(`block ${index} is outside the corpus`);
  const inputIds = [corpus.clsId];
  const specialTokensMask = [1];
  const wordIds: Array<number | null> = [null];
  for (let t = start; t < start + width; t++) {
    inputIds.push(corpus.ids[t]);
    const w = corpus.words[t];
    specialTokensMask.push(w < 0 ? 1 : 0);
    wordIds.push(w < 0 ? null : w);
  }
  if (close) {
    inputIds.push(corpus.sepId);
    specialTokensMask.push(1);
    wordIds.push(null);
  }
  return { inputIds, tokenTypeIds: new Array<number>(inputIds.length).fill(0), specialTokensMask, wordIds };
}

/** Whole blocks for rows closed by [SEP] (the span objective needs a token right of every span). */
export function closedBlockCount(corpus: PackedCorpus, maxLength: number): number {
  return Math.floor(corpus.ids.length / (maxLength - 2));
}

/** Block `index` as `[CLS] block [SEP]`: maxLength − 2 stream tokens between the two. */
export function closedBlockAt(corpus: PackedCorpus, index: number, maxLength: number): MlmFeature {
  return readBlock(corpus, index, maxLength - 2, true);
}
