import { EncoderConfig, parseConfig } from '../../src/engine/formats/config';
import { TensorF32 } from '../../src/engine/formats/safetensors';
import { initWeights } from '../../src/engine/init';
import { ALBERT, layerSchedule } from '../../src/engine/nn/family';
import { PeftConfig, initPeftWeights, isPeftParameter } from '../../src/engine/nn/peft';
import { buildTrainingGraph } from '../../src/engine/training';
import { TrainingSession } from '../../src/runtime/training-session';
import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, reportWorstAfterAll } from '../helpers/reference-parity';
import { describeServingParity } from '../helpers/serving-parity';
import { describeTrainMethods, describeTrainParity } from '../helpers/train-reference';

/**
 * ALBERT against its PyTorch references (albert-seqcls, albert-mlm): factorised embeddings, one
 * layer's weights applied at both depths (its gradient the sum of both uses), gelu_new; and the
 * PEFT methods on its shared layer, whose LoRA pairs and adapters are shared across depth too.
 */
describeWithFixtures('ALBERT (hf-tiny albert-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['albert-seqcls', 'albert-mlm'], 'ALBERT');
  describeServingParity(
    'ALBERT',
    { 'albert-seqcls': 'classify', 'albert-mlm': 'fill-mask' },
    { model: 'albert-seqcls', method: 'adapter' },
  );
  describeTrainParity('albert-seqcls', 'sequence-classification');
  describeTrainMethods('albert-seqcls');
});

/** A token classifier, so that ALBERT and its unshared ELECTRA equivalent have the same head. */
function config(over: Record<string, unknown>): EncoderConfig {
  const base = {
    vocab_size: 30,
    embedding_size: 6,
    hidden_size: 8,
    num_hidden_layers: 3,
    num_attention_heads: 2,
    intermediate_size: 12,
    max_position_embeddings: 16,
    hidden_act: 'gelu_new',
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    classifier_dropout: 0,
    initializer_range: 0.4,
    id2label: { 0: 'a', 1: 'b', 2: 'c' },
  };
  return parseConfig(JSON.stringify({ ...base, ...over }), 'config.json');
}

/** ALBERT names → the unshared copy at each depth (ELECTRA: projected embeddings, BERT encoder). */
function unsharedName(albertName: string, albert: EncoderConfig, depth: number): string | undefined {
  const schedule = layerSchedule(ALBERT, albert);
  for (const site of ['attention.output', 'output']) {
    if (albertName.startsWith(`albert.${ALBERT.rename(`encoder.layer.${schedule[depth]}.${site}`, albert)}.adapter.`)) {
      return albertName.replace(/^.*\.adapter\./, `electra.encoder.layer.${depth}.${site}.adapter.`);
    }
  }
  return undefined;
}

describe('ALBERT: shared layers and their PEFT tensors, against an unshared encoder', () => {
  const albert = config({ model_type: 'albert', architectures: ['AlbertForTokenClassification'] });
  const electra = config({ model_type: 'electra', architectures: ['ElectraForTokenClassification'] });
  const adapter: PeftConfig = { type: 'adapter', reduction_factor: 2, non_linearity: 'relu' };
  const batch = {
    size: 2,
    seqLength: 5,
    inputIds: BigInt64Array.from([2, 9, 4, 17, 3, 2, 11, 28, 3, 0], BigInt),
    attentionMask: BigInt64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], BigInt),
    tokenTypeIds: new BigInt64Array(10),
    labels: BigInt64Array.from([0, 1, 2, 1, -100, 2, 0, 1, -100, -100], BigInt),
  };

  async function gradients(cfg: EncoderConfig, weights: Map<string, TensorF32>): Promise<Map<string, Float32Array>> {
    const graph = buildTrainingGraph({
      config: { ...cfg, berth_peft: adapter },
      weights,
      head: 'token-classification',
      emitGradients: true,
    });
    expect(new Set(graph.trainable).size).toBe(graph.trainable.length);
    const session = await TrainingSession.create(graph, { intraOpThreads: 1 });
    try {
      return (await session.step(batch, 1e-3)).gradients!;
    } finally {
      await session.release();
    }
  }

  it('one adapter per stored layer, whose gradient is the sum over the depths that apply it', async () => {
    const weights = initWeights(albert, 'token-classification', 5);
    for (const [name, t] of initPeftWeights(albert, adapter, weights, 5)) weights.set(name, t);
    const adapters = [...weights.keys()].filter(isPeftParameter);
    // 2 sites × (down, up) × (weight, bias), all in the one stored layer.
    expect(adapters).toHaveLength(8);
    for (const name of adapters)
      expect(name).toMatch(/^albert\.encoder\.albert_layer_groups\.0\.albert_layers\.0\.(attention\.dense|ffn_output)\.adapter\./);

    // The same network unshared: ELECTRA with a copy of every shared tensor at each depth.
    const copies = new Map<string, TensorF32>();
    const schedule = layerSchedule(ALBERT, albert);
    for (const [name, t] of weights) {
      for (let depth = 0; depth < schedule.length; depth++) {
        const adapterCopy = unsharedName(name, albert, depth);
        if (adapterCopy) copies.set(adapterCopy, t);
      }
    }
    for (const name of initWeights(electra, 'token-classification', 1).keys()) {
      const layer = /^electra\.encoder\.layer\.(\d+)\.(.*)$/.exec(name);
      const bertName = layer ? `encoder.layer.${schedule[Number(layer[1])]}.${layer[2]}` : name.replace(/^electra\./, '');
      copies.set(name, weights.get(name.startsWith('classifier') ? name : `albert.${ALBERT.rename(bertName, albert)}`)!);
    }
    const shared = await gradients(albert, weights);
    const unshared = await gradients(electra, copies);

    const sumOfCopies = (albertName: string, copyName: (depth: number) => string | undefined): Float32Array => {
      const sum = new Float32Array(weights.get(albertName)!.data.length);
      schedule.forEach((_, depth) => {
        const copy = copyName(depth);
        if (copy) unshared.get(copy)!.forEach((v, i) => (sum[i] += v));
      });
      return sum;
    };
    const ffn = 'albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight';
    const checks: Array<[string, Float32Array]> = [
      ...adapters.map((n): [string, Float32Array] => [n, sumOfCopies(n, (d) => unsharedName(n, albert, d))]),
      [ffn, sumOfCopies(ffn, (d) => `electra.encoder.layer.${d}.intermediate.dense.weight`)],
    ];
    for (const [name, expected] of checks) {
      const got = shared.get(name)!;
      const scale = Math.max(...expected.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      const worst = Math.max(...got.map((v, i) => Math.abs(v - expected[i])));
      expect({ name, rel: worst / scale < 1e-4 }).toEqual({ name, rel: true });
    }
  });
});
