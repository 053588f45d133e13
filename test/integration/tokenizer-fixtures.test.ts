/**
 * The tokenizer wrapper against the hf-tiny references: every example and every training row must
 * come out exactly as HF's fast tokenizer produced it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthTokenizer, TokenizedInput } from '../../src/tokenizer/tokenizer';
import { HF_TINY_MODELS, describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

interface ReferenceExample {
  text: string;
  text_pair?: string;
  tokens: string[];
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  word_ids: Array<number | null>;
  offsets: Array<[number, number]>;
}

interface TrainBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  labels?: number[][];
}

function readJson<T>(model: string, file: string): T {
  return JSON.parse(readFileSync(join(hfTinyDir(model), file), 'utf8')) as T;
}

/** The unpadded part of batch row `row`. */
function unpadded(batch: TrainBatch, row: number): { ids: number[]; typeIds: number[]; attentionMask: number[] } {
  const length = batch.attention_mask[row].reduce((n, m) => n + m, 0);
  return {
    ids: batch.input_ids[row].slice(0, length),
    typeIds: batch.token_type_ids[row].slice(0, length),
    attentionMask: batch.attention_mask[row].slice(0, length),
  };
}

function core(input: TokenizedInput): { ids: number[]; typeIds: number[]; attentionMask: number[] } {
  return { ids: input.ids, typeIds: input.typeIds, attentionMask: input.attentionMask };
}

describeWithFixtures('tokenizer against hf-tiny references', () => {
  const tokenizers = new Map<string, BerthTokenizer>();
  beforeAll(async () => {
    for (const model of HF_TINY_MODELS) tokenizers.set(model, await BerthTokenizer.fromModelDir(hfTinyDir(model)));
  });

  describe.each(HF_TINY_MODELS)('%s', (model) => {
    it('caps maxLength by max_position_embeddings (128), not model_max_length (512)', () => {
      const tokenizer = tokenizers.get(model)!;
      expect(tokenizer.maxLength).toBe(128);
      expect(tokenizer.vocabSize).toBe(30522);
      expect(tokenizer.specialIds).toEqual({ cls: 101, sep: 102, pad: 0, mask: 103, unk: 100 });
      expect(tokenizer.numSpecialTokens(false)).toBe(2);
      expect(tokenizer.numSpecialTokens(true)).toBe(3);
    });

    it('reproduces every reference.json example, one at a time', async () => {
      const tokenizer = tokenizers.get(model)!;
      const { examples } = readJson<{ examples: ReferenceExample[] }>(model, 'reference.json');
      expect(examples).toHaveLength(8);
      for (const example of examples) {
        const [encoded, ...windows] = await tokenizer.encode(example.text, example.text_pair);
        expect(windows).toHaveLength(0);
        expect(encoded.ids).toEqual(example.input_ids);
        expect(encoded.typeIds).toEqual(example.token_type_ids);
        expect(encoded.attentionMask).toEqual(example.attention_mask);
        expect(encoded.tokens).toEqual(example.tokens);
        expect(encoded.wordIds).toEqual(example.word_ids);
        expect(encoded.offsets).toEqual(example.offsets);
        const specials = example.word_ids.map((w) => (w === null ? 1 : 0));
        expect(encoded.specialTokensMask).toEqual(specials);
      }
    });

    it('reproduces every reference.json example in one batch, and the padded batch ids', async () => {
      const tokenizer = tokenizers.get(model)!;
      const { examples, batch } = readJson<{ examples: ReferenceExample[]; batch: TrainBatch }>(model, 'reference.json');
      const inputs = examples.map((e): string | [string, string] => (e.text_pair === undefined ? e.text : [e.text, e.text_pair]));
      const encoded = await tokenizer.encodeBatch(inputs);
      encoded.forEach(([main], i) => {
        expect(main.ids).toEqual(examples[i].input_ids);
        expect(main.offsets).toEqual(examples[i].offsets);
        expect(core(main)).toEqual(unpadded(batch, i));
      });
    });
  });

  it('bert-seqcls: training texts give the training batch rows', async () => {
    const { texts, batch } = readJson<{ texts: string[]; batch: TrainBatch }>('bert-seqcls', 'train_reference.json');
    const encoded = await tokenizers.get('bert-seqcls')!.encodeBatch(texts);
    expect(encoded).toHaveLength(4);
    encoded.forEach(([main], row) => expect(core(main)).toEqual(unpadded(batch, row)));
  });

  it('bert-ner: joined texts and pre-split words both give the training rows, with the same word ids', async () => {
    const tokenizer = tokenizers.get('bert-ner')!;
    const ref = readJson<{ texts: string[]; words: string[][]; tokens: string[][]; batch: TrainBatch }>('bert-ner', 'train_reference.json');
    const fromTexts = await tokenizer.encodeBatch(ref.texts);
    for (let row = 0; row < ref.words.length; row++) {
      const [fromWords] = await tokenizer.encodeWords(ref.words[row]);
      expect(core(fromWords)).toEqual(unpadded(ref.batch, row));
      expect(core(fromTexts[row][0])).toEqual(unpadded(ref.batch, row));
      expect(fromWords.wordIds).toEqual(fromTexts[row][0].wordIds);
      expect(fromWords.tokens.slice(1, -1)).toEqual(ref.tokens[row].filter((t) => t !== '[CLS]' && t !== '[SEP]'));
      // Offsets are relative to each word, as HF reports them for is_split_into_words.
      fromWords.offsets.forEach(([start, end], t) => {
        const word = fromWords.wordIds[t];
        if (word === null) return;
        expect(start).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(Array.from(ref.words[row][word]).length);
      });
    }
  });

  it('bert-ner: word offsets slice each word to its piece (Zürich → whole word, Ouagadougou → 5 pieces)', async () => {
    const [encoded] = await tokenizers.get('bert-ner')!.encodeWords(['Zürich', 'and', 'Ouagadougou']);
    expect(encoded.tokens).toEqual(['[CLS]', 'zurich', 'and', 'ou', '##aga', '##dou', '##go', '##u', '[SEP]']);
    expect(encoded.wordIds).toEqual([null, 0, 1, 2, 2, 2, 2, 2, null]);
    expect(encoded.offsets).toEqual([
      [0, 0],
      [0, 6],
      [0, 3],
      [0, 2],
      [2, 5],
      [5, 8],
      [8, 10],
      [10, 11],
      [0, 0],
    ]);
  });

  it('bert-qa: question/context pairs give the training rows', async () => {
    const { examples, batch } = readJson<{ examples: Array<{ question: string; context: string }>; batch: TrainBatch }>(
      'bert-qa',
      'train_reference.json',
    );
    const encoded = await tokenizers.get('bert-qa')!.encodeBatch(examples.map((e): [string, string] => [e.question, e.context]));
    encoded.forEach(([main], row) => expect(core(main)).toEqual(unpadded(batch, row)));
  });

  it('bert-mlm: the corpus gives the training rows at every unmasked position, and the labels at masked ones', async () => {
    const { texts, batch } = readJson<{ texts: string[]; batch: TrainBatch }>('bert-mlm', 'train_reference.json');
    const encoded = await tokenizers.get('bert-mlm')!.encodeBatch(texts);
    let labelled = 0;
    encoded.forEach(([main], row) => {
      const expected = unpadded(batch, row);
      expect(main.ids).toHaveLength(expected.ids.length);
      expect(main.typeIds).toEqual(expected.typeIds);
      main.ids.forEach((id, t) => {
        const label = batch.labels![row][t];
        if (label === -100) expect(id).toBe(expected.ids[t]);
        else {
          labelled++;
          expect(id).toBe(label);
        }
      });
    });
    expect(labelled).toBe(7);
  });

  describe('overflow windows (hand-computed with the bert-base-uncased vocab: each number word is one token)', () => {
    const numbers = 'one two three four five six seven eight nine ten eleven twelve';
    const words = numbers.split(' ');

    it('pair, only_second, maxLength 12, stride 2: 5 context tokens per window, step 3 → 4 windows', async () => {
      const windows = await tokenizers.get('bert-qa')!.encode('who is he?', numbers, {
        maxLength: 12,
        truncation: 'only_second',
        stride: 2,
        returnOverflowing: true,
      });
      // [CLS] who is he ? [SEP] = 6 tokens, + final [SEP] → 12 − 7 = 5 context tokens; starts 0, 3, 6, 9.
      const expected = [words.slice(0, 5), words.slice(3, 8), words.slice(6, 11), words.slice(9, 12)];
      expect(windows).toHaveLength(4);
      windows.forEach((window, k) => {
        expect(window.tokens).toEqual(['[CLS]', 'who', 'is', 'he', '?', '[SEP]', ...expected[k], '[SEP]']);
        expect(window.typeIds).toEqual([0, 0, 0, 0, 0, 0, ...expected[k].map(() => 1), 1]);
        expect(window.sequenceIds).toEqual([null, 0, 0, 0, 0, null, ...expected[k].map(() => 1), null]);
        // Offsets still index the full context, and word ids count words of the full context.
        const contextTokens = window.tokens.length - 7;
        for (let t = 0; t < contextTokens; t++) {
          const [start, end] = window.offsets[6 + t];
          expect(numbers.slice(start, end)).toBe(expected[k][t]);
          expect(window.wordIds[6 + t]).toBe(words.indexOf(expected[k][t]));
        }
      });
      // Consecutive windows share exactly `stride` tokens.
      expect(windows[0].tokens.slice(9, 11)).toEqual(windows[1].tokens.slice(6, 8));
    });

    it('single text, maxLength 8, stride 2: 6 tokens per window, step 4 → 3 windows', async () => {
      const windows = await tokenizers.get('bert-seqcls')!.encode(numbers, undefined, { maxLength: 8, stride: 2, returnOverflowing: true });
      expect(windows.map((w) => w.tokens)).toEqual([
        ['[CLS]', ...words.slice(0, 6), '[SEP]'],
        ['[CLS]', ...words.slice(4, 10), '[SEP]'],
        ['[CLS]', ...words.slice(8, 12), '[SEP]'],
      ]);
    });

    it('pre-split words, maxLength 6, stride 1: 4 tokens per window, step 3, word ids index the words', async () => {
      const windows = await tokenizers.get('bert-ner')!.encodeWords(words, { maxLength: 6, stride: 1, returnOverflowing: true });
      expect(windows.map((w) => w.wordIds)).toEqual([
        [null, 0, 1, 2, 3, null],
        [null, 3, 4, 5, 6, null],
        [null, 6, 7, 8, 9, null],
        [null, 9, 10, 11, null],
      ]);
      for (const window of windows) {
        window.wordIds.forEach((w, t) => {
          if (w !== null) expect(window.offsets[t]).toEqual([0, words[w].length]);
        });
      }
    });

    it('without returnOverflowing only the truncated main encoding comes back', async () => {
      const result = await tokenizers.get('bert-seqcls')!.encode(numbers, undefined, { maxLength: 8 });
      expect(result).toHaveLength(1);
      expect(result[0].tokens).toEqual(['[CLS]', ...words.slice(0, 6), '[SEP]']);
    });

    it('truncation false returns the whole text, longer than maxLength', async () => {
      const [result] = await tokenizers.get('bert-seqcls')!.encode(numbers, undefined, { maxLength: 8, truncation: false });
      expect(result.ids).toHaveLength(14);
    });
  });
});
