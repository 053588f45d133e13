import { EncoderConfig, HeadKind } from './formats/config';
import { TensorF32 } from './formats/safetensors';
import { GraphBuilder } from './graph/builder';
import { buildEncoder } from './nn/bert';
import { familySpec } from './nn/family';
import { PretrainingHeads, sentenceLogits, spanBoundaryLogits } from './nn/pretraining';
import { WeightSource } from './nn/weights';
import { Rng } from './random';

/**
 * Seeded random initialisation with Hugging Face's rules (`BertPreTrainedModel._init_weights`):
 * Linear weights and embeddings ~ N(0, initializer_range), biases 0, LayerNorm weight 1 and
 * bias 0, the padding row of the word embeddings 0. The parameter list comes from the graph
 * definition itself, so names and shapes cannot drift from what `buildEncoder` expects.
 */

/** FNV-1a of a string: each tensor gets its own stream, independent of build order. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The HF init rule for one tensor, chosen by its name. */
export function initTensor(name: string, shape: readonly number[], config: EncoderConfig, seed: number): TensorF32 {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const isLayerNorm = /LayerNorm|layer_norm/.test(name);
  if (isLayerNorm) {
    if (name.endsWith('.weight')) data.fill(1);
    return { shape: [...shape], data };
  }
  if (name.endsWith('bias')) return { shape: [...shape], data };
  const rng = new Rng((seed ^ hashName(name)) >>> 0, 'splitmix32');
  const std = typeof config.initializer_range === 'number' ? config.initializer_range : 0.02;
  for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
  // RoBERTa's position table has a padding row too (padding_idx = pad_token_id).
  const paddedTable =
    name.endsWith('word_embeddings.weight') ||
    (familySpec(config.model_type).positions === 'padding-offset' && name.endsWith('position_embeddings.weight'));
  if (paddedTable) {
    const pad = config.pad_token_id;
    if (pad >= 0 && pad < shape[0]) data.fill(0, pad * shape[1], (pad + 1) * shape[1]);
  }
  return { shape: [...shape], data };
}

/** Every parameter of the model `config` describes (with `head`), randomly initialised. */
export function initWeights(config: EncoderConfig, head: HeadKind, seed: number): Map<string, TensorF32> {
  familySpec(config.model_type);
  const made = new Map<string, TensorF32>();
  const source: WeightSource = {
    has: () => true,
    take: (name, shape) => {
      let t = made.get(name);
      if (!t) {
        t = initTensor(name, shape, config, seed);
        made.set(name, t);
      }
      return t;
    },
  };
  buildEncoder(new GraphBuilder(), config, source, { head });
  return new Map([...made.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `weights` completed with the pre-training heads they lack (pooler, NSP/SOP classifier, SBO),
 * initialised by the same rules; tensors already present are kept as they are.
 */
export function withPretrainingHeads(
  config: EncoderConfig,
  weights: ReadonlyMap<string, TensorF32>,
  heads: PretrainingHeads,
  seed: number,
): Map<string, TensorF32> {
  const made = new Map<string, TensorF32>(weights);
  const source: WeightSource = {
    has: (name) => made.has(name),
    take: (name, shape) => {
      let t = made.get(name);
      if (!t) {
        t = initTensor(name, shape, config, seed);
        made.set(name, t);
      }
      return t;
    },
  };
  const g = new GraphBuilder();
  const built = buildEncoder(g, config, source, { head: 'masked-lm' });
  if (heads.sentence) sentenceLogits(g, config, source, built.lastHiddenState, built.named, heads.sentence);
  if (heads.spanBoundary) {
    const index = g.input('index', 'int64', [1]);
    spanBoundaryLogits(g, config, source, built.lastHiddenState, built.named('embeddings.word_embeddings.weight'), {
      left: index,
      right: index,
      offset: index,
      maxSpanLength: heads.spanBoundary.maxSpanLength,
    });
  }
  return new Map([...made.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
