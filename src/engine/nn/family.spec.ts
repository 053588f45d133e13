import * as ort from 'onnxruntime-node';
import { EncoderConfig, parseConfig, serializeConfig } from '../formats/config';
import { TensorF32 } from '../formats/safetensors';
import { initWeights } from '../init';
import { encodeModel } from '../onnx/encode';
import { buildInferenceModel } from './bert';
import { ALBERT, layerSchedule } from './family';

/** A small ALBERT: 4 depths over 2 groups of 2 inner layers, factorised 6-wide embeddings. */
function albertConfig(over: Record<string, unknown> = {}): EncoderConfig {
  return parseConfig(
    JSON.stringify({
      model_type: 'albert',
      architectures: ['AlbertModel'],
      vocab_size: 40,
      embedding_size: 6,
      hidden_size: 8,
      num_hidden_layers: 4,
      num_hidden_groups: 2,
      inner_group_num: 2,
      num_attention_heads: 2,
      intermediate_size: 12,
      max_position_embeddings: 16,
      initializer_range: 0.5,
      ...over,
    }),
    'config.json',
  );
}

async function lastHiddenState(bytes: Uint8Array, ids: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const t = (values: number[]) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(values, (v) => BigInt(v)),
      [1, values.length],
    );
  const out = await session.run({ input_ids: t(ids), attention_mask: t(ids.map(() => 1)), token_type_ids: t(ids.map((_, i) => i % 2)) });
  await session.release();
  return out.last_hidden_state.data as Float32Array;
}

describe('ALBERT in the family table', () => {
  it('follows HF AlbertTransformer: depth i runs group ⌊i·G/L⌋, each group its inner layers in turn', () => {
    expect(layerSchedule(ALBERT, albertConfig())).toEqual([0, 1, 0, 1, 2, 3, 2, 3]);
    expect(layerSchedule(ALBERT, albertConfig({ num_hidden_groups: 1, inner_group_num: 1, num_hidden_layers: 3 }))).toEqual([0, 0, 0]);
    expect(layerSchedule(ALBERT, albertConfig({ num_hidden_groups: 3, inner_group_num: 1, num_hidden_layers: 6 }))).toEqual([
      0, 0, 1, 1, 2, 2,
    ]);
  });

  it("names BERT's modules as HF's ALBERT does", () => {
    const c = albertConfig();
    const cases: Array<[string, string]> = [
      ['encoder.layer.3.attention.self.query.weight', 'encoder.albert_layer_groups.1.albert_layers.1.attention.query.weight'],
      ['encoder.layer.0.attention.output.dense.bias', 'encoder.albert_layer_groups.0.albert_layers.0.attention.dense.bias'],
      ['encoder.layer.1.attention.output.LayerNorm.weight', 'encoder.albert_layer_groups.0.albert_layers.1.attention.LayerNorm.weight'],
      ['encoder.layer.2.intermediate.dense.weight', 'encoder.albert_layer_groups.1.albert_layers.0.ffn.weight'],
      ['encoder.layer.2.output.dense.weight', 'encoder.albert_layer_groups.1.albert_layers.0.ffn_output.weight'],
      ['encoder.layer.2.output.LayerNorm.bias', 'encoder.albert_layer_groups.1.albert_layers.0.full_layer_layer_norm.bias'],
      ['encoder.layer.0.output', 'encoder.albert_layer_groups.0.albert_layers.0.ffn_output'],
      ['embeddings_project.weight', 'encoder.embedding_hidden_mapping_in.weight'],
      ['pooler.dense.bias', 'pooler.bias'],
      ['embeddings.word_embeddings.weight', 'embeddings.word_embeddings.weight'],
    ];
    for (const [bert, albert] of cases) expect(ALBERT.rename(bert, c)).toBe(albert);
  });

  it('stores one set of weights per group × inner layer, whatever the depth', () => {
    const names = [...initWeights(albertConfig(), 'base', 1).keys()];
    const layers = new Set(
      names.filter((n) => n.includes('albert_layers')).map((n) => /groups\.(\d+)\.albert_layers\.(\d+)/.exec(n)!.slice(1).join('.')),
    );
    expect([...layers].sort()).toEqual(['0.0', '0.1', '1.0', '1.1']);
    expect(names.filter((n) => n.includes('albert_layer_groups.0.albert_layers.0.'))).toHaveLength(16);
    expect(names).toContain('albert.encoder.embedding_hidden_mapping_in.weight');
    expect(names).toContain('albert.embeddings.word_embeddings.weight');
  });

  it("gives each task head HF ALBERT's names: pooler only for sequence classification, predictions.* for masked-LM", () => {
    const heads = (architecture: string, head: Parameters<typeof initWeights>[1]) =>
      [...initWeights(albertConfig({ architectures: [architecture] }), head, 1).keys()].filter(
        (n) => !n.includes('.encoder.') && !n.includes('.embeddings.'),
      );
    expect(heads('AlbertForSequenceClassification', 'sequence-classification')).toEqual([
      'albert.pooler.bias',
      'albert.pooler.weight',
      'classifier.bias',
      'classifier.weight',
    ]);
    expect(heads('AlbertForTokenClassification', 'token-classification')).toEqual(['classifier.bias', 'classifier.weight']);
    expect(heads('AlbertForQuestionAnswering', 'question-answering')).toEqual(['qa_outputs.bias', 'qa_outputs.weight']);
    expect(heads('AlbertForMaskedLM', 'masked-lm')).toEqual([
      'predictions.LayerNorm.bias',
      'predictions.LayerNorm.weight',
      'predictions.bias',
      'predictions.dense.bias',
      'predictions.dense.weight',
    ]);
  });

  it('computes what an unshared encoder computes with the shared weights copied to every depth', async () => {
    // The same network as ELECTRA (projected embeddings, BERT encoder, no pooler) with 8 layers
    // holding copies of the stored layer each application uses: [0, 1, 0, 1, 2, 3, 2, 3].
    const albert = albertConfig({ hidden_act: 'gelu_new' });
    const weights = initWeights(albert, 'base', 3);
    const electra = parseConfig(
      JSON.stringify({ ...albert, model_type: 'electra', architectures: ['ElectraModel'], num_hidden_layers: 8 }),
      'config.json',
    );
    const copied = new Map<string, TensorF32>();
    const schedule = layerSchedule(ALBERT, albert);
    for (const name of initWeights(electra, 'base', 1).keys()) {
      const layer = /^electra\.encoder\.layer\.(\d+)\.(.*)$/.exec(name);
      const bertName = layer ? `encoder.layer.${schedule[Number(layer[1])]}.${layer[2]}` : name.replace(/^electra\./, '');
      copied.set(name, weights.get(`albert.${ALBERT.rename(bertName, albert)}`)!);
    }
    const ids = [2, 7, 11, 39, 5, 1];
    const shared = await lastHiddenState(encodeModel(buildInferenceModel(albert, weights, { head: 'base' })), ids);
    const unshared = await lastHiddenState(encodeModel(buildInferenceModel(electra, copied, { head: 'base' })), ids);
    expect(shared).toHaveLength(ids.length * 8);
    let worst = 0;
    shared.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - unshared[i]))));
    expect(worst).toBeLessThan(1e-5);
  });

  it("reads classifier_dropout_prob as the head dropout and writes it back under ALBERT's name", () => {
    expect(albertConfig({ classifier_dropout_prob: 0.25 }).classifier_dropout).toBe(0.25);
    expect(albertConfig().classifier_dropout).toBe(0.1);
    const written = JSON.parse(serializeConfig(albertConfig({ classifier_dropout_prob: 0.25 }))) as Record<string, unknown>;
    expect(written.classifier_dropout_prob).toBe(0.25);
    expect(written).not.toHaveProperty('classifier_dropout');
    expect(() => albertConfig({ num_hidden_groups: 0 })).toThrow(/num_hidden_groups/);
  });
});
