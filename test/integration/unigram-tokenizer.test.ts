/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * SentencePiece-style tokenizers (Unigram model, Metaspace pre-tokenization, as ALBERT, XLNet and
 * T5 ship): a tokenizer.json trained by Hugging Face tokenizers on shared prose. The expected
 * values come from the text itself: each token's offsets slice back to its text, word starts are
 * the whitespace-delimited positions, and NER entities and QA answers served by a tiny model over
 * that tokenizer begin and end on those words.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncoderConfig, HeadKind, writeConfig } from '../../src/engine/formats/config';
import { writeSafetensors } from '../../src/engine/formats/safetensors';
import { initWeights } from '../../src/engine/init';
import { buildInferenceModel } from '../../src/engine/nn/bert';
import { writeModelFile } from '../../src/engine/onnx/encode';
import { ServingCore } from '../../src/serving/serving-core';
import { BerthTokenizer, TokenizedInput } from '../../src/tokenizer/tokenizer';
import { sharedDataRoot } from '../helpers/fixtures';
import { trainUnigramTokenizer } from '../support/unigram-tokenizer';
import { startTestCore } from '../helpers/test-core';

const TRAIN_TEXT = join(sharedDataRoot(), 'pretrain', 'gutenberg', 'gutenberg_en_000.txt');
/** Held-out prose (another shard) plus edge cases: doubled spaces, accents, digits, a leading space. */
const OTHER_TEXT = join(sharedDataRoot(), 'pretrain', 'gutenberg', 'gutenberg_en_005.txt');
const EDGE_CASES = [
  "Hello  world, it's John Smith in Zürich.",
  ' a leading space and a trailing one ',
  'naïve café in 1848, XVII. Señor Ødegaard',
  'Mr. Quaxxlebrook met   Wintersby at Thornfield-upon-Avon.',
];
const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];

/** Whitespace-delimited word starts of `text`, in code points. */
function wordStarts(codePoints: string[]): number[] {
  return codePoints.flatMap((c, i) => (/\S/u.test(c) && (i === 0 || /\s/u.test(codePoints[i - 1])) ? [i] : []));
}

/** Ends (exclusive) of the whitespace-delimited words. */
function wordEnds(codePoints: string[]): number[] {
  return codePoints.flatMap((c, i) => (/\S/u.test(c) && (i === codePoints.length - 1 || /\s/u.test(codePoints[i + 1])) ? [i + 1] : []));
}

/** Groups the content tokens of one sequence by word id. */
function words(encoding: TokenizedInput, sequence = 0): Map<number, number[]> {
  const byWord = new Map<number, number[]>();
  encoding.wordIds.forEach((w, t) => {
    if (w === null || encoding.sequenceIds[t] !== sequence) return;
    byWord.set(w, [...(byWord.get(w) ?? []), t]);
  });
  return byWord;
}

const haveData = existsSync(TRAIN_TEXT) && existsSync(OTHER_TEXT);
if (!haveData) console.warn(`skipping the Unigram tokenizer tests: no shared text at ${TRAIN_TEXT} (set BERTH_SHARED_DATA)`);
(haveData ? describe : describe.skip)('a Unigram/Metaspace tokenizer.json trained by HF tokenizers', () => {
  let root: string;
  let tokenizer: BerthTokenizer;
  let texts: string[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-unigram-'));
    writeFileSync(join(root, 'tokenizer.json'), trainUnigramTokenizer(TRAIN_TEXT));
    tokenizer = await BerthTokenizer.fromFile(join(root, 'tokenizer.json'));
    const prose = readFileSync(OTHER_TEXT, 'utf8')
      .split('\n')
      .filter((line) => line.length > 40 && line.length < 400)
      .slice(0, 200);
    texts = [...EDGE_CASES, ...prose];
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds the ALBERT-style special tokens', () => {
    expect(tokenizer.specialIds).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    expect(tokenizer.numSpecialTokens(false)).toBe(2);
  });

  it("every word's tokens, ▁ read as a space, are its slice of the text (normalized as the tokenizer does)", async () => {
    let checked = 0;
    for (const text of texts) {
      const [encoding] = await tokenizer.encode(text);
      const codePoints = Array.from(text);
      for (const tokens of words(encoding).values()) {
        const pieces = tokens.map((t) => encoding.tokens[t]).join('');
        const [start] = encoding.offsets[tokens[0]];
        const end = encoding.offsets[tokens[tokens.length - 1]][1];
        const slice = codePoints.slice(start, end).join('').normalize('NFKD').toLowerCase();
        // The ▁ of the very first word is prepended, not taken from the text.
        expect(pieces.replace(/▁/g, ' ').trimStart()).toBe(slice.replace(/\s/g, ' ').trimStart());
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('word starts: a ▁ token starts each word, and the words start where the whitespace says', async () => {
    let loneMarks = 0;
    for (const text of texts) {
      const [encoding] = await tokenizer.encode(text);
      const codePoints = Array.from(text);
      const starts: number[] = [];
      for (const tokens of words(encoding).values()) {
        expect(tokens.map((t) => encoding.tokens[t].startsWith('▁'))).toEqual(tokens.map((_, i) => i === 0));
        if (encoding.tokens[tokens[0]] === '▁' && tokens.length > 1) loneMarks++;
        const [start] = encoding.offsets[tokens[0]];
        const end = encoding.offsets[tokens[tokens.length - 1]][1];
        // A word that is only a space (from doubled spaces) starts nothing.
        if (codePoints.slice(start, end).some((c) => /\S/u.test(c))) starts.push(start + (/\s/u.test(codePoints[start]) ? 1 : 0));
      }
      expect(starts).toEqual(wordStarts(codePoints));
    }
    // The case the space heuristic gets wrong is exercised: a lone "▁" piece before the word.
    expect(loneMarks).toBeGreaterThan(0);
  });

  it('pairs and pre-split words keep their sequence and word ids', async () => {
    const second = 'Mr. Quaxxlebrook met  Wintersby.';
    const [pair] = await tokenizer.encode('Who met Wintersby?', second);
    expect(pair.tokens[0]).toBe('[CLS]');
    // Words of the second text number from 0 again; the doubled space is a word of its own.
    expect([...words(pair, 1).keys()]).toEqual([0, 1, 2, 3, 4]);
    expect(wordStarts(Array.from(second))).toHaveLength(4);
    const [split] = await tokenizer.encodeWords(['Mr.', 'Quaxxlebrook', 'met']);
    const ids = split.wordIds.filter((w) => w !== null);
    expect([...new Set(ids)]).toEqual([0, 1, 2]);
  });

  describe('served by a tiny model over this tokenizer', () => {
    let core: ServingCore;

    /** A randomly initialised tiny BERT of the tokenizer's vocabulary size, as `berth init-model` builds one. */
    function tinyModel(dir: string, architecture: string, head: HeadKind, labels: string[]): void {
      mkdirSync(dir, { recursive: true });
      const config: EncoderConfig = {
        model_type: 'bert',
        architectures: [architecture],
        vocab_size: tokenizer.vocabSize,
        hidden_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 64,
        hidden_act: 'gelu',
        max_position_embeddings: 128,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        pad_token_id: tokenizer.specialIds.pad,
        hidden_dropout_prob: 0,
        attention_probs_dropout_prob: 0,
        id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
      } as EncoderConfig;
      const weights = initWeights(config, head, 7);
      writeConfig(join(dir, 'config.json'), config);
      writeSafetensors(join(dir, 'model.safetensors'), weights);
      writeModelFile(join(dir, 'model.onnx'), buildInferenceModel(config, weights, { head }));
      writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(root, 'tokenizer.json')));
    }

    beforeAll(async () => {
      tinyModel(join(root, 'models', 'unigram-ner'), 'BertForTokenClassification', 'token-classification', LABELS);
      tinyModel(join(root, 'models', 'unigram-qa'), 'BertForQuestionAnswering', 'question-answering', ['LABEL_0', 'LABEL_1']);
      core = await startTestCore(root);
    });
    afterAll(async () => {
      await core?.close();
    });

    it.each(['first', 'average', 'max'] as const)('NER aggregation %s: entities are whole words of the text', async (strategy) => {
      const inputs = texts.slice(0, 24).map((t) => t.slice(0, 300));
      const served = await core.ner('unigram-ner', inputs, { aggregation_strategy: strategy, ignore_labels: [] });
      let entities = 0;
      served.result.forEach((list, i) => {
        const codePoints = Array.from(inputs[i]);
        const starts = new Set(wordStarts(codePoints));
        const ends = new Set(wordEnds(codePoints));
        for (const e of list) {
          expect(e.word).toBe(codePoints.slice(e.start, e.end).join(''));
          expect(starts.has(e.start)).toBe(true);
          expect(ends.has(e.end)).toBe(true);
          entities++;
        }
      });
      expect(entities).toBeGreaterThan(50);
    });

    it('QA answers are whole words of the context, sliced from it', async () => {
      const contexts = texts.slice(4, 20);
      const served = await core.qa(
        'unigram-qa',
        contexts.map((context) => ({ question: 'Who was there?', context })),
        { top_k: 5 },
      );
      served.result.forEach((answers, i) => {
        const codePoints = Array.from(contexts[i]);
        const starts = new Set(wordStarts(codePoints));
        const ends = new Set(wordEnds(codePoints));
        for (const a of answers) {
          expect(a.answer).toBe(codePoints.slice(a.start, a.end).join(''));
          expect(starts.has(a.start)).toBe(true);
          expect(ends.has(a.end)).toBe(true);
        }
      });
    });
  });
});
