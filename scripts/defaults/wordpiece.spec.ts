import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@anush008/tokenizers';
import { buildVocabulary, learnPieces, learnPiecesByRecounting, tokenizerFiles, WordCounter } from './wordpiece';

const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe('learnPieces', () => {
  it('merges the most frequent pair first (worked by hand)', () => {
    // hug ×10, pug ×5, pun ×12, bun ×4, hugs ×5. Pair counts: (##u ##g) 20 → "##ug"; then
    // (##u ##n) 16 → "##un"; (h ##ug) 15 → "hug"; (p ##un) 12 → "pun"; then (hug ##s) and
    // (p ##ug) tie at 5 and "hug ##s" < "p ##ug" → "hugs", "pug"; last (b ##un) 4 → "bun".
    const words = counts({ hug: 10, pug: 5, pun: 12, bun: 4, hugs: 5 });
    expect(learnPieces(words, 100)).toEqual(['##ug', '##un', 'hug', 'pun', 'hugs', 'pug', 'bun']);
    expect(learnPieces(words, 3)).toEqual(['##ug', '##un', 'hug']);
  });

  it('merges overlapping pairs left to right, as the plain algorithm does', () => {
    // a ##a ##a ##a: (##a ##a) 2 → a ##aa ##a; then "##aa ##a" < "a ##aa" on a tie → "##aaa"; then "aaaa".
    expect(learnPieces(counts({ aaaa: 1 }), 10)).toEqual(['##aa', '##aaa', 'aaaa']);
  });

  it('gives exactly the pieces of recounting every pair after every merge (seeded random corpus)', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const corpus = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const length = 1 + Math.floor(random() * 8);
      let word = '';
      for (let j = 0; j < length; j++) word += 'abcde#'[Math.floor(random() * 6)];
      corpus.set(word, (corpus.get(word) ?? 0) + 1 + Math.floor(random() * 20));
    }
    expect(learnPieces(corpus, 300)).toEqual(learnPiecesByRecounting(corpus, 300));
  });
});

describe('buildVocabulary and tokenizerFiles', () => {
  it('rebuilds the shipped tiny vocabulary byte for byte from its corpus', () => {
    const assets = join(__dirname, '..', '..', 'assets', 'tiny-tokenizer');
    const counter = new WordCounter();
    for (const line of readFileSync(join(assets, 'corpus.txt'), 'utf8').split('\n')) counter.add(line);
    const { tokens } = buildVocabulary(counter.counts, { vocabSize: 3000 });
    expect(tokenizerFiles(tokens, 512)['vocab.txt']).toBe(readFileSync(join(assets, 'vocab.txt'), 'utf8'));
    expect(tokenizerFiles(tokens, 512)['tokenizer.json']).toBe(readFileSync(join(assets, 'tokenizer.json'), 'utf8'));
  });

  it('leaves rare characters out and writes files the tokenizers library reads', async () => {
    const words = counts({ hug: 10, pug: 5, pun: 12, bun: 4, hugs: 5, ωmega: 1 });
    const vocabulary = buildVocabulary(words, { vocabSize: 5 + 2 * 68 + 4, minCharCount: 2 });
    expect(vocabulary.droppedCharacters).toEqual(['ω']);
    expect(vocabulary.tokens.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(vocabulary.tokens.slice(-4)).toEqual(['##ug', '##un', 'hug', 'pun']);
    const tokenizer = Tokenizer.fromString(tokenizerFiles(vocabulary.tokens, 512)['tokenizer.json']);
    const encoding = await tokenizer.encode('Hugs PUN pug Ωmega');
    expect(encoding.getTokens()).toEqual(['[CLS]', 'hug', '##s', 'pun', 'p', '##ug', '[UNK]', '[SEP]']);
  });

  it('cased: keeps capitals and accents, in the counts, the alphabet and the written tokenizer', async () => {
    const counter = new WordCounter({ cased: true });
    counter.add('Ada met ada in Zürich.');
    expect([...counter.counts.keys()].sort()).toEqual(['.', 'Ada', 'Zürich', 'ada', 'in', 'met']);
    const vocabulary = buildVocabulary(counter.counts, { vocabSize: 400, cased: true });
    expect(vocabulary.tokens).toEqual(expect.arrayContaining(['A', 'Z', '##A', 'Ada', 'ü']));
    const files = tokenizerFiles(vocabulary.tokens, 512, { cased: true });
    expect(JSON.parse(files['tokenizer_config.json']).do_lower_case).toBe(false);
    const encoding = await Tokenizer.fromString(files['tokenizer.json']).encode('Ada ADA ada');
    expect(encoding.getTokens()).toEqual(['[CLS]', 'Ada', 'A', '##D', '##A', 'ada', '[SEP]']);
    // The uncased counter folds the same text together.
    const uncased = new WordCounter();
    uncased.add('Ada met ada in Zürich.');
    expect(uncased.counts.get('ada')).toBe(2);
    expect(uncased.counts.has('zurich')).toBe(true);
  });
});
