import * as ort from 'onnxruntime-node';
import { EncoderConfig, HeadKind } from '../formats/config';
import { GraphBuilder } from '../graph/builder';
import { initWeights } from '../init';
import { encodeModel } from '../onnx/encode';
import { FLOAT32_MIN, buildEncoder, buildInferenceModel, checkBuildable } from './bert';
import { WeightSet } from './weights';

function config(over: Partial<EncoderConfig> = {}): EncoderConfig {
  return {
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    vocab_size: 50,
    hidden_size: 8,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 16,
    hidden_act: 'gelu',
    max_position_embeddings: 20,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    initializer_range: 0.5,
    id2label: { '0': 'a', '1': 'b', '2': 'c' },
    label2id: { a: 0, b: 1, c: 2 },
    ...over,
  };
}

const HEADS: HeadKind[] = ['sequence-classification', 'token-classification', 'question-answering', 'masked-lm', 'base'];

async function run(bytes: Uint8Array, ids: number[][], mask: number[][]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const [b, l] = [ids.length, ids[0].length];
  const t = (rows: number[][]) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
      [b, l],
    );
  const feeds: Record<string, ort.Tensor> = { input_ids: t(ids), attention_mask: t(mask) };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = t(ids.map((r) => r.map(() => 0)));
  const out = await session.run(feeds);
  await session.release();
  return out;
}

describe('BERT graph structure', () => {
  it.each(HEADS)('%s: Optimum I/O names and symbolic dims, no Dropout in inference', (head) => {
    const c = config();
    const model = buildInferenceModel(c, initWeights(c, head, 1), { head });
    const g = model.graph;
    expect(g.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual(
      ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => [n, 'int64', ['batch_size', 'sequence_length']]),
    );
    const expected: Record<HeadKind, [string, (string | number)[]][]> = {
      'sequence-classification': [['logits', ['batch_size', 3]]],
      'token-classification': [['logits', ['batch_size', 'sequence_length', 3]]],
      'question-answering': [
        ['start_logits', ['batch_size', 'sequence_length']],
        ['end_logits', ['batch_size', 'sequence_length']],
      ],
      'masked-lm': [['logits', ['batch_size', 'sequence_length', 50]]],
      base: [['last_hidden_state', ['batch_size', 'sequence_length', 8]]],
    };
    expect(g.outputs.map((o) => [o.name, o.shape])).toEqual(expected[head]);
    // Fused Q/K/V by default: one MatMul per layer feeds the three heads.
    expect(g.initializers.filter((t) => t.name.endsWith('.attention.self.qkv.weight.T')).map((t) => t.dims)).toEqual([
      [8, 24],
      [8, 24],
    ]);
    expect(g.nodes.filter((n) => n.opType === 'Dropout')).toHaveLength(0);
    // The mask is computed once per graph, not per layer.
    expect(g.nodes.filter((n) => n.opType === 'Cast' && n.inputs[0] === 'attention_mask')).toHaveLength(1);
    // All Linear weights are stored pre-transposed.
    expect(
      g.initializers.filter((t) => t.name.endsWith('.weight') && !t.name.includes('embeddings') && !t.name.includes('LayerNorm')),
    ).toEqual([]);
  });

  it('keeps one seeded Dropout per HF dropout site in training graphs', () => {
    const c = config();
    const g = new GraphBuilder({ training: true, seed: 5 });
    buildEncoder(g, c, new WeightSet(initWeights(c, 'sequence-classification', 1)), { head: 'sequence-classification', training: true });
    const dropouts = g.nodes.filter((n) => n.opType === 'Dropout');
    // embeddings 1 + per layer (attention probs, attention output, ffn output) 3×2 + classifier 1.
    expect(dropouts).toHaveLength(8);
    expect(new Set(dropouts.map((n) => n.attributes.seed && n.attributes.seed.value)).size).toBe(8);
    expect(dropouts.every((n) => n.outputs.length === 2)).toBe(true);
  });

  it('feeds trainable parameters as inputs in HF layout, frozen ones as initializers', () => {
    const c = config();
    const weights = initWeights(c, 'sequence-classification', 1);
    const trainable = (n: string) => n.startsWith('classifier.') || n.startsWith('bert.pooler.');
    const g = new GraphBuilder({ trainable });
    buildEncoder(g, c, new WeightSet(weights), { head: 'sequence-classification' });
    expect(g.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['input_ids', ['batch_size', 'sequence_length']],
      ['attention_mask', ['batch_size', 'sequence_length']],
      ['token_type_ids', ['batch_size', 'sequence_length']],
      ['bert.pooler.dense.weight', [8, 8]],
      ['bert.pooler.dense.bias', [8]],
      ['classifier.weight', [3, 8]],
      ['classifier.bias', [3]],
    ]);
    expect(
      g.parameters
        .filter((p) => p.trainable)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight']);
    expect(g.parameters).toHaveLength(weights.size); // every tensor is used exactly once
  });

  it('rejects weights whose shapes do not match the config, naming the tensor', () => {
    const c = config();
    const weights = initWeights(c, 'token-classification', 1);
    weights.set('bert.encoder.layer.1.attention.self.key.weight', { shape: [8, 4], data: new Float32Array(32) });
    expect(() => buildInferenceModel(c, weights, { head: 'token-classification', weightsFile: '/m/model.safetensors' })).toThrow(
      '/m/model.safetensors: tensor "bert.encoder.layer.1.attention.self.key.weight" has shape [8, 4], expected [8, 8] from config.json',
    );
    weights.delete('bert.encoder.layer.1.attention.self.key.weight');
    expect(() => buildInferenceModel(c, weights, { head: 'token-classification' })).toThrow(
      'model.safetensors: missing tensor "bert.encoder.layer.1.attention.self.key.weight" (expected shape [8, 8])',
    );
  });

  it('rejects configs it cannot build, naming config.json', () => {
    expect(() => checkBuildable(config({ position_embedding_type: 'relative_key' }), '/m/config.json')).toThrow(
      '/m/config.json: position_embedding_type "relative_key" is not supported',
    );
    expect(() => checkBuildable(config({ hidden_act: 'swish' }), '/m/config.json')).toThrow(
      '/m/config.json: hidden_act "swish" is not supported',
    );
    expect(() => checkBuildable(config({ model_type: 'deberta' }), '/m/config.json')).toThrow(
      '/m/config.json: model_type "deberta" cannot be built',
    );
    expect(() => checkBuildable(config({ hidden_act: 'gelu_new', model_type: 'roberta' }))).not.toThrow();
  });

  it('accepts a bare BertModel checkpoint without the "bert." prefix', () => {
    const c = config({ architectures: ['BertModel'] });
    const prefixed = initWeights(c, 'base', 1);
    const bare = new Map([...prefixed].map(([k, v]) => [k.replace(/^bert\./, ''), v]));
    const model = buildInferenceModel(c, bare, { head: 'base' });
    expect(model.graph.initializers.some((t) => t.name === 'embeddings.word_embeddings.weight')).toBe(true);
  });
});

describe('BERT numerics', () => {
  it('masks keys only: padding does not change real tokens, fused QKV gives the same numbers', async () => {
    const c = config();
    const weights = initWeights(c, 'token-classification', 3);
    const plain = encodeModel(buildInferenceModel(c, weights, { head: 'token-classification', fuseQkv: false }));
    const fused = encodeModel(buildInferenceModel(c, weights, { head: 'token-classification', fuseQkv: true }));
    const alone = (await run(plain, [[2, 7, 9, 3]], [[1, 1, 1, 1]])).logits.data as Float32Array;
    const padded = (await run(plain, [[2, 7, 9, 3, 0, 0]], [[1, 1, 1, 1, 0, 0]])).logits.data as Float32Array;
    const viaFused = (await run(fused, [[2, 7, 9, 3, 0, 0]], [[1, 1, 1, 1, 0, 0]])).logits.data as Float32Array;
    for (let i = 0; i < alone.length; i++) {
      expect(padded[i]).toBeCloseTo(alone[i], 5);
      expect(viaFused[i]).toBeCloseTo(padded[i], 5);
    }
    // And the padding really is masked: unmasking it changes the real tokens' outputs.
    const unmasked = (await run(plain, [[2, 7, 9, 3, 0, 0]], [[1, 1, 1, 1, 1, 1]])).logits.data as Float32Array;
    expect(Math.max(...alone.map((v, i) => Math.abs(v - unmasked[i])))).toBeGreaterThan(1e-3);
  });

  it('uses finfo(float32).min as the additive mask value', () => {
    const c = config();
    const model = buildInferenceModel(c, initWeights(c, 'base', 1), { head: 'base' });
    const min = model.graph.initializers.find((t) => t.dtype === 'float32' && t.dims.length === 0 && (t.data as Float32Array)[0] < -1e38);
    expect(min && (min.data as Float32Array)[0]).toBe(Math.fround(FLOAT32_MIN));
  });

  it('DistilBERT: its own parameter names, no token types, pre_classifier head, same numbers when renamed', async () => {
    const bertConfig = config({ type_vocab_size: 0 });
    const weights = initWeights(bertConfig, 'sequence-classification', 4);
    const distil = config({ model_type: 'distilbert', architectures: ['DistilBertForSequenceClassification'], type_vocab_size: 0 });
    const distilWeights = initWeights(distil, 'sequence-classification', 4);
    const names = [...distilWeights.keys()];
    expect(names).toContain('distilbert.transformer.layer.1.attention.q_lin.weight');
    expect(names).toContain('distilbert.transformer.layer.0.sa_layer_norm.bias');
    expect(names).toContain('distilbert.transformer.layer.0.ffn.lin2.weight');
    expect(names).toContain('pre_classifier.weight');
    expect(names.some((n) => n.includes('token_type') || n.includes('pooler'))).toBe(false);
    // With the same encoder tensors under DistilBERT's names, the encoder computes the same thing.
    const rename: Array<[RegExp, string]> = [
      [/^bert\.encoder\.layer\.(\d)\.attention\.self\.query/, 'distilbert.transformer.layer.$1.attention.q_lin'],
      [/^bert\.encoder\.layer\.(\d)\.attention\.self\.key/, 'distilbert.transformer.layer.$1.attention.k_lin'],
      [/^bert\.encoder\.layer\.(\d)\.attention\.self\.value/, 'distilbert.transformer.layer.$1.attention.v_lin'],
      [/^bert\.encoder\.layer\.(\d)\.attention\.output\.dense/, 'distilbert.transformer.layer.$1.attention.out_lin'],
      [/^bert\.encoder\.layer\.(\d)\.attention\.output\.LayerNorm/, 'distilbert.transformer.layer.$1.sa_layer_norm'],
      [/^bert\.encoder\.layer\.(\d)\.intermediate\.dense/, 'distilbert.transformer.layer.$1.ffn.lin1'],
      [/^bert\.encoder\.layer\.(\d)\.output\.dense/, 'distilbert.transformer.layer.$1.ffn.lin2'],
      [/^bert\.encoder\.layer\.(\d)\.output\.LayerNorm/, 'distilbert.transformer.layer.$1.output_layer_norm'],
      [/^bert\.embeddings/, 'distilbert.embeddings'],
    ];
    const moved = new Map([...weights].map(([k, v]) => [rename.reduce((n, [re, to]) => n.replace(re, to), k), v]));
    const base = (c: EncoderConfig, w: Map<string, { shape: number[]; data: Float32Array }>) =>
      encodeModel(
        buildInferenceModel({ ...c, architectures: [c.model_type === 'bert' ? 'BertModel' : 'DistilBertModel'] }, w, { head: 'base' }),
      );
    const a = (await run(base(bertConfig, weights), [[2, 7, 9]], [[1, 1, 1]])).last_hidden_state.data as Float32Array;
    const b = (await run(base(distil, moved), [[2, 7, 9]], [[1, 1, 1]])).last_hidden_state.data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
    const model = buildInferenceModel(distil, distilWeights, { head: 'sequence-classification' });
    expect(model.graph.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(model.graph.nodes.some((n) => n.opType === 'Relu')).toBe(true);
  });

  it('ELECTRA: narrow embeddings projected to hidden size, GELU classification head, generator MLM head', async () => {
    const c = config({ model_type: 'electra', architectures: ['ElectraForSequenceClassification'], embedding_size: 4 });
    const weights = initWeights(c, 'sequence-classification', 6);
    expect(weights.get('electra.embeddings.word_embeddings.weight')!.shape).toEqual([50, 4]);
    expect(weights.get('electra.embeddings_project.weight')!.shape).toEqual([8, 4]);
    expect(weights.get('classifier.out_proj.weight')!.shape).toEqual([3, 8]);
    const model = buildInferenceModel(c, weights, { head: 'sequence-classification' });
    expect(model.graph.nodes.some((n) => n.opType === 'Tanh')).toBe(false); // GELU, not BERT's tanh pooler
    const logits = (await run(encodeModel(model), [[2, 7, 9]], [[1, 1, 1]])).logits;
    expect([...logits.dims]).toEqual([1, 3]);
    const mlm = config({ model_type: 'electra', architectures: ['ElectraForMaskedLM'], embedding_size: 4 });
    const mlmWeights = initWeights(mlm, 'masked-lm', 6);
    expect(mlmWeights.get('generator_predictions.dense.weight')!.shape).toEqual([4, 8]);
    expect(mlmWeights.get('generator_lm_head.bias')!.shape).toEqual([50]);
    const out = (await run(encodeModel(buildInferenceModel(mlm, mlmWeights, { head: 'masked-lm' })), [[2, 7]], [[1, 1]])).logits;
    expect([...out.dims]).toEqual([1, 2, 50]);
  });

  it('RoBERTa: positions start at padding_idx + 1 and pads get padding_idx', async () => {
    const c = config({ model_type: 'roberta', architectures: ['RobertaModel'], pad_token_id: 1, type_vocab_size: 1 });
    const weights = initWeights(c, 'base', 2);
    // Positions table whose row r is all r: the embedding sum then reveals the position used.
    const pos = weights.get('roberta.embeddings.position_embeddings.weight')!;
    pos.data.forEach((_, i) => (pos.data[i] = Math.floor(i / 8)));
    const g = new GraphBuilder();
    const built = buildEncoder(g, c, new WeightSet(weights), { head: 'base' });
    expect(g.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    const posNode = g.nodes.find((n) => n.opType === 'Gather' && n.inputs[0] === 'roberta.embeddings.position_embeddings.weight')!;
    g.output(g.valueOf(posNode.outputs[0]), 'positions');
    g.output(built.lastHiddenState, 'last_hidden_state');
    const out = await run(encodeModel(g.model()), [[0, 5, 6, 2, 1, 1]], [[1, 1, 1, 1, 0, 0]]);
    const rows = Array.from(out.positions.data as Float32Array).filter((_, i) => i % 8 === 0);
    expect(rows).toEqual([2, 3, 4, 5, 1, 1]);
  });
});
