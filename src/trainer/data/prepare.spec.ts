import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { describeWithFixtures, hfTinyDir } from '../../../test/helpers/fixtures';
import { Rng } from '../random';
import { prepareClassification } from './classification';
import { DatasetError } from './errors';
import { IGNORE_INDEX } from './features';
import { maskRows, prepareMlm } from './mlm';
import { predictedWordTags, predictionsPerWord, prepareTokenClassification } from './ner';

const NER_LABELS = { O: 0, 'B-PER': 1, 'I-PER': 2, 'B-ORG': 3, 'I-ORG': 4, 'B-LOC': 5, 'I-LOC': 6, 'B-MISC': 7, 'I-MISC': 8 };

describeWithFixtures('data preparation on the bert-base-uncased tokenizer', () => {
  let tokenizer: BerthTokenizer;
  beforeAll(async () => {
    tokenizer = await BerthTokenizer.fromModelDir(hfTinyDir('bert-seqcls'));
  });

  describe('classification', () => {
    const label2id = { negative: 0, neutral: 1, positive: 2 };

    it('encodes pairs with type ids 1 on the second sentence', async () => {
      const { features } = await prepareClassification([{ text: 'a b', textPair: 'c', label: 'neutral', line: 2 }], tokenizer, {
        maxLength: 16,
        label2id,
        file: 'f',
      });
      // [CLS] a b [SEP] c [SEP]
      expect(features[0]).toEqual({ inputIds: [101, 1037, 1038, 102, 1039, 102], tokenTypeIds: [0, 0, 0, 0, 1, 1], label: 1, example: 0 });
    });

    it('truncates to maxLength and reports how many rows were cut, with lengths before truncation', async () => {
      const prepared = await prepareClassification(
        [
          { text: 'one two three four five six', label: 'positive', line: 2 },
          { text: 'short', label: 'negative', line: 3 },
        ],
        tokenizer,
        { maxLength: 5, label2id, file: 'f' },
      );
      expect(prepared.truncated).toBe(1);
      expect(prepared.features[0].inputIds).toEqual([101, 2028, 2048, 2093, 102]);
      expect(prepared.lengths).toMatchObject({ count: 2, max: 8 });
    });

    it('fails on an unknown label before tokenizing, naming its line', async () => {
      const run = prepareClassification([{ text: 'x', label: 'great', line: 7 }], tokenizer, { maxLength: 8, label2id, file: 'val.csv' });
      await expect(run).rejects.toThrow(DatasetError);
      await expect(run).rejects.toThrow(/^val\.csv: line 7, field "label": unknown label "great"/);
    });
  });

  describe('token classification', () => {
    const example = { tokens: ['Novartis', 'in', 'Ouagadougou'], tags: ['B-ORG', 'O', 'B-LOC'], line: 1 };

    it('labels continuation pieces with I-X, or ignores them when labelAllTokens is off', async () => {
      // nova ##rti ##s in ou ##aga ##dou ##go ##u (fixtures README table).
      const all = await prepareTokenClassification([example], tokenizer, { maxLength: 32, label2id: NER_LABELS, file: 'f' });
      expect(all.features[0].labels).toEqual([IGNORE_INDEX, 3, 4, 4, 0, 5, 6, 6, 6, 6, IGNORE_INDEX]);
      const first = await prepareTokenClassification([example], tokenizer, {
        maxLength: 32,
        label2id: NER_LABELS,
        file: 'f',
        labelAllTokens: false,
      });
      expect(first.features[0].labels).toEqual([IGNORE_INDEX, 3, IGNORE_INDEX, IGNORE_INDEX, 0, 5, ...Array(4).fill(IGNORE_INDEX), IGNORE_INDEX]);
      expect(first.features[0].firstTokenOfWord).toEqual([1, 4, 5]);
    });

    it('keeps B-X on continuation pieces when the model has no I-X', async () => {
      const { features } = await prepareTokenClassification([example], tokenizer, {
        maxLength: 32,
        label2id: { O: 0, 'B-ORG': 1, 'B-LOC': 2 },
        file: 'f',
      });
      expect(features[0].labels).toEqual([IGNORE_INDEX, 1, 1, 1, 0, 2, 2, 2, 2, 2, IGNORE_INDEX]);
    });

    it('maps token predictions back to words; words cut by truncation get null', async () => {
      const prepared = await prepareTokenClassification([example], tokenizer, { maxLength: 7, label2id: NER_LABELS, file: 'f' });
      expect(prepared.truncated).toBe(1);
      const feature = prepared.features[0];
      expect(feature.inputIds).toHaveLength(7);
      const predictions = feature.inputIds.map((_, t) => t * 10);
      expect(predictionsPerWord(feature, predictions)).toEqual([10, 40, 50]);
      const cut = await prepareTokenClassification([example], tokenizer, { maxLength: 5, label2id: NER_LABELS, file: 'f' });
      expect(predictionsPerWord(cut.features[0], [0, 1, 2, 3, 4])).toEqual([1, null, null]);
      const id2label = Object.keys(NER_LABELS);
      expect(predictedWordTags(cut.features[0], [0, 3, 4, 4, 0], id2label)).toEqual(['B-ORG', 'O', 'O']);
      expect(() => predictedWordTags(cut.features[0], [0, 9, 0, 0, 0], id2label)).toThrow(RangeError);
    });

    it('fails on a tag the model does not have', async () => {
      const run = prepareTokenClassification([{ tokens: ['x'], tags: ['B-DATE'], line: 4 }], tokenizer, {
        maxLength: 8,
        label2id: NER_LABELS,
        file: 'ner.conll',
      });
      await expect(run).rejects.toThrow(/^ner\.conll: line 4: unknown tag "B-DATE"/);
    });
  });

  describe('masked language modelling', () => {
    it('masks whole words across pieces and packs documents into blocks', async () => {
      const docs = ['Ouagadougou is extraordinarily far away.', 'Novartis met the United Nations.'];
      const packed = await prepareMlm(docs, tokenizer, { maxLength: 8, pack: true });
      expect(packed.features.every((f) => f.inputIds.length === 8)).toBe(true);
      // Block 0: [CLS] ou ##aga ##dou ##go ##u is extra. At 80%, the budget is round(0.8 · 7) = 6
      // pieces, so the 5-piece word 0 fits; it is labelled entirely or not at all.
      let wholeWordChosen = 0;
      for (let seed = 0; seed < 20; seed++) {
        const [masked] = maskRows(packed.features.slice(0, 1), new Rng(seed), {
          maskTokenId: tokenizer.specialIds.mask!,
          vocabSize: tokenizer.vocabSize,
          strategy: 'whole-word',
          probability: 0.8,
        });
        const pieces = masked.labels.slice(1, 6).map((l) => l !== IGNORE_INDEX);
        expect(new Set(pieces).size).toBe(1);
        if (pieces[0]) wholeWordChosen++;
        expect(masked.labels[0]).toBe(IGNORE_INDEX);
      }
      expect(wholeWordChosen).toBeGreaterThan(0);
    });

    it('line by line: one row per document, truncated with its final [SEP] kept', async () => {
      const prepared = await prepareMlm(['one two three four five'], tokenizer, { maxLength: 4 });
      expect(prepared.truncated).toBe(1);
      expect(prepared.features[0].inputIds).toEqual([101, 2028, 2048, 102]);
      expect(prepared.features[0].specialTokensMask).toEqual([1, 0, 0, 1]);
    });
  });
});
