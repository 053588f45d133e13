import { join } from 'node:path';
import { initWeights } from '../engine/init';
import { PEFT_CONFIG_KEY } from '../engine/nn/peft';
import { tinyConfig } from '../engine/nn/tiny';
import { exportedModel, headParameterNames, setupMethod } from './method';
import { TRAIN_DEFAULTS, TrainMethod } from './options';

const vocab = join(__dirname, '..', '..', 'assets', 'tiny-tokenizer', 'vocab.txt');
const config = tinyConfig('classification', vocab);
const weights = initWeights(config, 'sequence-classification', 1);
const setup = (method: TrainMethod) => setupMethod({ ...TRAIN_DEFAULTS, method }, config, weights, 'sequence-classification');

describe('setupMethod', () => {
  it('full trains every base parameter and adds nothing', () => {
    const s = setup('full');
    expect(s.trainable).toEqual(new Set(weights.keys()));
    expect(s.weights.size).toBe(weights.size);
    expect(s.config[PEFT_CONFIG_KEY]).toBeUndefined();
  });

  it('head trains the classifier only; the pooler belongs to the frozen encoder (BertModel)', () => {
    expect([...setup('head').trainable].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(headParameterNames(config, weights.keys())).not.toContain('bert.pooler.dense.weight');
  });

  it('lora, adapter and prompt train their own tensors plus the classifier', () => {
    for (const method of ['lora', 'adapter', 'prompt'] as const) {
      const s = setup(method);
      const added = [...s.weights.keys()].filter((n) => !weights.has(n));
      expect(added.length).toBeGreaterThan(0);
      expect([...s.trainable].sort()).toEqual([...added, 'classifier.bias', 'classifier.weight'].sort());
      expect((s.config[PEFT_CONFIG_KEY] as { type: string }).type).toBe(method);
    }
  });

  it('masked-LM keeps its pretrained head frozen under LoRA', () => {
    const mlmConfig = tinyConfig('mlm', vocab);
    const mlm = initWeights(mlmConfig, 'masked-lm', 1);
    const s = setupMethod({ ...TRAIN_DEFAULTS, method: 'lora' }, mlmConfig, mlm, 'masked-lm');
    expect([...s.trainable].every((n) => n.includes('lora_'))).toBe(true);
    expect([...setupMethod({ ...TRAIN_DEFAULTS, method: 'head' }, mlmConfig, mlm, 'masked-lm').trainable].sort()).toEqual([
      'cls.predictions.bias',
      'cls.predictions.transform.LayerNorm.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.dense.weight',
    ]);
  });
});

describe('exportedModel', () => {
  it('LoRA: merged, no LoRA tensors, no PEFT entry', () => {
    const s = setup('lora');
    const { config: out, tensors } = exportedModel(s.config, s.weights);
    expect(out[PEFT_CONFIG_KEY]).toBeUndefined();
    expect([...tensors.keys()]).toEqual([...weights.keys()].sort());
  });

  it('adapters: kept with the PEFT entry, names sorted', () => {
    const s = setup('adapter');
    const { config: out, tensors } = exportedModel(s.config, s.weights);
    expect(out[PEFT_CONFIG_KEY]).toEqual({ type: 'adapter', reduction_factor: 16, non_linearity: 'relu' });
    expect([...tensors.keys()]).toEqual([...s.weights.keys()].sort());
  });
});
