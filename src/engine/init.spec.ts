import { EncoderConfig } from './formats/config';
import { initWeights } from './init';
import { Rng } from './random';

const config: EncoderConfig = {
  model_type: 'bert',
  architectures: ['BertForMaskedLM'],
  vocab_size: 400,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 64,
  hidden_act: 'gelu',
  max_position_embeddings: 64,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 3,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  classifier_dropout: null,
  initializer_range: 0.02,
  id2label: {},
  label2id: {},
};

describe('seeded initialisation', () => {
  it('draws standard normals (mean 0, variance 1, symmetric tails)', () => {
    const rng = new Rng(123, 'splitmix32');
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      sum += x;
      sq += x * x;
      if (Math.abs(x) > 2) beyond2++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.01);
    // P(|Z| > 2) = 0.0455 for a standard normal.
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(0.002);
  });

  it('follows HF init rules by parameter kind', () => {
    const w = initWeights(config, 'masked-lm', 9);
    const word = w.get('bert.embeddings.word_embeddings.weight')!;
    expect(word.shape).toEqual([400, 32]);
    expect(Array.from(word.data.subarray(3 * 32, 4 * 32)).every((v) => v === 0)).toBe(true); // pad row
    const std = (d: Float32Array) => Math.sqrt(d.reduce((a, v) => a + v * v, 0) / d.length);
    expect(std(word.data)).toBeGreaterThan(0.019);
    expect(std(word.data)).toBeLessThan(0.021);
    expect(Array.from(w.get('bert.encoder.layer.0.attention.output.LayerNorm.weight')!.data).every((v) => v === 1)).toBe(true);
    expect(Array.from(w.get('bert.encoder.layer.0.attention.output.LayerNorm.bias')!.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(w.get('bert.encoder.layer.0.intermediate.dense.bias')!.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(w.get('cls.predictions.bias')!.data).every((v) => v === 0)).toBe(true);
    expect(w.has('cls.predictions.decoder.weight')).toBe(false); // tied, as HF saves it
    expect([...w.keys()]).toEqual([...w.keys()].sort());
  });

  it('is reproducible per seed and differs across seeds', () => {
    const a = initWeights(config, 'masked-lm', 1).get('bert.encoder.layer.0.attention.self.query.weight')!.data;
    const b = initWeights(config, 'masked-lm', 1).get('bert.encoder.layer.0.attention.self.query.weight')!.data;
    const c = initWeights(config, 'masked-lm', 2).get('bert.encoder.layer.0.attention.self.query.weight')!.data;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });
});
