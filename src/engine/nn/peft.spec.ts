import * as ort from 'onnxruntime-node';
import { EncoderConfig } from '../formats/config';
import { TensorF32 } from '../formats/safetensors';
import { GraphBuilder } from '../graph/builder';
import { initWeights } from '../init';
import { tinyConfig } from './tiny';
import { join } from 'node:path';
import { encodeModel } from '../onnx/encode';
import { buildEncoder, buildInferenceModel } from './bert';
import { WeightSet } from './weights';
import { PEFT_CONFIG_KEY, PeftConfig, initPeftWeights, isPeftParameter, mergeLora, peftOf } from './peft';

const config: EncoderConfig = tinyConfig('classification', join(__dirname, '..', '..', '..', 'assets', 'tiny-tokenizer', 'vocab.txt'));
const base = initWeights(config, 'sequence-classification', 3);

function withPeft(peft: PeftConfig): EncoderConfig {
  return { ...config, [PEFT_CONFIG_KEY]: peft };
}

describe('peftOf', () => {
  it('reads nothing from a plain config', () => {
    expect(peftOf(config)).toBeUndefined();
  });
  it.each([
    [{ type: 'lora', r: 0, lora_alpha: 8, lora_dropout: 0, target_modules: ['query'] }, /"r" must be a positive integer/],
    [{ type: 'lora', r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['pooler'] }, /"target_modules"/],
    [{ type: 'adapter', reduction_factor: 16, non_linearity: 'tanh' }, /"non_linearity"/],
    [{ type: 'ia3' }, /unknown type "ia3"/],
  ])('names the problem in config.json: %j', (entry, message) => {
    expect(() => peftOf({ ...config, [PEFT_CONFIG_KEY]: entry }, 'x/config.json')).toThrow(message);
    expect(() => peftOf({ ...config, [PEFT_CONFIG_KEY]: entry }, 'x/config.json')).toThrow(/^x\/config\.json: berth_peft/);
  });
});

describe('mergeLora', () => {
  it('folds W + (alpha / r) · B · A (hand-computed)', () => {
    const tensors = new Map<string, TensorF32>([
      ['m.weight', { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }],
      ['m.lora_A.weight', { shape: [1, 2], data: Float32Array.of(1, -1) }],
      ['m.lora_B.weight', { shape: [2, 1], data: Float32Array.of(2, 0.5) }],
      ['m.bias', { shape: [2], data: Float32Array.of(7, 8) }],
    ]);
    // scale 2 / 1 = 2; B·A = [[2, −2], [0.5, −0.5]].
    const merged = mergeLora(tensors, { type: 'lora', r: 1, lora_alpha: 2, lora_dropout: 0, target_modules: ['query'] });
    expect([...merged.keys()].sort()).toEqual(['m.bias', 'm.weight']);
    expect(Array.from(merged.get('m.weight')!.data)).toEqual([5, -2, 4, 3]);
    expect(merged.get('m.bias')).toBe(tensors.get('m.bias'));
  });
});

describe('initPeftWeights', () => {
  it('LoRA: A kaiming-uniform in ±1/√in, B zero, on the query and value of every layer; seeded', () => {
    const peft: PeftConfig = { type: 'lora', r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['query', 'value'] };
    const added = initPeftWeights(config, peft, base, 5);
    expect([...added.keys()].sort()).toEqual(
      [0, 1]
        .flatMap((l) =>
          ['query', 'value'].flatMap((t) => ['A', 'B'].map((ab) => `bert.encoder.layer.${l}.attention.self.${t}.lora_${ab}.weight`)),
        )
        .sort(),
    );
    const a = added.get('bert.encoder.layer.0.attention.self.query.lora_A.weight')!;
    expect(a.shape).toEqual([4, 64]);
    const bound = 1 / Math.sqrt(64);
    expect(Math.max(...Array.from(a.data, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(a.data, Math.abs))).toBeGreaterThan(bound / 2);
    expect(added.get('bert.encoder.layer.1.attention.self.value.lora_B.weight')!.data.every((v) => v === 0)).toBe(true);
    expect(initPeftWeights(config, peft, base, 5).get('bert.encoder.layer.0.attention.self.query.lora_A.weight')!.data).toEqual(a.data);
    expect([...added.keys()].every(isPeftParameter)).toBe(true);
  });

  it('adapters: down and up after attention and FFN outputs, bottleneck hidden / factor, small weights', () => {
    const added = initPeftWeights(config, { type: 'adapter', reduction_factor: 16, non_linearity: 'relu' }, base, 1);
    expect(added.get('bert.encoder.layer.0.attention.output.adapter.down.weight')!.shape).toEqual([4, 64]);
    expect(added.get('bert.encoder.layer.1.output.adapter.up.weight')!.shape).toEqual([64, 4]);
    const up = added.get('bert.encoder.layer.1.output.adapter.up.weight')!.data;
    const std = Math.sqrt(up.reduce((s, v) => s + v * v, 0) / up.length);
    expect(std).toBeGreaterThan(0.005);
    expect(std).toBeLessThan(0.02);
    expect(added.size).toBe(2 * 2 * 4);
  });

  it("names LoRA and adapter tensors after each family's own modules, one set per stored layer", () => {
    const lora: PeftConfig = { type: 'lora', r: 2, lora_alpha: 2, lora_dropout: 0, target_modules: ['query', 'output.dense'] };
    const adapter: PeftConfig = { type: 'adapter', reduction_factor: 16, non_linearity: 'relu' };
    const distil: EncoderConfig = {
      ...config,
      model_type: 'distilbert',
      type_vocab_size: 0,
      architectures: ['DistilBertForSequenceClassification'],
    };
    const distilBase = initWeights(distil, 'sequence-classification', 2);
    expect([...initPeftWeights(distil, lora, distilBase, 1).keys()].filter((n) => n.includes('layer.1.'))).toEqual([
      'distilbert.transformer.layer.1.attention.q_lin.lora_A.weight',
      'distilbert.transformer.layer.1.attention.q_lin.lora_B.weight',
      'distilbert.transformer.layer.1.ffn.lin2.lora_A.weight',
      'distilbert.transformer.layer.1.ffn.lin2.lora_B.weight',
    ]);
    expect([...initPeftWeights(distil, adapter, distilBase, 1).keys()].filter((n) => n.endsWith('down.weight'))).toEqual([
      'distilbert.transformer.layer.0.attention.out_lin.adapter.down.weight',
      'distilbert.transformer.layer.0.ffn.lin2.adapter.down.weight',
      'distilbert.transformer.layer.1.attention.out_lin.adapter.down.weight',
      'distilbert.transformer.layer.1.ffn.lin2.adapter.down.weight',
    ]);
    // ALBERT: three depths share one stored layer, so one LoRA pair per target.
    const albert: EncoderConfig = {
      ...config,
      model_type: 'albert',
      num_hidden_layers: 3,
      embedding_size: 16,
      architectures: ['AlbertForSequenceClassification'],
    };
    const albertBase = initWeights(albert, 'sequence-classification', 2);
    expect([...initPeftWeights(albert, lora, albertBase, 1).keys()]).toEqual([
      'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.lora_A.weight',
      'albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.lora_B.weight',
      'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.lora_A.weight',
      'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.lora_B.weight',
    ]);
    // The prompt is as wide as the embeddings (16), not the hidden states.
    expect(initPeftWeights(albert, { type: 'prompt', num_virtual_tokens: 2 }, albertBase, 1).get('prompt_embeddings')!.shape).toEqual([
      2, 16,
    ]);
  });

  it('prompt: rows copied from the word embeddings', () => {
    const added = initPeftWeights(config, { type: 'prompt', num_virtual_tokens: 3 }, base, 1);
    const prompt = added.get('prompt_embeddings')!;
    expect(prompt.shape).toEqual([3, 64]);
    const word = base.get('bert.embeddings.word_embeddings.weight')!;
    for (let k = 0; k < 3; k++) {
      const row = prompt.data.subarray(k * 64, (k + 1) * 64);
      let found = false;
      for (let r = 0; r < word.shape[0] && !found; r++) found = row.every((v, i) => v === word.data[r * 64 + i]);
      expect(found).toBe(true);
    }
  });
});

describe('encoder graph with PEFT hooks', () => {
  function build(peft: PeftConfig, trainable: (n: string) => boolean) {
    const weights = new Map([...base, ...initPeftWeights(config, peft, base, 1)]);
    const g = new GraphBuilder({ trainable, training: true });
    const built = buildEncoder(g, withPeft(peft), new WeightSet(weights), { head: 'sequence-classification', training: true });
    return { g, built };
  }

  it('LoRA tensors become trainable inputs beside frozen base weights', () => {
    const { g } = build({ type: 'lora', r: 2, lora_alpha: 4, lora_dropout: 0.1, target_modules: ['value'] }, isPeftParameter);
    const inputs = g.inputs.map((i) => i.name).filter((n) => n.includes('lora'));
    expect(inputs).toEqual([
      'bert.encoder.layer.0.attention.self.value.lora_A.weight',
      'bert.encoder.layer.0.attention.self.value.lora_B.weight',
      'bert.encoder.layer.1.attention.self.value.lora_A.weight',
      'bert.encoder.layer.1.attention.self.value.lora_B.weight',
    ]);
    // LoRA dropout is a node of its own in the training graph.
    expect(g.nodes.filter((n) => n.opType === 'Dropout' && n.name.includes('lora'))).toHaveLength(2);
  });

  it('a soft prompt is prepended after the embeddings and cut off before the head', () => {
    const { g, built } = build({ type: 'prompt', num_virtual_tokens: 5 }, (n) => n === 'prompt_embeddings');
    expect(g.inputs.map((i) => i.name)).toContain('prompt_embeddings');
    const slices = g.nodes.filter((n) => n.name.startsWith('prompt/Slice'));
    expect(slices.length).toBeGreaterThan(0);
    expect(built.outputs.logits.shape).toEqual(['batch_size', 2]);
    expect(built.lastHiddenState.rank).toBe(3);
  });
});

describe('a soft prompt in front of RoBERTa', () => {
  it('numbers every position from padding_idx + 1, as HF does from inputs_embeds: a BERT with the table shifted computes the same', async () => {
    const prompt: PeftConfig = { type: 'prompt', num_virtual_tokens: 3 };
    const roberta: EncoderConfig = {
      ...config,
      model_type: 'roberta',
      pad_token_id: 1,
      type_vocab_size: 1,
      architectures: ['RobertaModel'],
    };
    const weights = initWeights(roberta, 'base', 4);
    for (const [name, t] of initPeftWeights(roberta, prompt, weights, 4)) weights.set(name, t);
    // BERT's absolute positions read rows 0.., so its table is RoBERTa's from row padding_idx + 1 on.
    const bert: EncoderConfig = {
      ...roberta,
      model_type: 'bert',
      architectures: ['BertModel'],
      max_position_embeddings: config.max_position_embeddings - 2,
    };
    const shifted = new Map([...weights].map(([name, t]) => [name.replace(/^roberta\./, 'bert.'), t]));
    const table = weights.get('roberta.embeddings.position_embeddings.weight')!;
    const width = table.shape[1];
    shifted.set('bert.embeddings.position_embeddings.weight', { shape: [table.shape[0] - 2, width], data: table.data.slice(2 * width) });
    const run = async (c: EncoderConfig, w: Map<string, TensorF32>): Promise<Float32Array> => {
      const session = await ort.InferenceSession.create(
        encodeModel(buildInferenceModel({ ...c, [PEFT_CONFIG_KEY]: prompt }, w, { head: 'base' })),
      );
      const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, v.length]);
      const feeds: Record<string, ort.Tensor> = { input_ids: t([0, 7, 12, 9, 2]), attention_mask: t([1, 1, 1, 1, 1]) };
      if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = t([0, 0, 0, 0, 0]);
      const out = (await session.run(feeds)).last_hidden_state.data as Float32Array;
      await session.release();
      return out;
    };
    const a = await run(roberta, weights);
    const b = await run(bert, shifted);
    expect(a).toHaveLength(5 * config.hidden_size);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
  });
});
