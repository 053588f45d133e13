import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenizedInput } from '../../tokenizer/tokenizer';
import { CorpusTokenizer, blockAt, blockCount, listTextFiles, tokenizeCorpus } from './corpus';

const CLS = 2;
const SEP = 3;

/** Whitespace words; a word longer than 3 letters splits into two pieces (ids from a fixed table). */
function fakeTokenizer(): CorpusTokenizer {
  const table = new Map<string, number>();
  const idOf = (piece: string): number => {
    if (!table.has(piece)) table.set(piece, 10 + table.size);
    return table.get(piece) as number;
  };
  return {
    specialIds: { cls: CLS, sep: SEP, pad: 0, unk: 1, mask: 4 },
    encodeBatch: async (inputs) =>
      inputs.map((text) => {
        const ids: number[] = [];
        const wordIds: number[] = [];
        const offsets: Array<[number, number]> = [];
        let at = 0;
        (text as string).split(' ').forEach((word, w) => {
          const pieces = word.length > 3 ? [word.slice(0, 3), `##${word.slice(3)}`] : [word];
          offsets.push(
            ...(word.length > 3
              ? ([
                  [at, at + 3],
                  [at + 3, at + word.length],
                ] as Array<[number, number]>)
              : [[at, at + word.length] as [number, number]]),
          );
          for (const p of pieces) {
            ids.push(idOf(p));
            wordIds.push(w);
          }
          at += word.length + 1;
        });
        return [{ ids, wordIds, offsets } as unknown as TokenizedInput];
      }),
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-corpus-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tokenizeCorpus / blockAt', () => {
  it('joins paragraphs (non-empty lines) with [SEP], numbers words across them, cuts [CLS] blocks', async () => {
    const file = join(dir, 'a.txt');
    // Documents: "ab cdef" → ab(10) cde(11) ##f(12); "ghij" → ghi(13) ##j(14); "ab" → ab(10)
    writeFileSync(file, 'ab cdef\n\n   \nghij\r\nab\n');
    const corpus = await tokenizeCorpus([file], fakeTokenizer());
    // Blank lines separate documents: "ab cdef" | "ghij", "ab".
    expect(corpus.documents).toBe(2);
    expect([...corpus.ids]).toEqual([10, 11, 12, SEP, 13, 14, SEP, 10, SEP]);
    expect([...corpus.words]).toEqual([0, 1, 1, -1, 2, 2, -1, 3, -1]);
    expect(corpus.files).toEqual(['a.txt']);

    // Blocks of maxLength 4 read 3 stream tokens each: 9 tokens → 3 blocks.
    expect(blockCount(corpus, 4)).toBe(3);
    expect(blockAt(corpus, 1, 4)).toEqual({
      inputIds: [CLS, SEP, 13, 14],
      tokenTypeIds: [0, 0, 0, 0],
      specialTokensMask: [1, 1, 0, 0],
      wordIds: [null, null, 2, 2],
    });
    // maxLength 5: 4 tokens a block, 2 blocks, the last token dropped.
    expect(blockCount(corpus, 5)).toBe(2);
    expect(() => blockAt(corpus, 2, 5)).toThrow(RangeError);
  });

  it('keeps sentence and document boundaries beside the stream', async () => {
    const blank = join(dir, 'books.txt');
    // Two documents (blank line); the first has two paragraphs, the first of them two sentences.
    writeFileSync(blank, 'ab cd. Ef gh!\nij\n\nkl mn\n');
    const books = await tokenizeCorpus([blank], fakeTokenizer());
    // ab cd. | Ef gh! | SEP | ij | SEP | kl mn | SEP
    expect(books.ids.length).toBe(10);
    expect(books.documents).toBe(2);
    expect([...books.sentenceStarts]).toEqual([0, 2, 5, 7]);
    expect([...books.sentenceEnds]).toEqual([2, 4, 6, 9]);
    expect([...books.documentSentences]).toEqual([0, 3, 4]);
    // Without blank lines every line is a document.
    const lines = join(dir, 'lines.txt');
    writeFileSync(lines, 'ab cd. Ef gh!\nij\nkl mn\n');
    const perLine = await tokenizeCorpus([lines], fakeTokenizer());
    expect(perLine.documents).toBe(3);
    expect([...perLine.documentSentences]).toEqual([0, 2, 3, 4]);
    expect([...perLine.ids]).toEqual([...books.ids]);
  });

  it('fingerprints the token stream: equal text equal print, other text another', async () => {
    writeFileSync(join(dir, 'a.txt'), 'ab cdef\nghij\n');
    writeFileSync(join(dir, 'b.txt'), 'ab cdef\nghij\n');
    writeFileSync(join(dir, 'c.txt'), 'ab cdef\nghik\n');
    const tokenizer = fakeTokenizer();
    const a = await tokenizeCorpus([join(dir, 'a.txt')], tokenizer);
    const b = await tokenizeCorpus([join(dir, 'b.txt')], tokenizer);
    const c = await tokenizeCorpus([join(dir, 'c.txt')], tokenizer);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });
});

describe('listTextFiles', () => {
  it('lists .txt files of a directory in order, minus the held-out one', () => {
    mkdirSync(join(dir, 'sub'));
    for (const name of ['b.txt', 'a.txt', 'notes.md', 'c.txt']) writeFileSync(join(dir, name), 'x');
    expect(listTextFiles(dir)).toEqual(['a.txt', 'b.txt', 'c.txt'].map((n) => join(dir, n)));
    expect(listTextFiles(dir, [join(dir, 'b.txt')])).toEqual([join(dir, 'a.txt'), join(dir, 'c.txt')]);
    expect(listTextFiles(join(dir, 'notes.md'))).toEqual([join(dir, 'notes.md')]);
  });

  it('fails clearly on a missing path and on nothing to read', () => {
    expect(() => listTextFiles(join(dir, 'nope'))).toThrow(/no such file or directory/);
    expect(() => listTextFiles(join(dir, 'sub-missing'))).toThrow();
    writeFileSync(join(dir, 'only.txt'), 'x');
    expect(() => listTextFiles(dir, [join(dir, 'only.txt')])).toThrow(/no \.txt files/);
  });
});
