import { Rng } from '../random';
import { IGNORE_INDEX, MlmFeature } from './features';
import { maskTokens, maskWithSpans, packRows, spanBoundaries, spanLengthProbabilities } from './mlm';

const MASK = 103;
const VOCAB = 30522;

/** [CLS] w0 w0' w1 w2 w2' w2'' ... [SEP]: words of 1–3 pieces, ids 1000 + token index. */
function sampleRow(words: number): MlmFeature {
  const inputIds = [101];
  const wordIds: Array<number | null> = [null];
  for (let w = 0; w < words; w++) {
    for (let p = 0; p <= w % 3; p++) {
      inputIds.push(1000 + inputIds.length);
      wordIds.push(w);
    }
  }
  inputIds.push(102);
  wordIds.push(null);
  return {
    inputIds,
    tokenTypeIds: inputIds.map(() => 0),
    specialTokensMask: wordIds.map((w) => (w === null ? 1 : 0)),
    wordIds,
  };
}

describe('maskTokens', () => {
  it('token masking: ~15% chosen, 80/10/10 mask/random/keep, specials never, labels −100 elsewhere', () => {
    const rng = new Rng(1);
    const row = sampleRow(60); // 120 real tokens
    let chosen = 0;
    let masked = 0;
    let kept = 0;
    let total = 0;
    for (let i = 0; i < 400; i++) {
      const out = maskTokens(row, rng, { maskTokenId: MASK, vocabSize: VOCAB });
      expect(out.labels[0]).toBe(IGNORE_INDEX);
      expect(out.labels[row.inputIds.length - 1]).toBe(IGNORE_INDEX);
      expect([out.inputIds[0], out.inputIds[row.inputIds.length - 1]]).toEqual([101, 102]);
      out.labels.forEach((label, t) => {
        if (row.specialTokensMask[t] === 0) total++;
        if (label === IGNORE_INDEX) {
          expect(out.inputIds[t]).toBe(row.inputIds[t]);
          return;
        }
        expect(label).toBe(row.inputIds[t]);
        chosen++;
        if (out.inputIds[t] === MASK) masked++;
        else if (out.inputIds[t] === row.inputIds[t]) kept++;
      });
    }
    // 48,000 tokens: the rates' standard errors are below 0.5% of each figure, the bounds ~5 sd.
    expect(chosen / total).toBeGreaterThan(0.14);
    expect(chosen / total).toBeLessThan(0.16);
    expect(masked / chosen).toBeGreaterThan(0.78);
    expect(masked / chosen).toBeLessThan(0.82);
    expect(kept / chosen).toBeGreaterThan(0.085); // a random id equal to the original is vanishingly rare
    expect(kept / chosen).toBeLessThan(0.115);
  });

  it('is reproducible from the seed', () => {
    const row = sampleRow(30);
    const a = maskTokens(row, new Rng(5), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'span' });
    expect(maskTokens(row, new Rng(5), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'span' })).toEqual(a);
  });

  it('whole-word masking labels every piece of a chosen word or none, within the budget', () => {
    const row = sampleRow(40); // 79 real tokens → budget round(11.85) = 12
    for (let seed = 0; seed < 50; seed++) {
      const out = maskTokens(row, new Rng(seed), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'whole-word' });
      const chosenPerWord = new Map<number, number>();
      out.labels.forEach((label, t) => {
        const w = row.wordIds[t];
        if (label !== IGNORE_INDEX) chosenPerWord.set(w!, (chosenPerWord.get(w!) ?? 0) + 1);
      });
      let count = 0;
      for (const [w, n] of chosenPerWord) {
        expect(n).toBe((w % 3) + 1);
        count += n;
      }
      expect(count).toBeLessThanOrEqual(12);
      expect(count).toBeGreaterThanOrEqual(10); // only a skipped 3-piece word can leave a gap
    }
  });

  it('span masking spends exactly the budget in runs of consecutive tokens, never on specials', () => {
    const row = sampleRow(40);
    for (let seed = 0; seed < 50; seed++) {
      const out = maskTokens(row, new Rng(seed), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'span' });
      const positions = out.labels.flatMap((l, t) => (l === IGNORE_INDEX ? [] : [t]));
      expect(positions).toHaveLength(12);
      expect(positions.every((t) => row.specialTokensMask[t] === 0)).toBe(true);
    }
  });

  it('SpanBERT span lengths: geometric(0.2) truncated at 10 and renormalized (mean ≈ 3.8 words)', () => {
    const probabilities = spanLengthProbabilities();
    const z = 1 - 0.8 ** 10;
    expect(probabilities).toHaveLength(10);
    expect(probabilities[0]).toBeCloseTo(0.2 / z, 15);
    expect(probabilities[9]).toBeCloseTo((0.2 * 0.8 ** 9) / z, 15);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    expect(probabilities.reduce((a, p, i) => a + p * (i + 1), 0)).toBeCloseTo(3.797097503983287, 12);
  });
});

describe('SpanBERT span masking, as drawn (statistics over many rows)', () => {
  /** [CLS] w0 w1 ... [SEP] with one-piece words: a span's length in tokens is its length in words. */
  function flatRow(words: number): MlmFeature {
    const inputIds = [101, ...Array.from({ length: words }, (_, i) => 1000 + i), 102];
    const wordIds = [null, ...Array.from({ length: words }, (_, i) => i), null];
    return { inputIds, tokenTypeIds: inputIds.map(() => 0), specialTokensMask: wordIds.map((w) => (w === null ? 1 : 0)), wordIds };
  }

  it('span lengths follow the clipped geometric(0.2) over 1..10 words (a sparse budget, so spans rarely run into each other)', () => {
    const row = flatRow(4000);
    const expected = spanLengthProbabilities(0.2, 10);
    const counts = new Array<number>(11).fill(0);
    let spans = 0;
    for (let seed = 0; seed < 120; seed++) {
      const out = maskWithSpans(row, new Rng(seed), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'span', probability: 0.02 });
      // The row's last span may be cut short by the budget: leave it out.
      for (const span of out.spans.slice(0, -1)) {
        expect(span.length).toBeLessThanOrEqual(10);
        counts[span.length]++;
        spans++;
      }
    }
    expect(spans).toBeGreaterThan(2000);
    for (let k = 1; k <= 10; k++) expect(Math.abs(counts[k] / spans - expected[k - 1])).toBeLessThan(0.02);
    const meanLength = counts.reduce((a, c, k) => a + c * k, 0) / spans;
    expect(Math.abs(meanLength - 3.797)).toBeLessThan(0.15);
  });

  it('15 % of the tokens in all, spans of whole consecutive words, 80/10/10 chosen once per span', () => {
    const row = sampleRow(300); // 600 real tokens in words of 1–3 pieces
    let spans = 0;
    let allMask = 0;
    let allKept = 0;
    const piecesOf = Array.from({ length: 300 }, (_, w) => row.wordIds.flatMap((id, t) => (id === w ? [t] : [])));
    for (let seed = 0; seed < 200; seed++) {
      const out = maskWithSpans(row, new Rng(seed), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'span' });
      const labelled = out.labels.filter((l) => l !== IGNORE_INDEX).length;
      expect(labelled).toBe(90);
      expect(out.spans.reduce((a, s) => a + s.length, 0)).toBe(90);
      // Whole words: a word is cut only where the budget ran out, at most once a row.
      let cutWords = 0;
      for (const pieces of piecesOf) {
        const chosen = pieces.filter((t) => out.labels[t] !== IGNORE_INDEX).length;
        if (chosen > 0 && chosen < pieces.length) cutWords++;
      }
      expect(cutWords).toBeLessThanOrEqual(1);
      for (const span of out.spans) {
        spans++;
        // Consecutive: everything between a span's ends is predicted (by it, or by a span drawn before).
        for (let t = span[0]; t <= span[span.length - 1]; t++) expect(out.labels[t]).not.toBe(IGNORE_INDEX);
        if (span.every((t) => out.inputIds[t] === MASK)) allMask++;
        if (span.every((t) => out.inputIds[t] === row.inputIds[t])) allKept++;
      }
    }
    expect(Math.abs(allMask / spans - 0.8)).toBeLessThan(0.02);
    expect(Math.abs(allKept / spans - 0.1)).toBeLessThan(0.02);
  });

  it('span boundaries: each predicted token gets the unmasked tokens around its run and its offset in the run', () => {
    const I = IGNORE_INDEX;
    //            0  1  2  3  4  5  6  7  8
    const labels = [I, 5, 6, I, 7, I, I, 8, I];
    expect(spanBoundaries(labels, 19)).toEqual({ left: [0, 0, 3, 6], right: [3, 3, 5, 8], offset: [0, 1, 0, 0] });
    // Offsets deeper than the position table use its last row.
    expect(spanBoundaries([I, 1, 2, 3, I], 1).offset).toEqual([0, 1, 1]);
    expect(() => spanBoundaries([1, I], 19)).toThrow(RangeError);
    // On real draws the boundaries are never predicted themselves.
    const row = sampleRow(80);
    for (let seed = 0; seed < 50; seed++) {
      const out = maskTokens(row, new Rng(seed), { maskTokenId: MASK, vocabSize: VOCAB, strategy: 'span' });
      const b = spanBoundaries(out.labels, 19);
      expect(b.left).toHaveLength(out.labels.filter((l) => l !== I).length);
      for (const t of [...b.left, ...b.right]) expect(out.labels[t]).toBe(I);
    }
  });
});

describe('packRows (run_mlm.py group_texts)', () => {
  const doc = (ids: number[], firstWord = 0): MlmFeature => ({
    inputIds: [101, ...ids, 102],
    tokenTypeIds: ids.map(() => 0).concat([0, 0]),
    specialTokensMask: [1, ...ids.map(() => 0), 1],
    wordIds: [null, ...ids.map((_, i) => firstWord + i), null],
  });

  it('concatenates [CLS] doc [SEP] streams, cuts blocks and drops the short tail', () => {
    const blocks = packRows([doc([1, 2, 3]), doc([4, 5]), doc([6])], 4);
    // Stream: 101 1 2 3 102 101 4 5 102 101 6 102 (12 tokens) → 3 blocks of 4.
    expect(blocks.map((b) => b.inputIds)).toEqual([
      [101, 1, 2, 3],
      [102, 101, 4, 5],
      [102, 101, 6, 102],
    ]);
    // Word ids stay distinct across documents.
    expect(blocks[1].wordIds).toEqual([null, null, 3, 4]);
    expect(packRows([doc([1, 2, 3]), doc([4])], 5).map((b) => b.inputIds)).toEqual([[101, 1, 2, 3, 102]]);
    // A corpus shorter than one block is kept whole.
    expect(packRows([doc([1])], 8).map((b) => b.inputIds)).toEqual([[101, 1, 102]]);
  });
});
