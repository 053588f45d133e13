import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncoderConfig, readConfig } from '../engine/formats/config';
import { TensorF32, readSafetensors, writeSafetensors } from '../engine/formats/safetensors';
import { initWeights } from '../engine/init';
import { initModelDir } from './pretrain/init-model';
import { newHeadConfig, newHeadModelDir, transplant } from './new-head';

const TOKENIZER = join(__dirname, '..', '..', 'assets', 'tiny-tokenizer');
const DIMS = '{"num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}';

let dir: string;
let encoderDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-new-head-'));
  encoderDir = join(dir, 'mlm');
  initModelDir({ spec: DIMS, tokenizerDir: TOKENIZER, outDir: encoderDir, seed: 3 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function expectSameTensor(a: TensorF32 | undefined, b: TensorF32 | undefined): void {
  expect(a).toBeDefined();
  expect(a!.shape).toEqual(b!.shape);
  expect(
    Buffer.from(a!.data.buffer, a!.data.byteOffset, a!.data.byteLength).equals(
      Buffer.from(b!.data.buffer, b!.data.byteOffset, b!.data.byteLength),
    ),
  ).toBe(true);
}

describe('newHeadModelDir', () => {
  it('keeps every encoder tensor of a masked-LM checkpoint bit for bit and initialises the pooler and classifier', () => {
    const out = join(dir, 'cls');
    const result = newHeadModelDir({
      modelDir: encoderDir,
      task: 'classification',
      labels: ['negative', 'positive'],
      outDir: out,
      seed: 5,
    });
    const source = readSafetensors(join(encoderDir, 'model.safetensors'));
    const written = readSafetensors(join(out, 'model.safetensors'));
    const encoderNames = [...source.keys()].filter((n) => n.startsWith('bert.'));
    expect(encoderNames.length).toBeGreaterThan(20);
    for (const name of encoderNames) expectSameTensor(written.get(name), source.get(name));
    expect(result.initialised.sort()).toEqual([
      'bert.pooler.dense.bias',
      'bert.pooler.dense.weight',
      'classifier.bias',
      'classifier.weight',
    ]);
    expect(result.dropped.every((n) => n.startsWith('cls.predictions.'))).toBe(true);
    expect(written.get('classifier.weight')!.shape).toEqual([2, 32]);
    // HF's init: normal(0, initializer_range) weights, zero biases.
    const w = written.get('classifier.weight')!.data;
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04);
    expect(written.get('classifier.bias')!.data.every((x) => x === 0)).toBe(true);

    const config = readConfig(join(out, 'config.json'));
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    expect(config.problem_type).toBe('single_label_classification');
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'model.onnx',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
  });

  it('gives token-classification and question-answering heads their HF shapes; the same seed gives the same head', () => {
    const ner = newHeadModelDir({ modelDir: encoderDir, task: 'ner', labels: ['O', 'B-PER', 'I-PER'], outDir: join(dir, 'ner'), seed: 9 });
    expect(ner.config.architectures).toEqual(['BertForTokenClassification']);
    expect(ner.initialised.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    const qa = newHeadModelDir({ modelDir: encoderDir, task: 'qa', labels: [], outDir: join(dir, 'qa'), seed: 9 });
    expect(qa.config.architectures).toEqual(['BertForQuestionAnswering']);
    expect(readSafetensors(join(dir, 'qa', 'model.safetensors')).get('qa_outputs.weight')!.shape).toEqual([2, 32]);
    const again = newHeadModelDir({
      modelDir: encoderDir,
      task: 'ner',
      labels: ['O', 'B-PER', 'I-PER'],
      outDir: join(dir, 'ner2'),
      seed: 9,
    });
    expect(again.initialised).toEqual(ner.initialised);
    expectSameTensor(
      readSafetensors(join(dir, 'ner2', 'model.safetensors')).get('classifier.weight'),
      readSafetensors(join(dir, 'ner', 'model.safetensors')).get('classifier.weight'),
    );
  });

  it('refuses bad labels and writes nothing', () => {
    const out = join(dir, 'bad');
    expect(() => newHeadModelDir({ modelDir: encoderDir, task: 'classification', labels: ['only'], outDir: out, seed: 1 })).toThrow(
      /at least 2 labels/,
    );
    expect(() => newHeadModelDir({ modelDir: encoderDir, task: 'classification', labels: ['a', 'a'], outDir: out, seed: 1 })).toThrow(
      /given twice/,
    );
    expect(() => newHeadModelDir({ modelDir: encoderDir, task: 'qa', labels: ['a', 'b'], outDir: out, seed: 1 })).toThrow(
      /takes no labels/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a checkpoint missing an encoder tensor, or with a wrong shape, is an error naming the tensor', () => {
    const weights = readSafetensors(join(encoderDir, 'model.safetensors'));
    weights.delete('bert.encoder.layer.1.output.dense.weight');
    writeSafetensors(join(encoderDir, 'model.safetensors'), weights);
    expect(() =>
      newHeadModelDir({ modelDir: encoderDir, task: 'classification', labels: ['a', 'b'], outDir: join(dir, 'x'), seed: 1 }),
    ).toThrow(/has no tensor "bert\.encoder\.layer\.1\.output\.dense\.weight"/);
    const config = readConfig(join(encoderDir, 'config.json'));
    const wrong = initWeights({ ...config, intermediate_size: 48 }, 'masked-lm', 1);
    expect(() => transplant(newHeadConfig(config, 'ner', ['O', 'B-X']), 'token-classification', wrong, 1)).toThrow(
      /intermediate\.dense\.bias" has shape \[48\], the config needs \[64\]/,
    );
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('transplant', () => {
  it('takes the weights of a bare BertModel checkpoint, whose names carry no "bert." prefix', () => {
    const config: EncoderConfig = readConfig(join(encoderDir, 'config.json'));
    // HF saves a BertModel's tensors without the "bert." prefix its task models use.
    const base = new Map(
      [...initWeights({ ...config, architectures: ['BertModel'] }, 'base', 11)].map(([n, t]) => [n.replace(/^bert\./, ''), t]),
    );
    expect(base.has('embeddings.word_embeddings.weight')).toBe(true);
    const { weights, initialised } = transplant(newHeadConfig(config, 'classification', ['a', 'b']), 'sequence-classification', base, 2);
    expectSameTensor(weights.get('bert.embeddings.word_embeddings.weight'), base.get('embeddings.word_embeddings.weight'));
    for (const [name, t] of base) expectSameTensor(weights.get(`bert.${name}`), t);
    expect(initialised.sort()).toEqual([...weights.keys()].filter((n) => !base.has(n.replace(/^bert\./, ''))).sort());
    expect(initialised).toEqual(expect.arrayContaining(['classifier.bias', 'classifier.weight']));
  });

  it('newHeadConfig rejects an unsupported architecture', () => {
    const file = join(dir, 'config.json');
    const config = { ...readConfig(join(encoderDir, 'config.json')), architectures: ['BertForMultipleChoice'] };
    writeFileSync(file, JSON.stringify(config));
    expect(() => newHeadConfig(config, 'classification', ['a', 'b'], file)).toThrow(/not supported/);
  });

  it("names the new architecture with the family's HF class (AlbertFor…, XLMRobertaFor…)", () => {
    const bert = readConfig(join(encoderDir, 'config.json'));
    const albert = { ...bert, model_type: 'albert', architectures: ['AlbertForMaskedLM'] };
    expect(newHeadConfig(albert, 'classification', ['a', 'b']).architectures).toEqual(['AlbertForSequenceClassification']);
    const xlmr = { ...bert, model_type: 'xlm-roberta', architectures: ['XLMRobertaForMaskedLM'] };
    expect(newHeadConfig(xlmr, 'ner', ['O', 'B-X']).architectures).toEqual(['XLMRobertaForTokenClassification']);
  });
});
