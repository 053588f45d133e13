import {
  aggregateWindow,
  gatherPreEntities,
  groupEntities,
  mergeOverlapping,
  NerWindowTokens,
  postprocessNer,
} from './token-classification';

/**
 * "Microsoft company in Paris" as a WordPiece tokenizer splits it: micro ##soft company in paris.
 * Logits are logs of chosen probabilities, so the softmax gives those probabilities back and every
 * expected score below is computed by hand.
 */
const text = 'Microsoft company in Paris';
const labels = ['O', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'];
const window: NerWindowTokens = {
  ids: [101, 12702, 6499, 2194, 1999, 3000, 102],
  tokens: ['[CLS]', 'micro', '##soft', 'company', 'in', 'paris', '[SEP]'],
  offsets: [
    [0, 0],
    [0, 5],
    [5, 9],
    [10, 17],
    [18, 20],
    [21, 26],
    [0, 0],
  ],
  specialTokensMask: [1, 0, 0, 0, 0, 0, 1],
};
const probs = [
  [0.2, 0.2, 0.2, 0.2, 0.2], // [CLS] (skipped)
  [0.1, 0.7, 0.1, 0.05, 0.05], // micro: B-ORG 0.7
  [0.05, 0.05, 0.05, 0.8, 0.05], // ##soft: B-LOC 0.8 (disagrees with its word's first piece)
  [0.8, 0.05, 0.05, 0.05, 0.05], // company: O
  [0.9, 0.025, 0.025, 0.025, 0.025], // in: O
  [0.1, 0.1, 0.1, 0.6, 0.1], // paris: B-LOC 0.6
  [0.2, 0.2, 0.2, 0.2, 0.2], // [SEP] (skipped)
];
const logits = Float32Array.from(probs.flat().map(Math.log));
const opts = { labels, ignoreLabels: ['O'], unkId: 100, subwordPrefix: '##' };

function run(aggregation: 'none' | 'simple' | 'first' | 'average' | 'max') {
  return postprocessNer(text, [{ tokens: window, logits, indexBase: 0 }], labels.length, { ...opts, aggregation });
}

describe('NER aggregation (HF TokenClassificationPipeline semantics)', () => {
  it('marks continuation pieces as sub-words by token vs text length, and [UNK] never', () => {
    const pre = gatherPreEntities(text, window, logits, 5, opts);
    expect(pre.map((p) => p.isSubword)).toEqual([false, true, false, false, false]);
    const unk = {
      ...window,
      ids: window.ids.map((id, i) => (i === 2 ? 100 : id)),
      tokens: window.tokens.map((t, i) => (i === 2 ? '[UNK]' : t)),
    };
    expect(gatherPreEntities(text, unk, logits, 5, opts)[1].isSubword).toBe(false);
  });

  it('none: one entity per token, softmax score, raw tag and index', () => {
    const out = run('none');
    expect(out).toEqual([
      { entity: 'B-ORG', entity_group: 'ORG', score: expect.closeTo(0.7, 6), index: 1, start: 0, end: 5, word: 'Micro' },
      { entity: 'B-LOC', entity_group: 'LOC', score: expect.closeTo(0.8, 6), index: 2, start: 5, end: 9, word: 'soft' },
      { entity: 'B-LOC', entity_group: 'LOC', score: expect.closeTo(0.6, 6), index: 5, start: 21, end: 26, word: 'Paris' },
    ]);
  });

  it('simple: groups tokens without looking at words', () => {
    const out = run('simple');
    expect(out).toEqual([
      { entity_group: 'ORG', score: expect.closeTo(0.7, 6), start: 0, end: 5, word: 'Micro' },
      { entity_group: 'LOC', score: expect.closeTo(0.8, 6), start: 5, end: 9, word: 'soft' },
      { entity_group: 'LOC', score: expect.closeTo(0.6, 6), start: 21, end: 26, word: 'Paris' },
    ]);
  });

  it('first: a word takes its first piece’s label', () => {
    expect(run('first')).toEqual([
      { entity_group: 'ORG', score: expect.closeTo(0.7, 6), start: 0, end: 9, word: 'Microsoft' },
      { entity_group: 'LOC', score: expect.closeTo(0.6, 6), start: 21, end: 26, word: 'Paris' },
    ]);
  });

  it('max: a word takes the label of its most confident piece', () => {
    expect(run('max')).toEqual([
      { entity_group: 'LOC', score: expect.closeTo(0.8, 6), start: 0, end: 9, word: 'Microsoft' },
      { entity_group: 'LOC', score: expect.closeTo(0.6, 6), start: 21, end: 26, word: 'Paris' },
    ]);
  });

  it('average: a word takes the argmax of its pieces’ mean probabilities', () => {
    // mean of micro and ##soft = [0.075, 0.375, 0.075, 0.425, 0.05] → B-LOC 0.425
    expect(run('average')).toEqual([
      { entity_group: 'LOC', score: expect.closeTo(0.425, 6), start: 0, end: 9, word: 'Microsoft' },
      { entity_group: 'LOC', score: expect.closeTo(0.6, 6), start: 21, end: 26, word: 'Paris' },
    ]);
  });

  it('groups B- then I- of one tag, starts anew at B- or a new tag, scores averaged', () => {
    const groups = groupEntities([
      { entity: 'B-PER', score: 0.9, start: 0, end: 4 },
      { entity: 'I-PER', score: 0.7, start: 5, end: 9 },
      { entity: 'B-PER', score: 0.6, start: 10, end: 12 },
      { entity: 'I-ORG', score: 0.5, start: 13, end: 15 },
      { entity: 'MISC', score: 0.4, start: 16, end: 17 },
      { entity: 'MISC', score: 0.2, start: 18, end: 19 },
    ]);
    expect(groups).toEqual([
      { entity_group: 'PER', score: expect.closeTo(0.8, 12), start: 0, end: 9 },
      { entity_group: 'PER', score: 0.6, start: 10, end: 12 },
      { entity_group: 'ORG', score: 0.5, start: 13, end: 15 },
      { entity_group: 'MISC', score: expect.closeTo(0.3, 12), start: 16, end: 19 },
    ]);
  });

  it('ignore_labels drops whole groups by tag', () => {
    const pre = gatherPreEntities(text, window, logits, 5, opts);
    const out = aggregateWindow(pre, { aggregation: 'simple', ignoreLabels: ['O', 'LOC'], labels });
    expect(out.map((e) => e.entity_group)).toEqual(['ORG']);
  });

  it('merges windows as HF: overlapping entities keep the longer, then the higher score', () => {
    const merged = mergeOverlapping([
      { start: 0, end: 5, score: 0.5 },
      { start: 0, end: 5, score: 0.9 },
      { start: 3, end: 10, score: 0.1 },
      { start: 12, end: 14, score: 0.3 },
    ]);
    expect(merged).toEqual([
      { start: 3, end: 10, score: 0.1 },
      { start: 12, end: 14, score: 0.3 },
    ]);
  });

  it('a token seen by two windows is reported once, with global indices', () => {
    // Second window repeats "paris" (the overlap) with a lower score; indexBase shifts its index.
    const second: NerWindowTokens = {
      ids: [101, 1999, 3000, 102],
      tokens: ['[CLS]', 'in', 'paris', '[SEP]'],
      offsets: [
        [0, 0],
        [18, 20],
        [21, 26],
        [0, 0],
      ],
      specialTokensMask: [1, 0, 0, 1],
    };
    const secondLogits = Float32Array.from([probs[0], probs[4], [0.3, 0.1, 0.1, 0.4, 0.1], probs[6]].flat().map(Math.log));
    const out = postprocessNer(
      text,
      [
        { tokens: window, logits, indexBase: 0 },
        { tokens: second, logits: secondLogits, indexBase: 3 },
      ],
      5,
      { ...opts, aggregation: 'none' },
    );
    expect(out.map((e) => [e.word, e.index, Number(e.score.toFixed(6))])).toEqual([
      ['Micro', 1, 0.7],
      ['soft', 2, 0.8],
      ['Paris', 5, 0.6],
    ]);
  });

  it('slices words by code points (offsets count code points, not UTF-16 units)', () => {
    const emojiText = '😀 Paris';
    const w: NerWindowTokens = {
      ids: [101, 100, 3000, 102],
      tokens: ['[CLS]', '[UNK]', 'paris', '[SEP]'],
      offsets: [
        [0, 0],
        [0, 1],
        [2, 7],
        [0, 0],
      ],
      specialTokensMask: [1, 0, 0, 1],
    };
    const l = Float32Array.from([probs[0], probs[3], probs[5], probs[6]].flat().map(Math.log));
    const out = postprocessNer(emojiText, [{ tokens: w, logits: l, indexBase: 0 }], 5, { ...opts, aggregation: 'simple' });
    expect(out).toEqual([{ entity_group: 'LOC', score: expect.closeTo(0.6, 6), start: 2, end: 7, word: 'Paris' }]);
  });

  describe('SentencePiece-style (Metaspace) tokens: the ▁ marks each word start', () => {
    // "Mr  Zola 1848": "▁mr", a doubled space's lone "▁", "▁zo" "la", a lone "▁" then "1848",
    // offsets as the Rust library reports them (a word-start piece covers the space before it).
    const sp = 'Mr  Zola 1848';
    const spWindow: NerWindowTokens = {
      ids: [2, 10, 5, 11, 1, 5, 12, 3],
      tokens: ['[CLS]', '▁mr', '▁', '▁zo', 'la', '▁', '1848', '[SEP]'],
      offsets: [
        [0, 0],
        [0, 2],
        [2, 3],
        [3, 6],
        [6, 8],
        [8, 9],
        [9, 13],
        [0, 0],
      ],
      specialTokensMask: [1, 0, 0, 0, 0, 0, 0, 1],
    };
    // Every piece B-LOC except "la", I-LOC and an <unk> (id 1) inside its word.
    const row = (k: number): number[] => labels.map((_, j) => (j === k ? 0.6 : 0.1));
    const spLogits = Float32Array.from([row(0), row(3), row(3), row(3), row(4), row(3), row(3), row(0)].flat().map(Math.log));
    const spOpts = { labels, ignoreLabels: ['O'], unkId: 1, wordStartMark: '▁' };

    it('pieces that cover only a space hand their word start on; an <unk> piece is not a word start by itself', () => {
      const pre = gatherPreEntities(sp, spWindow, spLogits, 5, spOpts);
      expect(pre.map((p) => [p.start, p.end, p.isSubword])).toEqual([
        [0, 2, false],
        [3, 6, false],
        [6, 8, true],
        [9, 13, false],
      ]);
    });

    it('entities start on the word, not on the space its ▁ stands for', () => {
      const out = postprocessNer(sp, [{ tokens: spWindow, logits: spLogits, indexBase: 0 }], labels.length, {
        ...spOpts,
        aggregation: 'first',
      });
      expect(out.map((e) => [e.word, e.start, e.end])).toEqual([
        ['Mr', 0, 2],
        ['Zola', 4, 8],
        ['1848', 9, 13],
      ]);
      for (const e of out) expect(Array.from(sp).slice(e.start, e.end).join('')).toBe(e.word);
    });
  });
});
