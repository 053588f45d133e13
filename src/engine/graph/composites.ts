import type { GraphBuilder } from './builder';
import { Value } from './value';

/**
 * Composite ops, built from the primitives in the op table. They carry no gradient rules of
 * their own: autodiff sees only the primitives they emit.
 */

/** `x · W + b` with `W` already `[in, out]` (MatMul + Add, which ONNX Runtime fuses). */
export function linear(g: GraphBuilder, x: Value, weightT: Value, bias?: Value): Value {
  const y = g.op.MatMul(x, weightT);
  return bias ? g.op.Add(y, bias) : y;
}

/**
 * LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. Training graphs also
 * emit its Mean and InvStdDev outputs, which the gradient rule reuses.
 */
export function layerNorm(g: GraphBuilder, x: Value, scale: Value, bias: Value, epsilon: number): Value {
  return g.op.LayerNormalization(x, scale, bias, { axis: -1, epsilon, stats: g.training })[0];
}

/**
 * Exact GELU, `x · 0.5 · (1 + erf(x / √2))`, in the node order torch exports it, which is the
 * pattern ONNX Runtime's Gelu fusion recognises.
 */
export function gelu(g: GraphBuilder, x: Value): Value {
  const scaled = g.op.Div(x, g.constant(Math.SQRT2, 'float32'));
  const erf = g.op.Erf(scaled);
  const onePlus = g.op.Add(erf, g.constant(1, 'float32'));
  const product = g.op.Mul(x, onePlus);
  return g.op.Mul(product, g.constant(0.5, 'float32'));
}

export function softmax(g: GraphBuilder, x: Value, axis = -1): Value {
  return g.op.Softmax(x, axis);
}

/**
 * Dropout in training graphs (a seeded Dropout node with its mask as second output); the
 * identity in inference graphs and at ratio 0, where no node is emitted at all.
 */
export function dropout(g: GraphBuilder, x: Value, ratio: number): Value {
  if (!g.training || ratio === 0) return x;
  return g.op.Dropout(x, ratio, g.nextSeed())[0];
}

/**
 * The tanh approximation of GELU (HF `gelu_new` / `gelu_pytorch_tanh`):
 * `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
 */
export function geluTanh(g: GraphBuilder, x: Value): Value {
  const cube = g.op.Mul(g.op.Mul(x, x), x);
  const inner = g.op.Add(x, g.op.Mul(cube, g.constant(0.044715, 'float32')));
  const t = g.op.Tanh(g.op.Mul(inner, g.constant(Math.sqrt(2 / Math.PI), 'float32')));
  return g.op.Mul(g.op.Mul(x, g.op.Add(t, g.constant(1, 'float32'))), g.constant(0.5, 'float32'));
}
