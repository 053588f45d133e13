/**
 * The format readers and writers on the hf-tiny model directories: every file is found, parsed
 * into what the fixture README documents, and written back byte for byte.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/engine/errors';
import {
  HeadKind,
  familyOf,
  headOf,
  isNliConfig,
  labelsOf,
  parseConfig,
  readConfig,
  serializeConfig,
} from '../../src/engine/formats/config';
import { locateHfModelDir } from '../../src/engine/formats/hf-dir';
import { readSafetensors, readSafetensorsHeader, serializeSafetensors } from '../../src/engine/formats/safetensors';
import { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import { HF_TINY_MODELS, HfTinyModel, describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

/** From the fixture README's table and parameter listing. */
const EXPECTED: Record<HfTinyModel, { head: HeadKind; labels: string[]; tensors: number; heads: Record<string, number[]> }> = {
  'bert-seqcls': {
    head: 'sequence-classification',
    labels: ['negative', 'neutral', 'positive'],
    tensors: 41,
    heads: { 'bert.pooler.dense.weight': [32, 32], 'bert.pooler.dense.bias': [32], 'classifier.weight': [3, 32], 'classifier.bias': [3] },
  },
  'bert-nli': {
    head: 'sequence-classification',
    labels: ['entailment', 'neutral', 'contradiction'],
    tensors: 41,
    heads: { 'bert.pooler.dense.weight': [32, 32], 'classifier.weight': [3, 32], 'classifier.bias': [3] },
  },
  'bert-ner': {
    head: 'token-classification',
    labels: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'],
    tensors: 39,
    heads: { 'classifier.weight': [9, 32], 'classifier.bias': [9] },
  },
  'bert-qa': { head: 'question-answering', labels: [], tensors: 39, heads: { 'qa_outputs.weight': [2, 32], 'qa_outputs.bias': [2] } },
  'bert-mlm': {
    head: 'masked-lm',
    labels: [],
    tensors: 42,
    heads: {
      'cls.predictions.transform.dense.weight': [32, 32],
      'cls.predictions.transform.dense.bias': [32],
      'cls.predictions.transform.LayerNorm.weight': [32],
      'cls.predictions.transform.LayerNorm.bias': [32],
      'cls.predictions.bias': [30522],
    },
  },
};

/** The encoder tensors every model has. */
function encoderShapes(): Record<string, number[]> {
  const shapes: Record<string, number[]> = {
    'bert.embeddings.word_embeddings.weight': [30522, 32],
    'bert.embeddings.position_embeddings.weight': [128, 32],
    'bert.embeddings.token_type_embeddings.weight': [2, 32],
    'bert.embeddings.LayerNorm.weight': [32],
    'bert.embeddings.LayerNorm.bias': [32],
  };
  for (const layer of [0, 1]) {
    const p = `bert.encoder.layer.${layer}`;
    for (const name of ['query', 'key', 'value']) {
      shapes[`${p}.attention.self.${name}.weight`] = [32, 32];
      shapes[`${p}.attention.self.${name}.bias`] = [32];
    }
    shapes[`${p}.attention.output.dense.weight`] = [32, 32];
    shapes[`${p}.attention.output.dense.bias`] = [32];
    shapes[`${p}.attention.output.LayerNorm.weight`] = [32];
    shapes[`${p}.attention.output.LayerNorm.bias`] = [32];
    shapes[`${p}.intermediate.dense.weight`] = [64, 32];
    shapes[`${p}.intermediate.dense.bias`] = [64];
    shapes[`${p}.output.dense.weight`] = [32, 64];
    shapes[`${p}.output.dense.bias`] = [32];
    shapes[`${p}.output.LayerNorm.weight`] = [32];
    shapes[`${p}.output.LayerNorm.bias`] = [32];
  }
  return shapes;
}

describeWithFixtures('formats on the hf-tiny model directories', () => {
  describe.each(HF_TINY_MODELS)('%s', (model) => {
    const dir = hfTinyDir(model);
    const expected = EXPECTED[model];

    it('locates every file', () => {
      const files = locateHfModelDir(dir, { onnx: true, weights: true });
      expect(files).toEqual({
        dir,
        configFile: join(dir, 'config.json'),
        tokenizerFile: join(dir, 'tokenizer.json'),
        onnxFile: join(dir, 'model.onnx'),
        weightsFile: join(dir, 'model.safetensors'),
        tokenizerConfigFile: join(dir, 'tokenizer_config.json'),
        specialTokensMapFile: join(dir, 'special_tokens_map.json'),
        vocabFile: join(dir, 'vocab.txt'),
      });
    });

    it('reads config.json: sizes, head, labels, NLI ids, dropout', () => {
      const config = readConfig(join(dir, 'config.json'));
      expect(config).toMatchObject({
        model_type: 'bert',
        vocab_size: 30522,
        hidden_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 64,
        max_position_embeddings: 128,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        hidden_act: 'gelu',
        pad_token_id: 0,
        classifier_dropout: null,
      });
      const dropout = model === 'bert-nli' ? 0.1 : 0;
      expect(config.hidden_dropout_prob).toBe(dropout);
      expect(config.attention_probs_dropout_prob).toBe(dropout);
      expect(familyOf(config)).toBe('bert');
      expect(headOf(config)).toBe(expected.head);
      expect(labelsOf(config)).toEqual(expected.labels);
      expect(isNliConfig(config)).toEqual(model === 'bert-nli' ? { entailment: 0, contradiction: 2 } : null);
    });

    it('writes config.json back with the same content', () => {
      const original = readFileSync(join(dir, 'config.json'), 'utf8');
      const config = parseConfig(original, 'config.json');
      expect(JSON.parse(serializeConfig(config))).toEqual(JSON.parse(original));
    });

    it('reads model.safetensors: every documented tensor with its shape, [PAD] row zero', () => {
      const tensors = readSafetensors(join(dir, 'model.safetensors'));
      const shapes = { ...encoderShapes(), ...expected.heads };
      expect(tensors.size).toBe(expected.tensors);
      for (const [name, shape] of Object.entries(shapes)) {
        expect(tensors.get(name)?.shape).toEqual(shape);
        expect(tensors.get(name)!.data.length).toBe(shape.reduce((a, b) => a * b, 1));
      }
      const words = tensors.get('bert.embeddings.word_embeddings.weight')!.data;
      expect(Array.from(words.subarray(0, 32)).every((v) => v === 0)).toBe(true);
      expect(Array.from(words.subarray(32, 64)).some((v) => v !== 0)).toBe(true);
      expect(tensors.has('cls.predictions.decoder.weight')).toBe(false);
    });

    it('the header reader agrees with the full reader; the layout is sorted and gap-free', () => {
      const file = join(dir, 'model.safetensors');
      const header = readSafetensorsHeader(file);
      const tensors = readSafetensors(file);
      expect(header.metadata).toEqual({ format: 'pt' });
      expect([...header.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
      const byOffset = [...header.tensors.entries()].sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0]);
      expect(byOffset.map(([name]) => name)).toEqual(byOffset.map(([name]) => name).sort());
      let cursor = 0;
      for (const [name, entry] of byOffset) {
        expect(entry.dtype).toBe('F32');
        expect(entry.shape).toEqual(tensors.get(name)!.shape);
        expect(entry.dataOffsets[0]).toBe(cursor);
        cursor = entry.dataOffsets[1];
      }
    });

    it('serializing what was read gives the file back byte for byte', () => {
      const file = join(dir, 'model.safetensors');
      const written = serializeSafetensors(readSafetensors(file), { metadata: readSafetensorsHeader(file).metadata });
      expect(Buffer.from(written).equals(readFileSync(file))).toBe(true);
    });

    if (model !== 'bert-nli') {
      it('grads and after3 have the names and shapes of model.safetensors', () => {
        const params = readSafetensors(join(dir, 'model.safetensors'));
        for (const other of ['grads.safetensors', 'after3.safetensors']) {
          const tensors = readSafetensors(join(dir, other));
          expect([...tensors.keys()].sort()).toEqual([...params.keys()].sort());
          for (const [name, tensor] of tensors) expect(tensor.shape).toEqual(params.get(name)!.shape);
        }
      });
    }
  });

  it('bert-mlm: the mask logits file holds F32 [10, 30522]', () => {
    const tensors = readSafetensors(join(hfTinyDir('bert-mlm'), 'reference_mask_logits.safetensors'));
    expect(tensors.get('mask_logits')?.shape).toEqual([10, 30522]);
  });

  describe('damaged copies of a fixture are FormatErrors naming the file and the problem', () => {
    let scratch: string;
    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), 'berth-damaged-'));
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    function caught(fn: () => unknown): FormatError {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        return e as FormatError;
      }
      throw new Error('expected a FormatError');
    }

    it('a truncated model.safetensors', () => {
      const file = join(scratch, 'model.safetensors');
      const bytes = readFileSync(join(hfTinyDir('bert-ner'), 'model.safetensors'));
      writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
      const error = caught(() => readSafetensors(file));
      expect(error.message).toMatch(
        new RegExp(`^${escape(file)}: tensor ".+": data_offsets \\[\\d+, \\d+\\] run past the end of the data .*file truncated`),
      );
    });

    it('config.json with bad JSON', () => {
      const file = join(scratch, 'config.json');
      writeFileSync(file, readFileSync(join(hfTinyDir('bert-ner'), 'config.json'), 'utf8').slice(0, 200));
      expect(caught(() => readConfig(file)).message).toMatch(new RegExp(`^${escape(file)}: not valid JSON`));
    });

    it('tokenizer.json with bad JSON, and a missing tokenizer.json', async () => {
      const modelDir = join(scratch, 'model');
      mkdirSync(modelDir);
      copyFileSync(join(hfTinyDir('bert-ner'), 'config.json'), join(modelDir, 'config.json'));
      await expect(BerthTokenizer.fromModelDir(modelDir)).rejects.toThrow(`${join(modelDir, 'tokenizer.json')}: file not found`);
      writeFileSync(join(modelDir, 'tokenizer.json'), readFileSync(join(hfTinyDir('bert-ner'), 'tokenizer.json'), 'utf8').slice(0, 5000));
      await expect(BerthTokenizer.fromModelDir(modelDir)).rejects.toThrow(
        new RegExp(`^${escape(join(modelDir, 'tokenizer.json'))}: not valid JSON`),
      );
      await expect(BerthTokenizer.fromModelDir(modelDir)).rejects.toBeInstanceOf(FormatError);
    });

    it('an unknown architecture', () => {
      const file = join(scratch, 'arch-config.json');
      const json = JSON.parse(readFileSync(join(hfTinyDir('bert-seqcls'), 'config.json'), 'utf8'));
      json.architectures = ['BertForNextSentencePrediction'];
      writeFileSync(file, JSON.stringify(json));
      const error = caught(() => headOf(readConfig(file), file));
      expect(error.message).toBe(
        `${file}: architecture "BertForNextSentencePrediction" is not supported; expected *ForSequenceClassification, *ForTokenClassification, *ForQuestionAnswering, *ForMaskedLM, *ForPreTraining or *Model`,
      );
      expect(error.code).toBe('UNSUPPORTED_MODEL');
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
