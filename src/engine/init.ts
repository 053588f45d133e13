import { EncoderConfig, HeadKind } from './formats/config';
import { TensorF32 } from './formats/safetensors';
import { GraphBuilder } from './graph/builder';
import { buildEncoder } from './nn/bert';
import { familySpec } from './nn/family';
import { WeightSource } from './nn/weights';

/**
 * Seeded random initialisation with Hugging Face's rules (`BertPreTrainedModel._init_weights`):
 * Linear weights and embeddings ~ N(0, initializer_range), biases 0, LayerNorm weight 1 and
 * bias 0, the padding row of the word embeddings 0. The parameter list comes from the graph
 * definition itself, so names and shapes cannot drift from what `buildEncoder` expects.
 */

/** xoshiro128** seeded through splitmix32: small, fast, and well distributed. */
export class Prng {
  private s: Uint32Array;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = Uint32Array.from([next(), next(), next(), next()]);
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in (0, 1), never 0 (safe for log). */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

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
  const rng = new Prng((seed ^ hashName(name)) >>> 0);
  const std = typeof config.initializer_range === 'number' ? config.initializer_range : 0.02;
  for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
  // RoBERTa's position table has a padding row too (padding_idx = pad_token_id).
  const paddedTable =
    name.endsWith('word_embeddings.weight') || (familySpec(config.model_type).positions === 'padding-offset' && name.endsWith('position_embeddings.weight'));
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
