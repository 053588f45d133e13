/**
 * Dynamic int8 quantization of a model's MatMul weights, per output channel, as ONNX Runtime's
 * own quantizer does it (`onnxruntime.quantization.quantize_dynamic(per_channel=True)`, the
 * IntegerOps format):
 *
 *   y = MatMul(x, W)   becomes   (xq, xs, xz) = DynamicQuantizeLinear(x)
 *                                y = Cast(MatMulInteger(xq, Wq, xz, Wz), float) · (xs · Ws)
 *
 * with `W` ([K, N], an initializer) stored as int8 (or uint8) with one scale and zero point per
 * column. ONNX Runtime fuses that pattern at load into MatMulIntegerToFloat and
 * DynamicQuantizeMatMul (and the bias Add that follows), the int8 kernels. Everything here is the
 * quantization math and a rewrite of plain `ModelData`; no ONNX Runtime.
 *
 * Only MatMuls whose second input is a 2-D float32 initializer are rewritten (ORT's
 * `MatMulConstBOnly`): attention's Q·Kᵀ and P·V products keep float32, as do Gather tables.
 * In fused graphs the contrib Attention node's Q/K/V weight is quantized the same way and the
 * node becomes QAttention, as ORT's quantizer does.
 */
import { GraphData, ModelData, NamedTensor, NodeData, ONNX_DATA_TYPE } from './model';

export type WeightType = 'int8' | 'uint8';
export const WEIGHT_TYPES: readonly WeightType[] = ['int8', 'uint8'];

/** Metadata key a quantized model carries (value: `dynamic-per-channel-<weight type>`). */
export const QUANTIZATION_METADATA = 'berth.quantization';

/** A [K, N] weight quantized per column: `w[k, n] ≈ scales[n] · (values[k, n] − zeroPoints[n])`. */
export interface ChannelQuantized {
  readonly values: Int8Array | Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints: Int8Array | Uint8Array;
}

/** numpy's `round` (and Python's): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The representable range ORT uses (`get_qmin_qmax_for_qType`, no reduce_range): int8 weights
 * are symmetric over [−127, 127], uint8 asymmetric over [0, 255].
 */
export function quantRange(type: WeightType): { qmin: number; qmax: number; symmetric: boolean } {
  return type === 'int8' ? { qmin: -127, qmax: 127, symmetric: true } : { qmin: 0, qmax: 255, symmetric: false };
}

/**
 * ORT's `compute_scale_zp`: the range widened to include 0 (symmetrised for int8), then
 * `scale = (rmax − rmin) / (qmax − qmin)` and `zero = round(qmin − rmin / scale)`; a range
 * too small for float32 gets scale 1, zero 0.
 */
export function scaleAndZeroPoint(rmin: number, rmax: number, type: WeightType): { scale: number; zeroPoint: number } {
  const { qmin, qmax, symmetric } = quantRange(type);
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  const scale = (hi - lo) / (qmax - qmin);
  if (scale < FLOAT32_TINY) return { scale: 1, zeroPoint: 0 };
  return { scale, zeroPoint: roundHalfEven(qmin - lo / scale) };
}

const FLOAT32_TINY = 1.1754943508222875e-38;
const MS = 'com.microsoft';

/** Quantizes a row-major [K, N] weight per column (ORT's channel axis 1 for MatMul). */
export function quantizePerChannel(weight: Float32Array, dims: readonly [number, number], type: WeightType): ChannelQuantized {
  const [rows, cols] = dims;
  if (weight.length !== rows * cols) throw new RangeError(`weight of ${weight.length} values is not [${rows}, ${cols}]`);
  const { qmin, qmax } = quantRange(type);
  const values = type === 'int8' ? new Int8Array(rows * cols) : new Uint8Array(rows * cols);
  const scales = new Float32Array(cols);
  const zeroPoints = type === 'int8' ? new Int8Array(cols) : new Uint8Array(cols);
  for (let n = 0; n < cols; n++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < rows; k++) {
      const v = weight[k * cols + n];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const { scale, zeroPoint } = scaleAndZeroPoint(lo, hi, type);
    // ORT stores the scale as float32 and divides by it in float32 (quantize_nparray).
    const s = Math.fround(scale);
    scales[n] = s;
    zeroPoints[n] = zeroPoint;
    for (let k = 0; k < rows; k++) {
      const q = roundHalfEven(Math.fround(weight[k * cols + n] / s)) + zeroPoint;
      values[k * cols + n] = Math.min(qmax, Math.max(qmin, q));
    }
  }
  return { values, scales, zeroPoints };
}

export interface QuantizeOptions {
  readonly weightType?: WeightType;
}

export interface QuantizeReport {
  readonly model: ModelData;
  /** The weights that were quantized (initializer names). */
  readonly quantized: readonly string[];
  /** Float32 weight bytes before, quantized weight bytes (values, scales, zero points) after. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** Whether `model` was already quantized by `quantizeDynamic`. */
export function isQuantized(model: ModelData): boolean {
  return (
    model.metadata?.[QUANTIZATION_METADATA] !== undefined ||
    model.graph.nodes.some((n) => n.opType === 'MatMulInteger' || n.opType === 'QAttention')
  );
}

/** Rewrites every MatMul with a constant [K, N] float32 weight into the dynamic int8 pattern. */
export function quantizeDynamic(model: ModelData, options: QuantizeOptions = {}): QuantizeReport {
  const type = options.weightType ?? 'int8';
  if (isQuantized(model)) throw new Error('the model is already quantized');
  const graph = model.graph;
  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
  const quantizable = (node: NodeData): NamedTensor | undefined => {
    const matmul = node.opType === 'MatMul' && (node.domain ?? '') === '';
    const attention = node.opType === 'Attention' && node.domain === MS && (node.inputs[4] ?? '') === '';
    if (!matmul && !attention) return undefined;
    const w = initializers.get(node.inputs[1]);
    return w && w.dtype === 'float32' && w.dims.length === 2 ? w : undefined;
  };

  const nodes: NodeData[] = [];
  const added: NamedTensor[] = [];
  const quantizedWeights = new Map<string, { q: string; scale: string; zero: string }>();
  const quantizedInputs = new Map<string, { q: string; scale: string; zero: string }>();
  const quantizedUses = new Map<string, number>();
  let bytesBefore = 0;
  let bytesAfter = 0;
  for (const node of graph.nodes) {
    const w = quantizable(node);
    if (!w) {
      nodes.push(node);
      continue;
    }
    let wq = quantizedWeights.get(w.name);
    if (!wq) {
      const [rows, cols] = w.dims as [number, number];
      const q = quantizePerChannel(w.data as Float32Array, [rows, cols], type);
      wq = { q: `${w.name}_quantized`, scale: `${w.name}_scale`, zero: `${w.name}_zero_point` };
      added.push(
        { name: wq.q, dtype: type, dims: [rows, cols], data: q.values },
        { name: wq.scale, dtype: 'float32', dims: [cols], data: q.scales },
        { name: wq.zero, dtype: type, dims: [cols], data: q.zeroPoints },
      );
      quantizedWeights.set(w.name, wq);
      bytesBefore += w.data.byteLength;
      bytesAfter += q.values.byteLength + q.scales.byteLength + q.zeroPoints.byteLength;
    }
    quantizedUses.set(w.name, (quantizedUses.get(w.name) ?? 0) + 1);
    const x = node.inputs[0];
    let xq = quantizedInputs.get(x);
    if (!xq) {
      xq = { q: `${x}_quantized`, scale: `${x}_scale`, zero: `${x}_zero_point` };
      nodes.push(plainNode('DynamicQuantizeLinear', `${x}_QuantizeLinear`, [x], [xq.q, xq.scale, xq.zero]));
      quantizedInputs.set(x, xq);
    }
    const y = node.outputs[0];
    const base = node.name || y;
    if (node.opType === 'Attention') {
      // ORT's quantizer turns Attention into QAttention (operators/attention.py): the same
      // kernel with the Q/K/V projection in int8; bias, mask and attributes carry over.
      const [, , bias, mask] = node.inputs;
      nodes.push({
        ...node,
        opType: 'QAttention',
        name: `${base}_quant`,
        inputs: [xq.q, wq.q, bias, xq.scale, wq.scale, mask ?? '', xq.zero, wq.zero],
      });
      continue;
    }
    nodes.push(
      plainNode('MatMulInteger', `${base}_quant`, [xq.q, wq.q, xq.zero, wq.zero], [`${y}_output_quantized`]),
      plainNode('Cast', `${base}_quant_cast`, [`${y}_output_quantized`], [`${y}_output_quantized_cast_output`], {
        to: { kind: 'int', value: ONNX_DATA_TYPE.float32 },
      }),
      plainNode('Mul', `${base}_quant_scales_mul`, [xq.scale, wq.scale], [`${base}_quant_scales_mul:0`]),
      plainNode('Mul', `${base}_quant_output_scale_mul`, [`${y}_output_quantized_cast_output`, `${base}_quant_scales_mul:0`], [y]),
    );
  }
  // A float weight nothing else reads is dropped; one shared with other nodes stays for them.
  const dropped = new Set([...quantizedUses].filter(([name, n]) => n === uses.get(name)).map(([name]) => name));
  const rewritten: GraphData = {
    ...graph,
    nodes,
    initializers: [...graph.initializers.filter((t) => !dropped.has(t.name)), ...added],
  };
  return {
    model: { ...model, graph: rewritten, metadata: { ...model.metadata, [QUANTIZATION_METADATA]: `dynamic-per-channel-${type}` } },
    quantized: [...quantizedWeights.keys()],
    bytesBefore,
    bytesAfter,
  };
}

/** Dequantizes a per-channel weight back to float32 (for checks and tests). */
export function dequantizePerChannel(q: ChannelQuantized, dims: readonly [number, number]): Float32Array {
  const [rows, cols] = dims;
  const out = new Float32Array(rows * cols);
  for (let k = 0; k < rows; k++) {
    for (let n = 0; n < cols; n++) out[k * cols + n] = q.scales[n] * (q.values[k * cols + n] - q.zeroPoints[n]);
  }
  return out;
}

function plainNode(opType: string, name: string, inputs: string[], outputs: string[], attributes: NodeData['attributes'] = {}): NodeData {
  return { opType, name, inputs, outputs, attributes };
}
