import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { EncoderConfig, familyOf, headOf, isNliConfig, labelsOf, parseConfig, readConfig, serializeConfig, writeConfig } from './config';

/** A BERT config as HF writes it, with fields Berth does not use. */
function bertJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['BertForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    gradient_checkpointing: false,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: 64,
    id2label: { '0': 'negative', '1': 'positive' },
    initializer_range: 0.02,
    intermediate_size: 128,
    label2id: { negative: 0, positive: 1 },
    layer_norm_eps: 1e-12,
    max_position_embeddings: 256,
    model_type: 'bert',
    num_attention_heads: 4,
    num_hidden_layers: 3,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    problem_type: 'single_label_classification',
    transformers_version: '4.44.0',
    type_vocab_size: 2,
    use_cache: true,
    vocab_size: 1000,
    ...overrides,
  };
}

function parse(json: Record<string, unknown>): EncoderConfig {
  return parseConfig(JSON.stringify(json), 'config.json');
}

function expectConfigError(json: string | Record<string, unknown>, problem: RegExp): FormatError {
  let caught: unknown;
  try {
    parseConfig(typeof json === 'string' ? json : JSON.stringify(json), 'models/x/config.json');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FormatError);
  const error = caught as FormatError;
  expect(error.message.startsWith('models/x/config.json: ')).toBe(true);
  expect(error.problem).toMatch(problem);
  return error;
}

describe('config.json', () => {
  describe('parsing', () => {
    it('reads the HF fields and keeps everything else', () => {
      const config = parse(bertJson());
      expect(config.model_type).toBe('bert');
      expect(config.hidden_size).toBe(64);
      expect(config.num_hidden_layers).toBe(3);
      expect(config.classifier_dropout).toBeNull();
      expect(config.id2label).toEqual({ '0': 'negative', '1': 'positive' });
      expect(config.transformers_version).toBe('4.44.0');
      expect(config.gradient_checkpointing).toBe(false);
    });

    it('fills absent optional fields with the BertConfig defaults', () => {
      const minimal = {
        model_type: 'bert',
        vocab_size: 100,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 16,
      };
      const config = parse(minimal);
      expect(config).toMatchObject({
        architectures: [],
        hidden_act: 'gelu',
        max_position_embeddings: 512,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        pad_token_id: 0,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        classifier_dropout: null,
        id2label: {},
        label2id: {},
      });
    });

    it('uses the family config class defaults when fields are absent (RobertaConfig: pad 1; DebertaConfig: eps 1e-7, no token types)', () => {
      const sizes = { vocab_size: 100, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 };
      const roberta = parse({ model_type: 'roberta', ...sizes });
      expect(roberta.pad_token_id).toBe(1);
      expect(roberta.layer_norm_eps).toBe(1e-12);
      const deberta = parse({ model_type: 'deberta-v2', ...sizes });
      expect(deberta.layer_norm_eps).toBe(1e-7);
      expect(deberta.type_vocab_size).toBe(0);
      expect(parse({ model_type: 'roberta', ...sizes, layer_norm_eps: 1e-5 }).layer_norm_eps).toBe(1e-5);
    });

    it('derives label2id from id2label, id2label from label2id, and LABEL_i from num_labels', () => {
      const { label2id: _l, ...withoutLabel2id } = bertJson();
      expect(parse(withoutLabel2id).label2id).toEqual({ negative: 0, positive: 1 });
      const { id2label: _i, ...withoutId2label } = bertJson();
      expect(parse(withoutId2label).id2label).toEqual({ '0': 'negative', '1': 'positive' });
      const { id2label: _a, label2id: _b, ...neither } = bertJson();
      expect(labelsOf(parse({ ...neither, num_labels: 3 }))).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
    });

    it('normalises DistilBERT names onto the BERT fields', () => {
      const config = parse({
        activation: 'gelu',
        architectures: ['DistilBertForSequenceClassification'],
        attention_dropout: 0.1,
        dim: 768,
        dropout: 0.1,
        hidden_dim: 3072,
        initializer_range: 0.02,
        max_position_embeddings: 512,
        model_type: 'distilbert',
        n_heads: 12,
        n_layers: 6,
        pad_token_id: 0,
        qa_dropout: 0.1,
        seq_classif_dropout: 0.2,
        sinusoidal_pos_embds: false,
        tie_weights_: true,
        vocab_size: 30522,
      });
      expect(config).toMatchObject({
        hidden_size: 768,
        num_hidden_layers: 6,
        num_attention_heads: 12,
        intermediate_size: 3072,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        hidden_act: 'gelu',
        classifier_dropout: 0.2,
        type_vocab_size: 0,
        sinusoidal_pos_embds: false,
      });
      expect(familyOf(config)).toBe('distilbert');
      expect(headOf(config)).toBe('sequence-classification');
      // Written back under DistilBERT's own names, which its config class reads.
      const written = JSON.parse(serializeConfig(config)) as Record<string, unknown>;
      expect(written).toMatchObject({ dim: 768, n_layers: 6, n_heads: 12, hidden_dim: 3072, dropout: 0.1, attention_dropout: 0.1 });
      expect(written.hidden_size).toBeUndefined();
      expect(written.num_hidden_layers).toBeUndefined();
      expect(parseConfig(serializeConfig(config), 'config.json')).toEqual(config);
    });
  });

  describe('malformed configs are FormatErrors naming config.json and the field', () => {
    it('not JSON', () => {
      expectConfigError('{"model_type": "bert",', /not valid JSON/);
    });
    it('not an object', () => {
      expectConfigError('[]', /must hold a JSON object/);
    });
    it.each(['model_type', 'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'])(
      'missing %s',
      (field) => {
        const json = bertJson();
        delete json[field];
        expectConfigError(json, new RegExp(`field "${field}" is missing`));
      },
    );
    it('wrong types and ranges', () => {
      expectConfigError(bertJson({ hidden_size: '64' }), /field "hidden_size" must be a positive integer, got "64"/);
      expectConfigError(bertJson({ num_hidden_layers: 0 }), /field "num_hidden_layers" must be a positive integer/);
      expectConfigError(bertJson({ layer_norm_eps: 0 }), /field "layer_norm_eps" must be a positive number/);
      expectConfigError(bertJson({ hidden_dropout_prob: 1.5 }), /field "hidden_dropout_prob" must be a number in \[0, 1\)/);
      expectConfigError(bertJson({ classifier_dropout: 'none' }), /field "classifier_dropout" must be a number in \[0, 1\) or null/);
      expectConfigError(bertJson({ architectures: 'BertModel' }), /field "architectures" must be an array of strings/);
      expectConfigError(bertJson({ id2label: { zero: 'a' } }), /field "id2label" has key "zero"/);
      expectConfigError(bertJson({ label2id: { a: -1 } }), /field "label2id" entry "a" must be a non-negative integer/);
    });
    it('heads that do not divide the hidden size', () => {
      expectConfigError(bertJson({ num_attention_heads: 5 }), /field "num_attention_heads" \(5\) must divide hidden_size \(64\)/);
    });
    it('a missing file', () => {
      const file = join(tmpdir(), 'berth-no-such-dir', 'config.json');
      expect(() => readConfig(file)).toThrow(new FormatError(file, 'file not found'));
    });
  });

  describe('writing', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('writes 2-space JSON with sorted keys and string id2label keys in id order, and reads back equal', () => {
      const labels = Array.from({ length: 12 }, (_, i) => `L${i}`);
      const config = parse(
        bertJson({
          id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
          label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
        }),
      );
      const file = join(dir, 'config.json');
      writeConfig(file, config);
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('}\n')).toBe(true);
      expect(text).toContain('\n  "architectures": [\n    "BertForSequenceClassification"\n  ],\n');
      expect(text).toContain('\n  "id2label": {\n    "0": "L0",\n');
      const id2labelKeys = [...text.matchAll(/^ {4}"(\d+)": "L\d+"/gm)].map((m) => m[1]);
      expect(id2labelKeys).toEqual(labels.map((_, i) => String(i)));
      const topKeys = [...text.matchAll(/^ {2}"([^"]+)":/gm)].map((m) => m[1]);
      expect(topKeys).toEqual([...topKeys].sort());
      expect(readConfig(file)).toEqual(config);
    });

    it('keeps unknown fields untouched', () => {
      const config = parse(bertJson({ custom: { nested: [1, 2, { deep: true }] } }));
      const file = join(dir, 'custom.json');
      writeConfig(file, config);
      expect(JSON.parse(readFileSync(file, 'utf8')).custom).toEqual({ nested: [1, 2, { deep: true }] });
    });

    it('leaves id2label/label2id out when there are no labels (HF would read num_labels = 0)', () => {
      const { id2label: _a, label2id: _b, ...qa } = bertJson({ architectures: ['BertForQuestionAnswering'] });
      const written = JSON.parse(serializeConfig(parse(qa))) as Record<string, unknown>;
      expect(written).not.toHaveProperty('id2label');
      expect(written).not.toHaveProperty('label2id');
    });

    it('new labels written after fine-tuning replace both maps consistently', () => {
      const config = parse(bertJson());
      config.id2label = { '0': 'spam', '1': 'ham', '2': 'unsure' };
      writeConfig(join(dir, 'relabel.json'), config);
      const back = readConfig(join(dir, 'relabel.json'));
      expect(back.label2id).toEqual({ spam: 0, ham: 1, unsure: 2 });
    });
  });

  describe('what the config says about the model', () => {
    it.each([
      ['BertForSequenceClassification', 'sequence-classification'],
      ['RobertaForTokenClassification', 'token-classification'],
      ['DistilBertForQuestionAnswering', 'question-answering'],
      ['BertForMaskedLM', 'masked-lm'],
      ['BertForPreTraining', 'masked-lm'],
      ['BertModel', 'base'],
      ['ElectraModel', 'base'],
    ])('headOf(%s) = %s', (architecture, head) => {
      expect(headOf(parse(bertJson({ architectures: [architecture] })))).toBe(head);
    });

    it('no architectures (empty, null or absent) means a bare encoder', () => {
      expect(headOf(parse(bertJson({ architectures: [] })))).toBe('base');
      expect(headOf(parse(bertJson({ architectures: null })))).toBe('base');
      expect(headOf(parse(bertJson({ architectures: undefined })))).toBe('base');
    });

    it('an unknown architecture is a FormatError (code UNSUPPORTED_MODEL) naming the file and the architecture', () => {
      const config = parse(bertJson({ architectures: ['BertForMultipleChoice'] }));
      let caught: unknown;
      try {
        headOf(config, 'models/mc/config.json');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(FormatError);
      expect((caught as FormatError).code).toBe('UNSUPPORTED_MODEL');
      expect((caught as FormatError).message).toMatch(/^models\/mc\/config\.json: architecture "BertForMultipleChoice" is not supported/);
    });

    it('familyOf accepts the known families and names an unknown one', () => {
      expect(familyOf(parse(bertJson({ model_type: 'deberta-v2' })))).toBe('deberta-v2');
      expect(() => familyOf(parse(bertJson({ model_type: 'gpt2' })))).toThrow(/config.json: model_type "gpt2" is not supported/);
    });

    it('labelsOf lists id2label in id order, filling gaps with LABEL_i', () => {
      expect(labelsOf(parse(bertJson({ id2label: { '2': 'c', '0': 'a' }, label2id: { a: 0, c: 2 } })))).toEqual(['a', 'LABEL_1', 'c']);
      expect(labelsOf(parse(bertJson({ id2label: {}, label2id: {} })))).toEqual([]);
    });

    it('isNliConfig finds entailment and contradiction case-insensitively', () => {
      const mnli = parse(
        bertJson({
          id2label: { '0': 'CONTRADICTION', '1': 'NEUTRAL', '2': 'ENTAILMENT' },
          label2id: { CONTRADICTION: 0, NEUTRAL: 1, ENTAILMENT: 2 },
        }),
      );
      expect(isNliConfig(mnli)).toEqual({ entailment: 2, contradiction: 0 });
      expect(isNliConfig(parse(bertJson()))).toBeNull();
      const entailmentOnly = parse(bertJson({ id2label: { '0': 'entailment', '1': 'not_entailment' }, label2id: undefined }));
      expect(isNliConfig(entailmentOnly)).toBeNull();
    });
  });

  it('reads a file through readConfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-config-read-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(bertJson()));
      expect(readConfig(join(dir, 'config.json')).vocab_size).toBe(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
