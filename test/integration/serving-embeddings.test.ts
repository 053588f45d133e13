/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * Embeddings through a bare encoder. The "encoder" here is a hand-written ONNX graph whose
 * last_hidden_state for token t is [id_t, 2·id_t], so every pooled vector can be computed from
 * the token ids in reference.json (HF's own tokenization) without running any model.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readConfig } from '../../src/engine/formats/config';
import { readSafetensors } from '../../src/engine/formats/safetensors';
import { buildInferenceModel } from '../../src/engine/nn/bert';
import { encodeModel, writeModelFile } from '../../src/engine/onnx/encode';
import { tensorFromNumbers } from '../../src/engine/onnx/model';
import { ServingCore } from '../../src/serving/serving-core';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

function writeEchoEncoder(file: string): void {
  const seq = ['batch_size', 'sequence_length'];
  writeModelFile(file, {
    graph: {
      name: 'echo-encoder',
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: seq },
        { name: 'attention_mask', dtype: 'int64', shape: seq },
        { name: 'token_type_ids', dtype: 'int64', shape: seq },
      ],
      initializers: [
        { name: 'last_axis', ...tensorFromNumbers('int64', [1], [-1]) },
        { name: 'two', ...tensorFromNumbers('float32', [], [2]) },
      ],
      nodes: [
        { opType: 'Cast', name: 'cast', inputs: ['input_ids'], outputs: ['ids_f'], attributes: { to: { kind: 'int', value: 1 } } },
        { opType: 'Unsqueeze', name: 'unsqueeze', inputs: ['ids_f', 'last_axis'], outputs: ['col'], attributes: {} },
        { opType: 'Mul', name: 'double', inputs: ['col', 'two'], outputs: ['col2'], attributes: {} },
        {
          opType: 'Concat',
          name: 'concat',
          inputs: ['col', 'col2'],
          outputs: ['last_hidden_state'],
          attributes: { axis: { kind: 'int', value: -1 } },
        },
      ],
      outputs: [{ name: 'last_hidden_state', dtype: 'float32', shape: ['batch_size', 'sequence_length', 2] }],
    },
  });
}

describeWithFixtures('serving core: embeddings from a bare encoder', () => {
  let root: string;
  let core: ServingCore;
  const ref = () =>
    JSON.parse(readFileSync(join(hfTinyDir('bert-seqcls'), 'reference.json'), 'utf8')) as {
      examples: Array<{ text: string; input_ids: number[]; tokens: string[] }>;
    };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-embed-'));
    const dir = join(root, 'models', 'encoder');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
      cpSync(join(hfTinyDir('bert-seqcls'), f), join(dir, f));
    }
    const config = JSON.parse(readFileSync(join(hfTinyDir('bert-seqcls'), 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['BertModel'] }));
    writeEchoEncoder(join(dir, 'onnx', 'model.onnx'));
    core = await ServingCore.start({
      modelsDir: join(root, 'models'),
      dataDir: join(root, 'data'),
      device: 'cpu',
      batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 1, maxQueue: 100, enabled: true },
      limits: { maxInputsPerRequest: 8, maxCandidateLabels: 8, maxTextChars: 10_000 },
    });
  });

  afterAll(async () => {
    await core?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a bare encoder with last_hidden_state serves feature-extraction', () => {
    expect(core.get('encoder')).toMatchObject({ task: 'feature-extraction', status: 'ready' });
    expect(core.defaultModelFor('feature-extraction')).toBe('encoder');
  });

  it('mean pooling averages real tokens only, though the batch is padded', async () => {
    const [a, b] = [ref().examples[2], ref().examples[0]]; // a short and a long text, batched together
    const served = await core.embeddings(undefined, [a.text, b.text], { pooling: 'mean' });
    for (const [k, e] of [a, b].entries()) {
      const mean = e.input_ids.reduce((s, x) => s + x, 0) / e.input_ids.length;
      const [x, y] = served.result[k].embedding as number[];
      expect(x).toBeCloseTo(mean, 3);
      expect(y).toBeCloseTo(2 * mean, 3);
      expect(served.result[k].truncated).toBe(false);
    }
  });

  it('cls pooling, normalisation and per-token vectors', async () => {
    const e = ref().examples[2];
    const cls = await core.embeddings('encoder', [e.text], { pooling: 'cls', normalize: true });
    expect(cls.result[0].embedding).toEqual([expect.closeTo(1 / Math.sqrt(5), 6), expect.closeTo(2 / Math.sqrt(5), 6)]);
    const none = await core.embeddings('encoder', [e.text], { pooling: 'none' });
    expect(none.result[0].embedding).toEqual(e.input_ids.map((id) => [id, 2 * id]));
    expect(none.result[0].tokens).toEqual(e.tokens);
  });
});

describeWithFixtures('serving core: a masked-LM encoder served from its weights alone also answers embeddings', () => {
  let root: string;
  let core: ServingCore;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-embed-mlm-'));
    const dir = join(root, 'models', 'encoder');
    mkdirSync(dir, { recursive: true });
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'vocab.txt',
    ]) {
      cpSync(join(hfTinyDir('bert-mlm'), f), join(dir, f));
    }
    core = await ServingCore.start({
      modelsDir: join(root, 'models'),
      dataDir: join(root, 'data'),
      device: 'cpu',
      batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 0, maxQueue: 100, enabled: true },
      limits: { maxInputsPerRequest: 8, maxCandidateLabels: 8, maxTextChars: 10_000 },
    });
  });

  afterAll(async () => {
    await core?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('per-token embeddings are the encoder hidden states the same weights give as a bare BertModel', async () => {
    expect(core.get('encoder')).toMatchObject({ task: 'fill-mask', status: 'ready' });
    const text = 'the capital of france is paris.';
    const served = await core.embeddings('encoder', [text], { pooling: 'none' });
    const vectors = served.result[0].embedding as number[][];
    // Reference: the same weights built as a bare encoder (head "base"), run directly.
    const dir = hfTinyDir('bert-mlm');
    const config = readConfig(join(dir, 'config.json'));
    const graph = buildInferenceModel(config, readSafetensors(join(dir, 'model.safetensors')), { head: 'base' });
    const session = await ort.InferenceSession.create(encodeModel(graph));
    const ids = (served.result[0].tokens ?? []).map((t) =>
      BigInt(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')).model.vocab[t]),
    );
    const n = ids.length;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [1, n]),
    });
    const hidden = out.last_hidden_state.data as Float32Array;
    const width = config.hidden_size;
    expect(vectors).toHaveLength(n);
    let worst = 0;
    vectors.forEach((v, t) => v.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - hidden[t * width + k])))));
    expect(worst).toBeLessThan(1e-5);
    await session.release();
  });
});
