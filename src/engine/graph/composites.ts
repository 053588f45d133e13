import type { GraphBuilder } from './builder';
import { Value } from './value';

/**
 * Composite ops, built from the primitives in the op table (`src/engine/ops`). Autodiff sees
 * only the primitives they emit, except where a composite registers a gradient of its own with
 * the builder (`g.defineGradient`): exact and tanh GELU do, so that their forward nodes stay fusable.
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
  const y = g.op.Mul(product, g.constant(0.5, 'float32'));
  // In training graphs the gradient is recomputed from x alone: were the backward pass to read
  // the intermediates above, ONNX Runtime could no longer fuse the five nodes into one Gelu.
  if (g.training) g.defineGradient(y, { inputs: [x], vjp: (gy) => [g.op.Mul(gy, geluSlope(g, x))] });
  return y;
}

/** d gelu(x)/dx = Φ(x) + x·φ(x) = ½(1 + erf(z)) + z·e^(−z²)/√π, with z = x/√2. */
function geluSlope(g: GraphBuilder, x: Value): Value {
  const c = (v: number): Value => g.constant(v, 'float32');
  const z = g.op.Mul(x, c(Math.SQRT1_2));
  const cdf = g.op.Mul(g.op.Add(g.op.Erf(z), c(1)), c(0.5));
  const zPdf = g.op.Mul(g.op.Mul(z, g.op.Exp(g.op.Neg(g.op.Mul(z, z)))), c(1 / Math.sqrt(Math.PI)));
  return g.op.Add(cdf, zPdf);
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
 * The tanh approximation of GELU (HF `gelu_new` / `gelu_pytorch_tanh`, ALBERT's activation):
 * `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`. Like exact GELU it carries its own
 * gradient, recomputed from x, so that the backward pass never reads the forward's inner nodes.
 */
export function geluTanh(g: GraphBuilder, x: Value): Value {
  const cube = g.op.Mul(g.op.Mul(x, x), x);
  const inner = g.op.Add(x, g.op.Mul(cube, g.constant(GELU_TANH_A, 'float32')));
  const t = g.op.Tanh(g.op.Mul(inner, g.constant(GELU_TANH_C, 'float32')));
  const y = g.op.Mul(g.op.Mul(x, g.op.Add(t, g.constant(1, 'float32'))), g.constant(0.5, 'float32'));
  if (g.training) g.defineGradient(y, { inputs: [x], vjp: (gy) => [g.op.Mul(gy, geluTanhSlope(g, x))] });
  return y;
}

const GELU_TANH_A = 0.044715;
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/** d/dx of the tanh GELU: ½(1 + t) + ½·x·(1 − t²)·c·(1 + 3a·x²), with t = tanh(c·(x + a·x³)). */
function geluTanhSlope(g: GraphBuilder, x: Value): Value {
  const c = (v: number): Value => g.constant(v, 'float32');
  const x2 = g.op.Mul(x, x);
  const t = g.op.Tanh(g.op.Mul(g.op.Add(x, g.op.Mul(g.op.Mul(x2, x), c(GELU_TANH_A))), c(GELU_TANH_C)));
  const half = g.op.Mul(g.op.Add(t, c(1)), c(0.5));
  const sech2 = g.op.Sub(c(1), g.op.Mul(t, t));
  const du = g.op.Mul(g.op.Add(g.op.Mul(x2, c(3 * GELU_TANH_A)), c(1)), c(GELU_TANH_C));
  return g.op.Add(half, g.op.Mul(g.op.Mul(g.op.Mul(x, sech2), du), c(0.5)));
}
