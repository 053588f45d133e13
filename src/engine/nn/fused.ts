/**
 * The encoder stack for inference written with ONNX Runtime's fused CPU contrib ops
 * (`com.microsoft`): EmbedLayerNormalization (three lookups, the sum and LayerNorm in one
 * kernel), Attention (the Q/K/V projection, scaled dot-product attention with the padding mask
 * and the head merge in one kernel), SkipLayerNormalization (bias + residual + LayerNorm) and
 * BiasGelu / FastGelu (bias + GELU).
 *
 * ONNX Runtime's own session optimizer (level `all`) fuses our plain graph only partly: it forms
 * BiasGelu, FusedMatMul (the 1/√d scale folded into Q·Kᵀ) and FusedGemm, but neither Attention
 * nor SkipLayerNormalization nor EmbedLayerNormalization (measured with ORT 1.30, see
 * docs/benchmarks.md). Emitting them here is the only way to get those kernels.
 *
 * The plain graph stays the one for training (contrib ops have no gradient rules here, and
 * onnxruntime-node's training needs standard ops) and the fallback: `fusionRefusal` names what
 * these kernels cannot express (PEFT hooks, families not listed here such as ALBERT's shared
 * layers), and the caller then emits the plain graph.
 */
import { EncoderConfig } from '../formats/config';
import { float, int } from '../graph/attributes';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { Attributes } from '../onnx/model';
import { FamilySpec } from './family';
import { paddingOffsetPositionIds } from './positions';

const MS = 'com.microsoft';

/** Families whose layers are BERT's post-LN layers (RoBERTa's positions go in as position_ids). */
const FUSABLE_FAMILIES: ReadonlySet<string> = new Set(['bert', 'distilbert', 'electra', 'roberta', 'xlm-roberta']);

/** The part of bert.ts's encoder model the fused stack reads (structural, so no import cycle). */
export interface FusableEncoder {
  readonly g: GraphBuilder;
  readonly config: EncoderConfig;
  readonly family: FamilySpec;
  readonly hidden: number;
  readonly heads: number;
  readonly embeddingSize: number;
  readonly eps: number;
  readonly peft: unknown;
  named(bertName: string): string;
  param(bertName: string, shape: number[]): Value;
  dense(name: string, inFeatures: number, outFeatures: number): { w: Value; b: Value };
}

export interface FusedInputs {
  readonly inputIds: Value;
  readonly attentionMask: Value;
  readonly tokenTypeIds?: Value;
}

/** Q/K/V weights concatenated as `[hidden, 3·hidden]` and `[3·hidden]` (bert.ts's fused QKV layout, Attention's too). */
export type QkvWeights = (names: string[]) => { w: Value; b: Value };

const FUSED_ACTIVATIONS = new Set(['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu']);

/** Why the fused stack cannot express this model, or undefined when it can. */
export function fusionRefusal(m: FusableEncoder): string | undefined {
  if (m.g.training) return 'training graphs keep the plain ops';
  if (m.peft) return 'PEFT hooks (LoRA, adapters, prompts) need the plain ops';
  if (!FUSABLE_FAMILIES.has(m.config.model_type)) return `model_type "${m.config.model_type}" has no fused form`;
  if (m.hidden % m.heads !== 0) return 'hidden_size is not a multiple of num_attention_heads';
  if (!FUSED_ACTIVATIONS.has(m.config.hidden_act)) return `hidden_act "${m.config.hidden_act}"`;
  return undefined;
}

/** Embeddings and every encoder layer with fused ops; the last hidden state, [B, L, hidden]. */
export function fusedEncoderStack(m: FusableEncoder, inputs: FusedInputs, qkv: QkvWeights): Value {
  const { g } = m;
  const ids32 = g.op.Cast(inputs.inputIds, 'int32');
  // The raw [B, L] 0/1 mask: Attention masks keys with it (mask_filter_value −10000, which
  // softmax turns into exactly 0 as HF's finfo.min does; a row always keeps its [CLS]).
  const mask32 = g.scope(`${m.family.base}/mask`, () => g.op.Cast(inputs.attentionMask, 'int32'));
  let h = g.scope(`${m.family.base}/embeddings`, () => embedLayerNorm(m, inputs.inputIds, ids32, inputs.tokenTypeIds));
  for (let i = 0; i < m.config.num_hidden_layers; i++) {
    h = g.scope(`${m.family.base}/encoder/layer.${i}`, () => fusedLayer(m, i, h, mask32, qkv));
  }
  return h;
}

function embedLayerNorm(m: FusableEncoder, inputIds: Value, ids32: Value, tokenTypeIds: Value | undefined): Value {
  const { g, config } = m;
  const width = m.embeddingSize;
  const word = m.param('embeddings.word_embeddings.weight', [config.vocab_size, width]);
  const positions = m.param('embeddings.position_embeddings.weight', [config.max_position_embeddings, width]);
  const withTypes = config.type_vocab_size > 0;
  const types = withTypes ? m.param('embeddings.token_type_embeddings.weight', [config.type_vocab_size, width]) : undefined;
  // Without a token_type_ids input every token is type 0 (HF's zero buffer): feed zeros.
  const typeIds = withTypes ? g.op.Cast(tokenTypeIds ?? g.op.Mul(ids32, g.constant(0, 'int32')), 'int32') : undefined;
  const gamma = m.param('embeddings.LayerNorm.weight', [width]);
  const beta = m.param('embeddings.LayerNorm.bias', [width]);
  // Absolute positions are the kernel's own 0..L-1; RoBERTa's are fed (position_ids).
  const positionIds =
    m.family.positions === 'padding-offset' ? g.op.Cast(paddingOffsetPositionIds(g, inputIds, config.pad_token_id), 'int32') : undefined;
  const [out] = g.node(
    'EmbedLayerNormalization',
    [ids32, typeIds, word, positions, types, gamma, beta, undefined, positionIds],
    { epsilon: float(m.eps) },
    [
      { dtype: 'float32', shape: [...ids32.shape, width] },
      { dtype: 'int32', shape: [ids32.shape[0]] },
    ],
    MS,
  );
  if (width === m.hidden) return out;
  // ELECTRA's embeddings_project maps the embedding width to hidden_size (a plain MatMul + Add).
  const project = m.dense('embeddings_project', width, m.hidden);
  return g.op.Add(g.op.MatMul(out, project.w), project.b);
}

function fusedLayer(m: FusableEncoder, i: number, h: Value, mask32: Value, qkv: QkvWeights): Value {
  const { g, config, hidden } = m;
  const prefix = `encoder.layer.${i}`;
  const context = g.scope('attention/self', () => {
    const fused = qkv(['query', 'key', 'value'].map((n) => m.named(`${prefix}.attention.self.${n}`)));
    const [y] = g.node('Attention', [h, fused.w, fused.b, mask32], { num_heads: int(m.heads) }, [{ dtype: 'float32', shape: h.shape }], MS);
    return y;
  });
  const attended = g.scope('attention/output', () => {
    const o = m.dense(`${prefix}.attention.output.dense`, hidden, hidden);
    return skipLayerNorm(m, g.op.MatMul(context, o.w), h, o.b, `${prefix}.attention.output.LayerNorm`);
  });
  const intermediate = g.scope('intermediate', () => {
    const d = m.dense(`${prefix}.intermediate.dense`, hidden, config.intermediate_size);
    const y = g.op.MatMul(attended, d.w);
    const shape = [...attended.shape.slice(0, -1), config.intermediate_size];
    if (config.hidden_act === 'relu') return g.op.Relu(g.op.Add(y, d.b));
    const op = config.hidden_act === 'gelu' ? 'BiasGelu' : 'FastGelu';
    return g.node(op, [y, d.b], {}, [{ dtype: 'float32', shape }], MS)[0];
  });
  return g.scope('output', () => {
    const d = m.dense(`${prefix}.output.dense`, config.intermediate_size, hidden);
    return skipLayerNorm(m, g.op.MatMul(intermediate, d.w), attended, d.b, `${prefix}.output.LayerNorm`);
  });
}

/** LayerNorm(x + bias + residual) in one SkipLayerNormalization node. */
function skipLayerNorm(m: FusableEncoder, x: Value, residual: Value, bias: Value, layerNorm: string): Value {
  const gamma = m.param(`${layerNorm}.weight`, [m.hidden]);
  const beta = m.param(`${layerNorm}.bias`, [m.hidden]);
  const attributes: Attributes = { epsilon: float(m.eps) };
  return m.g.node('SkipLayerNormalization', [x, residual, gamma, beta, bias], attributes, [{ dtype: 'float32', shape: x.shape }], MS)[0];
}
