import { Rng } from '../random';
import { PackedCorpus } from './corpus';
import { rowSource } from './objectives';
import { chunkDocuments, drawPair, PairRow, SentenceObjective } from './pairs';

const CLS = 2;
const SEP = 3;
const PAD = 0;
const IDS = { clsId: CLS, sepId: SEP, padId: PAD };

/**
 * A corpus laid out as tokenizeCorpus lays it out, whose token ids say where they come from:
 * id = 1000 · document + 10 · sentence-in-document + 5 (one word per token). Sentences have
 * 3–9 tokens; documents 1–12 sentences, in paragraphs of up to 4 (a [SEP] after each paragraph).
 */
function syntheticCorpus(documents: number, seed = 1): PackedCorpus {
  const rng = new Rng(seed);
  const ids: number[] = [];
  const words: number[] = [];
  const sentenceStarts: number[] = [];
  const sentenceEnds: number[] = [];
  const documentSentences: number[] = [];
  for (let d = 0; d < documents; d++) {
    documentSentences.push(sentenceStarts.length);
    const sentences = 1 + rng.int(12);
    for (let s = 0; s < sentences; s++) {
      sentenceStarts.push(ids.length);
      const length = 3 + rng.int(7);
      for (let t = 0; t < length; t++) {
        ids.push(1000 * d + 10 * s + 5);
        words.push(ids.length);
      }
      sentenceEnds.push(ids.length);
      if (s % 4 === 3 || s === sentences - 1) {
        ids.push(SEP);
        words.push(-1);
      }
    }
  }
  documentSentences.push(sentenceStarts.length);
  return {
    ids: Int32Array.from(ids),
    words: Int32Array.from(words),
    clsId: CLS,
    sepId: SEP,
    files: ['synthetic.txt'],
    documents,
    sentenceStarts: Int32Array.from(sentenceStarts),
    sentenceEnds: Int32Array.from(sentenceEnds),
    documentSentences: Int32Array.from(documentSentences),
    fingerprint: 'synthetic',
  };
}

/** (document, sentence-in-document) of a token id. */
const origin = (id: number): [number, number] => [Math.floor(id / 1000), Math.floor((id % 1000) / 10)];

/** The row's A and B token ids, read back from the layout. */
function sides(row: PairRow): { a: number[]; b: number[] } {
  const firstSep = row.inputIds.indexOf(SEP);
  return { a: row.inputIds.slice(1, firstSep), b: row.inputIds.slice(firstSep + 1, row.length - 1) };
}

const corpus = syntheticCorpus(300);
const MAX = 48;

describe('sentence chunks', () => {
  it('mlm+nsp refuses a corpus of one document before any step; SOP reads it', () => {
    const one = syntheticCorpus(1, 3);
    expect(() => rowSource(one, 'mlm+nsp', MAX)).toThrow(/holds 1 document; --objective mlm\+nsp/);
    expect(rowSource(one, 'mlm+sop', MAX).rows).toBe(chunkDocuments(one, MAX).length);
  });

  it('cover every sentence of every document once, in order, each filled to the target or its document’s end', () => {
    const chunks = chunkDocuments(corpus, MAX);
    let next = 0;
    for (const c of chunks) {
      expect(c.first).toBe(next);
      expect(c.end).toBeGreaterThan(c.first);
      expect(c.first).toBeGreaterThanOrEqual(corpus.documentSentences[c.document]);
      expect(c.end).toBeLessThanOrEqual(corpus.documentSentences[c.document + 1]);
      const tokens = (s: number): number => corpus.sentenceEnds[s] - corpus.sentenceStarts[s];
      let withoutLast = 0;
      for (let s = c.first; s < c.end - 1; s++) withoutLast += tokens(s);
      // A chunk closes as soon as it reaches the target: without its last sentence it was short of it.
      expect(withoutLast).toBeLessThan(MAX - 3);
      if (c.end !== corpus.documentSentences[c.document + 1]) expect(withoutLast + tokens(c.end - 1)).toBeGreaterThanOrEqual(MAX - 3);
      next = c.end;
    }
    expect(next).toBe(corpus.sentenceStarts.length);
  });
});

describe.each(['nsp', 'sop'] as SentenceObjective[])('%s pairs, drawn as specified (statistics over many draws)', (objective) => {
  const chunks = chunkDocuments(corpus, MAX);
  const draws: Array<{ row: PairRow; chunk: number }> = [];
  const rng = new Rng(7);
  for (let round = 0; round < 6; round++)
    chunks.forEach((c, i) => draws.push({ row: drawPair(corpus, c, objective, MAX, IDS, rng), chunk: i }));

  it('lay out [CLS] A [SEP] B [SEP] with token types 0 then 1, padded with [PAD] to the row length', () => {
    for (const { row } of draws) {
      expect(row.inputIds).toHaveLength(MAX);
      expect(row.length).toBeLessThanOrEqual(MAX);
      const firstSep = row.inputIds.indexOf(SEP);
      expect(row.inputIds[0]).toBe(CLS);
      expect(row.inputIds[row.length - 1]).toBe(SEP);
      expect(row.inputIds.slice(row.length)).toEqual(new Array(MAX - row.length).fill(PAD));
      expect(row.tokenTypeIds).toEqual(row.inputIds.map((_, t) => (t > firstSep && t < row.length ? 1 : 0)));
      expect(row.specialTokensMask.filter((m, t) => m === 1 && t < row.length)).toHaveLength(3);
      expect(sides(row).a.length).toBeGreaterThan(0);
    }
  });

  it('half of the multi-sentence chunks get each label', () => {
    const multi = draws.filter(({ chunk }) => chunks[chunk].end - chunks[chunk].first >= 2);
    expect(multi.length).toBeGreaterThan(1500);
    const ones = multi.filter(({ row }) => row.label === 1).length / multi.length;
    expect(Math.abs(ones - 0.5)).toBeLessThan(0.03);
  });

  if (objective === 'nsp') {
    it('IsNext (0): B continues A in the same document; NotNext (1): B comes from another document', () => {
      for (const { row } of draws) {
        const { a, b } = sides(row);
        const [da, sa] = origin(a[a.length - 1]);
        const [db, sb] = origin(b[0]);
        if (row.label === 0) {
          expect([db, sb]).toEqual([da, sa + 1]);
        } else {
          expect(db).not.toBe(da);
          expect(row.b.document).not.toBe(row.a.document);
        }
      }
      // One-sentence chunks have no continuation inside them: always a random B.
      const single = draws.filter(({ chunk }) => chunks[chunk].end - chunks[chunk].first === 1);
      expect(single.length).toBeGreaterThan(0);
      expect(single.every(({ row }) => row.label === 1)).toBe(true);
      // Random Bs come from many documents, not a few.
      expect(new Set(draws.filter(({ row }) => row.label === 1).map(({ row }) => row.b.document)).size).toBeGreaterThan(200);
    });
  } else {
    it('in order (0): B continues A; swapped (1): A continues B; both from the chunk’s document', () => {
      for (const { row, chunk } of draws) {
        const { a, b } = sides(row);
        expect(new Set([...a, ...b].map((id) => origin(id)[0]))).toEqual(new Set([chunks[chunk].document]));
        const [first, second] = row.label === 0 ? [a, b] : [b, a];
        const [, last] = origin(first[first.length - 1]);
        const [, next] = origin(second[0]);
        // Consecutive sentences, or the two halves of one sentence split at a word boundary.
        expect(next === last + 1 || next === last).toBe(true);
      }
    });
  }

  it('is a function of the generator: the same seed draws the same pairs, another seed other pairs', () => {
    const again = (seed: number): PairRow[] => {
      const r = new Rng(seed);
      return chunks.slice(0, 200).map((c) => drawPair(corpus, c, objective, MAX, IDS, r));
    };
    expect(again(3)).toEqual(again(3));
    expect(again(4)).not.toEqual(again(3));
  });
});
