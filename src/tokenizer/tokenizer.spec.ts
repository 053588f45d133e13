/**
 * Unit tests on the tokenizer the project ships (assets/tiny-tokenizer), checked against an
 * independent greedy WordPiece over its vocab.txt. The hf-tiny reference checks live in
 * test/integration/tokenizer-fixtures.test.ts.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FormatError } from '../engine/errors';
import { InputTooLongError } from '../errors/domain-error';
import { BerthTokenizer, codePointToUtf16, specialTokenNames } from './tokenizer';

const ASSET_DIR = resolve(__dirname, '..', '..', 'assets', 'tiny-tokenizer');
const TOKENIZER_JSON = join(ASSET_DIR, 'tokenizer.json');
const vocabulary = readFileSync(join(ASSET_DIR, 'vocab.txt'), 'utf8').split('\n').slice(0, -1);
const idOf = new Map(vocabulary.map((token, id) => [token, id]));

/**
 * Reference WordPiece for plain ASCII text: lowercase, split on whitespace, isolate ASCII
 * punctuation, then greedy longest-match-first with `##` continuation pieces.
 */
function referenceWordPiece(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+|[!-/:-@[-`{-~]/g) ?? [];
  const pieces: string[] = [];
  for (const word of words) {
    const wordPieces: string[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let piece: string | undefined;
      while (end > start) {
        const candidate = (start === 0 ? '' : '##') + word.slice(start, end);
        if (idOf.has(candidate)) {
          piece = candidate;
          break;
        }
        end--;
      }
      if (!piece) {
        wordPieces.length = 0;
        wordPieces.push('[UNK]');
        break;
      }
      wordPieces.push(piece);
      start = end;
    }
    pieces.push(...wordPieces);
  }
  return pieces;
}

describe('BerthTokenizer on the shipped tiny tokenizer', () => {
  let tokenizer: BerthTokenizer;
  let scratch: string;
  beforeAll(async () => {
    tokenizer = await BerthTokenizer.fromFile(TOKENIZER_JSON);
    scratch = mkdtempSync(join(tmpdir(), 'berth-tokenizer-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  describe('the asset', () => {
    it('has the specials at 0..4 and agrees with vocab.txt id for id', () => {
      expect(vocabulary.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
      expect(tokenizer.specialIds).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
      expect(tokenizer.vocabSize).toBe(vocabulary.length);
      expect(vocabulary.length).toBeGreaterThanOrEqual(2000);
      expect(vocabulary.length).toBeLessThanOrEqual(4000);
      expect(new Set(vocabulary).size).toBe(vocabulary.length);
      vocabulary.forEach((token, id) => {
        expect(tokenizer.idToToken(id)).toBe(token);
        expect(tokenizer.tokenToId(token)).toBe(id);
      });
    });

    it('covers every lowercase ASCII letter and digit, alone and as a continuation', () => {
      for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789') {
        expect(idOf.has(c)).toBe(true);
        expect(idOf.has(`##${c}`)).toBe(true);
      }
    });

    it('has the config files make-tiny copies', () => {
      const config = JSON.parse(readFileSync(join(ASSET_DIR, 'tokenizer_config.json'), 'utf8'));
      expect(config).toMatchObject({
        do_lower_case: true,
        model_max_length: 512,
        tokenizer_class: 'BertTokenizer',
        cls_token: '[CLS]',
        mask_token: '[MASK]',
      });
      const map = JSON.parse(readFileSync(join(ASSET_DIR, 'special_tokens_map.json'), 'utf8'));
      expect(map).toEqual({ cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' });
    });
  });

  describe('encoding', () => {
    it.each([
      'The service was terrible and the food arrived cold.',
      'Engineers in Reykjavik unveiled an unbelievably quiet zebrafish aquarium!',
      'How many kilometres separate Lisbon from Warsaw?',
      'Quixotic juxtapositions: 42 wombats, 7 xylophones.',
    ])('matches a greedy WordPiece over vocab.txt: %s', async (text) => {
      const [encoded] = await tokenizer.encode(text);
      expect(encoded.tokens).toEqual(['[CLS]', ...referenceWordPiece(text), '[SEP]']);
      expect(encoded.ids).toEqual(encoded.tokens.map((t) => idOf.get(t)));
      expect(encoded.typeIds.every((t) => t === 0)).toBe(true);
      expect(encoded.attentionMask.every((m) => m === 1)).toBe(true);
      expect(encoded.specialTokensMask).toEqual(encoded.tokens.map((_, i) => (i === 0 || i === encoded.tokens.length - 1 ? 1 : 0)));
      // Offsets slice the text to each piece (ASCII text: code points are string indices).
      encoded.tokens.forEach((token, i) => {
        if (token === '[CLS]' || token === '[SEP]' || token === '[UNK]') return;
        const [start, end] = encoded.offsets[i];
        expect(text.slice(start, end).toLowerCase()).toBe(token.replace(/^##/, ''));
      });
    });

    it('lowercases and strips accents; special tokens in the raw text stay whole', async () => {
      const [accented] = await tokenizer.encode('CAFÉ Zürich');
      const [plain] = await tokenizer.encode('cafe zurich');
      expect(accented.ids).toEqual(plain.ids);
      const [masked] = await tokenizer.encode('the [MASK] is here');
      expect(masked.ids).toContain(4);
      expect(masked.tokens.filter((t) => t === '[MASK]')).toHaveLength(1);
    });

    it('pairs follow the template [CLS] A [SEP] B [SEP] with type ids 0 then 1', async () => {
      const [pair] = await tokenizer.encode('good food', 'bad service');
      const a = referenceWordPiece('good food');
      const b = referenceWordPiece('bad service');
      expect(pair.tokens).toEqual(['[CLS]', ...a, '[SEP]', ...b, '[SEP]']);
      expect(pair.typeIds).toEqual([...Array(a.length + 2).fill(0), ...Array(b.length + 1).fill(1)]);
      expect(pair.sequenceIds).toEqual([null, ...a.map(() => 0), null, ...b.map(() => 1), null]);
      expect(tokenizer.numSpecialTokens(false)).toBe(2);
      expect(tokenizer.numSpecialTokens(true)).toBe(3);
    });

    it('addSpecialTokens false leaves the template out', async () => {
      const [bare] = await tokenizer.encode('good food', undefined, { addSpecialTokens: false });
      expect(bare.tokens).toEqual(referenceWordPiece('good food'));
    });

    it('a batch gives what each input gives alone, in order, singles and pairs mixed', async () => {
      const inputs: Array<string | [string, string]> = [
        'The train was clean.',
        ['Where is the station?', 'The station is next to the old bridge.'],
        '',
        ['', ''],
        'A charming little bookshop, with a cat asleep in the window.',
      ];
      const batch = await tokenizer.encodeBatch(inputs);
      const alone = await Promise.all(
        inputs.map((input) => (typeof input === 'string' ? tokenizer.encode(input) : tokenizer.encode(input[0], input[1]))),
      );
      expect(batch).toEqual(alone);
      expect(batch[2][0].tokens).toEqual(['[CLS]', '[SEP]']);
      expect(batch[3][0].tokens).toEqual(['[CLS]', '[SEP]', '[SEP]']);
    });

    it('concurrent calls with different truncation settings each get their own', async () => {
      const text = 'one two three four five six seven eight nine ten eleven twelve';
      const full = referenceWordPiece(text).length + 2;
      const [short, medium, whole, again] = await Promise.all([
        tokenizer.encode(text, undefined, { maxLength: 5 }),
        tokenizer.encode(text, undefined, { maxLength: 9 }),
        tokenizer.encode(text, undefined, { truncation: false }),
        tokenizer.encode(text, undefined, { maxLength: 5 }),
      ]);
      expect(short[0].ids).toHaveLength(5);
      expect(medium[0].ids).toHaveLength(9);
      expect(whole[0].ids).toHaveLength(full);
      expect(again).toEqual(short);
    });

    it('many different settings (more than are cached) all stay correct', async () => {
      const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen';
      const full = referenceWordPiece(text).length + 2;
      const lengths = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 5, 6];
      const results = await Promise.all(lengths.map((maxLength) => tokenizer.encode(text, undefined, { maxLength })));
      results.forEach(([main], i) => expect(main.ids).toHaveLength(Math.min(lengths[i], full)));
      for (const maxLength of lengths) {
        const [main] = await tokenizer.encode(text, undefined, { maxLength });
        expect(main.ids).toHaveLength(Math.min(maxLength, full));
      }
    });

    it('ignores truncation and padding switched on inside tokenizer.json', async () => {
      const json = JSON.parse(readFileSync(TOKENIZER_JSON, 'utf8'));
      json.truncation = { direction: 'Right', max_length: 4, strategy: 'LongestFirst', stride: 0 };
      json.padding = {
        strategy: { Fixed: 32 },
        direction: 'Right',
        pad_to_multiple_of: null,
        pad_id: 0,
        pad_type_id: 0,
        pad_token: '[PAD]',
      };
      const file = join(scratch, 'preset.json');
      writeFileSync(file, JSON.stringify(json));
      const preset = await BerthTokenizer.fromFile(file);
      expect(preset.maxLength).toBe(4);
      const [encoded] = await preset.encode('good food and bad service', undefined, { truncation: false });
      expect(encoded.tokens).toEqual(['[CLS]', ...referenceWordPiece('good food and bad service'), '[SEP]']);
      const [truncated] = await preset.encode('good food and bad service');
      expect(truncated.ids).toHaveLength(4);
      expect(truncated.attentionMask).toEqual([1, 1, 1, 1]);
    });

    it('a pair that cannot fit (only_second with a long first text) is an InputTooLongError', async () => {
      const question = 'one two three four five six seven eight nine ten';
      await expect(tokenizer.encode(question, 'short answer', { maxLength: 8, truncation: 'only_second' })).rejects.toBeInstanceOf(
        InputTooLongError,
      );
    });

    it('refuses overflow windows of a pair under longest_first, and a stride that leaves no progress', async () => {
      await expect(tokenizer.encode('a b', 'c d', { returnOverflowing: true, maxLength: 8 })).rejects.toThrow(
        /only_first' or 'only_second/,
      );
      await expect(tokenizer.encode('a b c d e f', undefined, { maxLength: 6, stride: 4, returnOverflowing: true })).rejects.toThrow(
        /stride 4/,
      );
      await expect(tokenizer.encode('a', undefined, { maxLength: 2 })).rejects.toThrow(/no room/);
    });

    it('decode joins pieces and can drop the specials', async () => {
      const text = 'the coffee here is strong, smooth and never bitter.';
      const [encoded] = await tokenizer.encode(text);
      expect(await tokenizer.decode(encoded.ids, true)).toBe(text);
      expect(await tokenizer.decode(encoded.ids)).toBe(`[CLS] ${text} [SEP]`);
    });

    it('encodeWords: word ids index the given words, offsets are relative to each word', async () => {
      const words = ['Quixotic', 'zebrafish', 'visited', 'Reykjavik', '.'];
      const [encoded] = await tokenizer.encodeWords(words);
      const expectedWordIds: Array<number | null> = [null];
      const expectedTokens = ['[CLS]'];
      words.forEach((word, w) => {
        for (const piece of referenceWordPiece(word)) {
          expectedTokens.push(piece);
          expectedWordIds.push(w);
        }
      });
      expect(encoded.tokens).toEqual([...expectedTokens, '[SEP]']);
      expect(encoded.wordIds).toEqual([...expectedWordIds, null]);
      encoded.tokens.forEach((token, i) => {
        const w = encoded.wordIds[i];
        if (w === null) return;
        const [start, end] = encoded.offsets[i];
        expect(words[w].slice(start, end).toLowerCase()).toBe(token.replace(/^##/, ''));
      });
    });

    it('encodeWords: a word the pre-tokenizer splits keeps one word id; empty words vanish', async () => {
      const [encoded] = await tokenizer.encodeWords(['e-mail', '', 'now']);
      expect(encoded.wordIds).toEqual([
        null,
        ...referenceWordPiece('e-mail').map(() => 0),
        ...referenceWordPiece('now').map(() => 2),
        null,
      ]);
      const [none] = await tokenizer.encodeWords([]);
      expect(none.tokens).toEqual(['[CLS]', '[SEP]']);
    });

    it('encodeWords without special tokens still tags every piece with its word', async () => {
      const words = ['zebrafish', 'aquarium'];
      const [bare] = await tokenizer.encodeWords(words, { addSpecialTokens: false });
      const expected = words.flatMap((word, w) => referenceWordPiece(word).map(() => w));
      expect(bare.tokens).toEqual(words.flatMap(referenceWordPiece));
      expect(bare.wordIds).toEqual(expected);
    });
  });

  describe('loading', () => {
    async function loadError(fn: () => Promise<unknown>): Promise<FormatError> {
      let caught: unknown;
      try {
        await fn();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(FormatError);
      return caught as FormatError;
    }

    it('missing tokenizer.json', async () => {
      const file = join(scratch, 'absent', 'tokenizer.json');
      const error = await loadError(() => BerthTokenizer.fromFile(file));
      expect(error.message).toBe(`${file}: file not found`);
    });

    it('tokenizer.json that is not JSON', async () => {
      const file = join(scratch, 'broken.json');
      writeFileSync(file, '{"version": "1.0", "model": {');
      const error = await loadError(() => BerthTokenizer.fromFile(file));
      expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    });

    it('JSON that is not a tokenizer', async () => {
      const file = join(scratch, 'other.json');
      writeFileSync(file, '{"hello": "world"}');
      const error = await loadError(() => BerthTokenizer.fromFile(file));
      expect(error.problem).toMatch(/not a valid tokenizer file/);
    });

    it('a vocabulary without the special tokens', async () => {
      const json = JSON.parse(readFileSync(TOKENIZER_JSON, 'utf8'));
      delete json.model.vocab['[SEP]'];
      json.added_tokens = json.added_tokens.filter((t: { content: string }) => t.content !== '[SEP]');
      json.post_processor = null;
      const file = join(scratch, 'no-sep.json');
      writeFileSync(file, JSON.stringify(json));
      const error = await loadError(() => BerthTokenizer.fromFile(file));
      expect(error.problem).toMatch(/no sep token/);
    });

    it('fromModelDir caps maxLength by max_position_embeddings, minus 2 for RoBERTa, and ignores the "unknown" model_max_length', async () => {
      const dir = join(scratch, 'model');
      mkdirSync(dir);
      copyFileSync(TOKENIZER_JSON, join(dir, 'tokenizer.json'));
      const config = {
        model_type: 'bert',
        vocab_size: vocabulary.length,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 64,
      };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1e30 }));
      expect((await BerthTokenizer.fromModelDir(dir)).maxLength).toBe(64);

      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'roberta', max_position_embeddings: 514 }));
      expect((await BerthTokenizer.fromModelDir(dir)).maxLength).toBe(512);

      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 32 }));
      expect((await BerthTokenizer.fromModelDir(dir)).maxLength).toBe(32);
    });

    it('fromModelDir takes special-token names from special_tokens_map.json', async () => {
      const dir = join(scratch, 'renamed');
      mkdirSync(dir);
      copyFileSync(TOKENIZER_JSON, join(dir, 'tokenizer.json'));
      const config = {
        model_type: 'bert',
        vocab_size: vocabulary.length,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
      };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      // An AddedToken-style entry naming an ordinary token as the mask.
      writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ mask_token: { content: 'the', lstrip: true } }));
      const renamed = await BerthTokenizer.fromModelDir(dir);
      expect(renamed.specialIds.mask).toBe(idOf.get('the'));
      expect(renamed.specialIds.cls).toBe(2);
    });

    it('special-token names: special_tokens_map.json, else tokenizer_config.json, else what tokenizer.json names', () => {
      const dir = join(scratch, 'names');
      mkdirSync(dir);
      // A tokenizer whose [CLS] is called [BOS]: only its template says it is the cls token.
      const tokenizerFile = join(dir, 'tokenizer.json');
      writeFileSync(tokenizerFile, readFileSync(TOKENIZER_JSON, 'utf8').split('"[CLS]"').join('"[BOS]"'));
      expect(specialTokenNames({ tokenizerFile })).toEqual({ cls: '[BOS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]', unk: '[UNK]' });
      const tokenizerConfigFile = join(dir, 'tokenizer_config.json');
      writeFileSync(tokenizerConfigFile, JSON.stringify({ pad_token: 'the', unk_token: { content: 'a' } }));
      expect(specialTokenNames({ tokenizerFile, tokenizerConfigFile })).toEqual({
        cls: '[BOS]',
        sep: '[SEP]',
        pad: 'the',
        mask: '[MASK]',
        unk: 'a',
      });
      const specialTokensMapFile = join(dir, 'special_tokens_map.json');
      writeFileSync(specialTokensMapFile, JSON.stringify({ pad_token: '[PAD]' }));
      expect(specialTokenNames({ tokenizerFile, tokenizerConfigFile, specialTokensMapFile })).toEqual({
        cls: '[BOS]',
        sep: '[SEP]',
        pad: '[PAD]',
        mask: '[MASK]',
        unk: 'a',
      });
    });

    it('fromModelDir without special_tokens_map.json or tokenizer_config.json reads the roles from tokenizer.json', async () => {
      const dir = join(scratch, 'bos');
      mkdirSync(dir);
      writeFileSync(join(dir, 'tokenizer.json'), readFileSync(TOKENIZER_JSON, 'utf8').split('"[CLS]"').join('"[BOS]"'));
      const config = {
        model_type: 'bert',
        vocab_size: vocabulary.length,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
      };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      const loaded = await BerthTokenizer.fromModelDir(dir);
      expect(loaded.specialIds).toEqual({
        cls: idOf.get('[CLS]'),
        sep: idOf.get('[SEP]'),
        pad: idOf.get('[PAD]'),
        mask: idOf.get('[MASK]'),
        unk: idOf.get('[UNK]'),
      });
      expect(loaded.idToToken(loaded.specialIds.cls)).toBe('[BOS]');
    });

    it('fromFile takes modelMaxLength', async () => {
      expect((await BerthTokenizer.fromFile(TOKENIZER_JSON, { modelMaxLength: 100 })).maxLength).toBe(100);
      expect(tokenizer.maxLength).toBe(512);
    });
  });
});

describe('BerthTokenizer on a byte-level BPE (RoBERTa-style) tokenizer', () => {
  // A hand-made vocabulary: merges build "hello" and "world", with and without the "Ġ" space mark.
  const vocab = ['<s>', '<pad>', '</s>', '<unk>', '<mask>', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'Ġ'];
  const merges = ['h e', 'l l', 'll o', 'he llo', 'Ġ hello', 'w o', 'wo r', 'wor l', 'worl d', 'Ġ world'];
  for (const merge of merges) vocab.push(merge.replace(' ', ''));
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: content === '<mask>',
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].map((t, i) => special(t, i)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      merges,
    },
  };
  let tokenizer: BerthTokenizer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-bpe-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    tokenizer = await BerthTokenizer.fromFile(join(dir, 'tokenizer.json'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the RoBERTa specials and its pair template (<s> A </s></s> B </s>)', async () => {
    expect(tokenizer.specialIds).toEqual({ cls: 0, pad: 1, sep: 2, unk: 3, mask: 4 });
    expect(tokenizer.numSpecialTokens(false)).toBe(2);
    expect(tokenizer.numSpecialTokens(true)).toBe(4);
    const [pair] = await tokenizer.encode('hello', 'world');
    expect(pair.tokens).toEqual(['<s>', 'hello', '</s>', '</s>', 'world', '</s>']);
  });

  it('names its specials from tokenizer.json alone: RobertaProcessing, the model unk_token, the added tokens', () => {
    expect(specialTokenNames({ tokenizerFile: join(dir, 'tokenizer.json') })).toEqual({
      cls: '<s>',
      sep: '</s>',
      pad: '<pad>',
      mask: '<mask>',
      unk: '<unk>',
    });
  });

  it('a text marks only the second word with a space; pre-split words each get one, as HF with add_prefix_space', async () => {
    const [text] = await tokenizer.encode('hello world');
    expect(text.tokens).toEqual(['<s>', 'hello', 'Ġworld', '</s>']);
    const [words] = await tokenizer.encodeWords(['hello', 'world']);
    expect(words.tokens).toEqual(['<s>', 'Ġhello', 'Ġworld', '</s>']);
    expect(words.wordIds).toEqual([null, 0, 1, null]);
    expect(words.offsets).toEqual([
      [0, 0],
      [0, 5],
      [0, 5],
      [0, 0],
    ]);
    // The text path is unaffected by the words path having run.
    const [again] = await tokenizer.encode('hello world');
    expect(again).toEqual(text);
  });
});

describe('codePointToUtf16', () => {
  it('maps code points to string indices across surrogate pairs (hand-computed)', () => {
    // "a😀b👍🏽c": a=U+0061, 😀=U+1F600 (2 units), b, 👍=U+1F44D (2), 🏽=U+1F3FD (2), c.
    const text = 'a😀b👍🏽c';
    const toUtf16 = codePointToUtf16(text);
    expect([0, 1, 2, 3, 4, 5, 6].map(toUtf16)).toEqual([0, 1, 3, 4, 6, 8, 9]);
    expect(toUtf16(99)).toBe(text.length);
  });

  it('slices HF code-point offsets back to the original emoji text', async () => {
    const tokenizer = await BerthTokenizer.fromFile(TOKENIZER_JSON);
    const text = 'I 😀 love café ☕ and 👍🏽 pizza!';
    const [encoded] = await tokenizer.encode(text);
    const toUtf16 = codePointToUtf16(text);
    const slices = encoded.offsets.slice(1, -1).map(([s, e]) => text.slice(toUtf16(s), toUtf16(e)));
    const words = ['I', '😀', 'love', 'café', '☕', 'and', '👍🏽', 'pizza', '!'];
    // Each slice is a whole word or a piece of one, in order: joined per word id they give the words back.
    const byWord = new Map<number, string>();
    encoded.wordIds.slice(1, -1).forEach((w, i) => byWord.set(w!, (byWord.get(w!) ?? '') + slices[i]));
    expect([...byWord.values()]).toEqual(words);
    // Without the mapping, JS indices drift after the first emoji.
    const naive = encoded.offsets.slice(1, -1).map(([s, e]) => text.slice(s, e));
    expect(naive).not.toEqual(slices);
  });

  it('handles lone surrogates as one code point each, like HF', () => {
    const toUtf16 = codePointToUtf16('a\ud800b');
    expect([0, 1, 2, 3].map(toUtf16)).toEqual([0, 1, 2, 3]);
  });
});
