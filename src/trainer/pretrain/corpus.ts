/**
 * The pre-training corpus as one packed token stream: every non-empty line of every text file is
 * a document (Gutenberg's shards hold one paragraph per line), tokenized without special tokens
 * and followed by [SEP]; the stream is cut into blocks of `maxLength − 1` tokens and each block
 * is read as `[CLS] block`. Tokens live in typed arrays (about 8 bytes a token), so a corpus of
 * tens of millions of tokens fits, and a block is materialised only when its batch is built.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FormatError } from '../../engine/errors';
import type { BerthTokenizer } from '../../tokenizer/tokenizer';
import { MlmFeature } from '../data/features';

/** Documents sent to the tokenizer per call. */
const ENCODE_LINES = 512;

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
  readonly documents: number;
  /** SHA-256 of the token stream: a checkpoint refuses to resume on different data. */
  readonly fingerprint: string;
}

/** Tokenizes `files` line by line into one stream; `onProgress` is called after each file. */
export async function tokenizeCorpus(
  files: readonly string[],
  tokenizer: CorpusTokenizer,
  onProgress?: (file: string, tokens: number) => void,
): Promise<PackedCorpus> {
  const { cls, sep } = tokenizer.specialIds;
  const ids = new GrowableInt32();
  const words = new GrowableInt32();
  let wordBase = 0;
  let documents = 0;
  for (const file of files) {
    const lines = readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .filter((line) => line.trim().length > 0);
    for (let from = 0; from < lines.length; from += ENCODE_LINES) {
      const encoded = await tokenizer.encodeBatch(lines.slice(from, from + ENCODE_LINES), { addSpecialTokens: false, truncation: false });
      for (const [e] of encoded) {
        let maxWord = -1;
        for (let t = 0; t < e.ids.length; t++) {
          ids.push(e.ids[t]);
          const w = e.wordIds[t];
          words.push(w === null ? -1 : wordBase + w);
          if (w !== null && w > maxWord) maxWord = w;
        }
        wordBase += maxWord + 1;
        ids.push(sep);
        words.push(-1);
        documents++;
      }
    }
    onProgress?.(file, ids.length);
  }
  const idArray = ids.toArray();
  const fingerprint = createHash('sha256')
    .update(new Uint8Array(idArray.buffer, idArray.byteOffset, idArray.byteLength))
    .digest('hex');
  return { ids: idArray, words: words.toArray(), clsId: cls, sepId: sep, files: files.map((f) => basename(f)), documents, fingerprint };
}

/** Whole blocks in the stream (the tail shorter than a block is dropped, as run_mlm's group_texts). */
export function blockCount(corpus: PackedCorpus, maxLength: number): number {
  return Math.floor(corpus.ids.length / (maxLength - 1));
}

/** Block `index` as a masked-LM row: [CLS] then maxLength − 1 stream tokens. */
export function blockAt(corpus: PackedCorpus, index: number, maxLength: number): MlmFeature {
  const width = maxLength - 1;
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
  return { inputIds, tokenTypeIds: new Array<number>(maxLength).fill(0), specialTokensMask, wordIds };
}
