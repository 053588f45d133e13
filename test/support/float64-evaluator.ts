import { intAttr, intsAttr, floatAttr } from '../../src/engine/graph/attributes';
import { AttributeValue, DType, GraphData, NodeData, TensorData, tensorToNumbers } from '../../src/engine/onnx/model';

/**
 * A reference interpreter of the engine's graph IR in float64 (plain JS loops, no ONNX Runtime).
 * It exists so gradient rules can be checked against central finite differences at a precision
 * float32 cannot give (and ONNX Runtime has no float64 Erf kernel). Integer and bool tensors are
 * held as doubles too. It is deliberately simple and slow: small test graphs only.
 */
export interface Tensor64 {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

type Attrs = Readonly<Record<string, AttributeValue>>;
type Kernel = (inputs: (Tensor64 | undefined)[], attrs: Attrs, node: NodeData) => Tensor64[];

export function tensor64(dtype: DType, dims: readonly number[], values: ArrayLike<number>): Tensor64 {
  return { dtype, dims: [...dims], data: Float64Array.from(values) };
}

function fromTensorData(t: TensorData): Tensor64 {
  return tensor64(t.dtype, t.dims, tensorToNumbers(t));
}

const size = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

function unravel(k: number, dims: readonly number[], out: number[]): void {
  for (let i = dims.length - 1; i >= 0; i--) {
    out[i] = k % dims[i];
    k = Math.floor(k / dims[i]);
  }
}

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

function broadcastDims(all: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...all.map((d) => d.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const dims of all) {
      const j = i - (rank - dims.length);
      if (j < 0 || dims[j] === 1) continue;
      if (d !== 1 && d !== dims[j]) throw new Error(`cannot broadcast [${all.map((x) => x.join(',')).join('] [')}]`);
      d = dims[j];
    }
    out.push(d);
  }
  return out;
}

/** For each operand, the flat offset of every output element under numpy broadcasting. */
function broadcastOffsets(outDims: readonly number[], dims: readonly number[]): Int32Array {
  const n = size(outDims);
  const lead = outDims.length - dims.length;
  const st = strides(dims);
  const idx = new Array<number>(outDims.length);
  const offs = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    unravel(k, outDims, idx);
    let o = 0;
    for (let i = 0; i < dims.length; i++) if (dims[i] !== 1) o += idx[i + lead] * st[i];
    offs[k] = o;
  }
  return offs;
}

function elementwise(dtype: DType | 'first', fn: (...xs: number[]) => number): Kernel {
  return (inputs) => {
    const ts = inputs as Tensor64[];
    const outDims = broadcastDims(ts.map((t) => t.dims));
    const offs = ts.map((t) => broadcastOffsets(outDims, t.dims));
    const out = new Float64Array(size(outDims));
    const args = new Array<number>(ts.length);
    for (let k = 0; k < out.length; k++) {
      for (let j = 0; j < ts.length; j++) args[j] = ts[j].data[offs[j][k]];
      out[k] = fn(...args);
    }
    const resultType = dtype === 'first' ? ts[ts.length === 3 ? 1 : 0].dtype : dtype;
    return [{ dtype: resultType, dims: outDims, data: out }];
  };
}

const unary =
  (fn: (x: number) => number): Kernel =>
  ([x]) => [{ dtype: x!.dtype, dims: x!.dims, data: x!.data.map(fn) }];

/** erf to ~1e-15: Maclaurin series near 0, Lentz continued fraction of erfc in the tails. */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const a = n / 2;
    d = ax + a * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Reduction bookkeeping: output dims and, per input element, its output slot. */
function reduction(
  dims: readonly number[],
  axes: readonly number[] | undefined,
  keepdims: boolean,
): { outDims: number[]; slot: Int32Array; kept: number[] } {
  const rank = dims.length;
  const set = new Set((axes && axes.length ? axes : dims.map((_, i) => i)).map((a) => norm(a, rank)));
  const kept = dims.map((d, i) => (set.has(i) ? 1 : d));
  const outDims = keepdims ? kept : dims.filter((_, i) => !set.has(i));
  const st = strides(kept);
  const idx = new Array<number>(rank);
  const slot = new Int32Array(size(dims));
  for (let k = 0; k < slot.length; k++) {
    unravel(k, dims, idx);
    let o = 0;
    for (let i = 0; i < rank; i++) if (!set.has(i)) o += idx[i] * st[i];
    slot[k] = o;
  }
  return { outDims, slot, kept };
}

function reduce(
  x: Tensor64,
  axes: readonly number[] | undefined,
  keepdims: boolean,
  init: number,
  fn: (acc: number, v: number) => number,
): { out: Tensor64; slot: Int32Array; counts: number } {
  const { outDims, slot } = reduction(x.dims, axes, keepdims);
  const out = new Float64Array(size(outDims)).fill(init);
  for (let k = 0; k < x.data.length; k++) out[slot[k]] = fn(out[slot[k]], x.data[k]);
  return { out: { dtype: x.dtype, dims: outDims, data: out }, slot, counts: x.data.length / Math.max(1, out.length) };
}

function ints(t: Tensor64 | undefined): number[] {
  return t ? Array.from(t.data) : [];
}

function transpose(x: Tensor64, perm: readonly number[]): Tensor64 {
  const outDims = perm.map((p) => x.dims[p]);
  const st = strides(x.dims);
  const idx = new Array<number>(outDims.length);
  const out = new Float64Array(x.data.length);
  for (let k = 0; k < out.length; k++) {
    unravel(k, outDims, idx);
    let o = 0;
    for (let i = 0; i < perm.length; i++) o += idx[i] * st[perm[i]];
    out[k] = x.data[o];
  }
  return { dtype: x.dtype, dims: outDims, data: out };
}

/** Deterministic keep decisions for a Dropout node (the reference only needs them fixed per seed). */
function dropoutKeep(seed: number, k: number, ratio: number): boolean {
  let z = (Math.imul(seed | 0, 0x9e3779b1) + Math.imul(k + 1, 0x85ebca6b)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32 >= ratio;
}

const KERNELS: Readonly<Record<string, Kernel>> = {
  Add: elementwise('first', (a, b) => a + b),
  Sub: elementwise('first', (a, b) => a - b),
  Mul: elementwise('first', (a, b) => a * b),
  Div: elementwise('first', (a, b) => a / b),
  Pow: elementwise('first', (a, b) => a ** b),
  Max: elementwise('first', (a, b) => Math.max(a, b)),
  Min: elementwise('first', (a, b) => Math.min(a, b)),
  Equal: elementwise('bool', (a, b) => +(a === b)),
  Less: elementwise('bool', (a, b) => +(a < b)),
  Greater: elementwise('bool', (a, b) => +(a > b)),
  LessOrEqual: elementwise('bool', (a, b) => +(a <= b)),
  GreaterOrEqual: elementwise('bool', (a, b) => +(a >= b)),
  And: elementwise('bool', (a, b) => +(a !== 0 && b !== 0)),
  Or: elementwise('bool', (a, b) => +(a !== 0 || b !== 0)),
  Where: elementwise('first', (c, a, b) => (c !== 0 ? a : b)),
  Not: unary((x) => +(x === 0)),
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Sign: unary(Math.sign),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((x) => 1 / x),
  Tanh: unary(Math.tanh),
  Erf: unary(erf64),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  Relu: unary((x) => Math.max(0, x)),
  Identity: unary((x) => x),
  Cast: ([x], attrs) => {
    const to = ({ 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16' } as Record<number, DType>)[intAttr(attrs, 'to', 1)];
    const fn = to === 'bool' ? (v: number) => +(v !== 0) : to === 'int64' || to === 'int32' ? Math.trunc : (v: number) => v;
    return [{ dtype: to, dims: x!.dims, data: x!.data.map(fn) }];
  },
  MatMul: ([a, b]) => {
    const [m, k] = a!.dims.slice(-2);
    const [k2, n] = b!.dims.slice(-2);
    if (k !== k2) throw new Error(`MatMul inner dims ${k} vs ${k2}`);
    const batch = broadcastDims([a!.dims.slice(0, -2), b!.dims.slice(0, -2)]);
    const aOff = broadcastOffsets(batch, a!.dims.slice(0, -2));
    const bOff = broadcastOffsets(batch, b!.dims.slice(0, -2));
    const nb = size(batch);
    const out = new Float64Array(nb * m * n);
    for (let t = 0; t < nb; t++) {
      const ao = aOff[t] * m * k;
      const bo = bOff[t] * k * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a!.data[ao + i * k + p] * b!.data[bo + p * n + j];
          out[t * m * n + i * n + j] = s;
        }
      }
    }
    return [{ dtype: a!.dtype, dims: [...batch, m, n], data: out }];
  },
  Transpose: ([x], attrs) => [transpose(x!, intsAttr(attrs, 'perm') ?? x!.dims.map((_, i) => x!.dims.length - 1 - i))],
  Reshape: ([x, s]) => {
    const target = ints(s).map((d, i) => (d === 0 ? x!.dims[i] : d));
    const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    return [{ dtype: x!.dtype, dims: target.map((d) => (d === -1 ? x!.data.length / known : d)), data: x!.data }];
  },
  Unsqueeze: ([x, a]) => {
    const rank = x!.dims.length + ints(a).length;
    const axes = new Set(ints(a).map((v) => norm(v, rank)));
    const dims: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) dims.push(axes.has(i) ? 1 : x!.dims[j++]);
    return [{ dtype: x!.dtype, dims, data: x!.data }];
  },
  Squeeze: ([x, a]) => {
    const axes = a ? new Set(ints(a).map((v) => norm(v, x!.dims.length))) : new Set(x!.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
    return [{ dtype: x!.dtype, dims: x!.dims.filter((_, i) => !axes.has(i)), data: x!.data }];
  },
  Concat: (inputs, attrs) => {
    const ts = inputs as Tensor64[];
    const axis = norm(intAttr(attrs, 'axis', 0), ts[0].dims.length);
    const dims = [...ts[0].dims];
    dims[axis] = ts.reduce((s, t) => s + t.dims[axis], 0);
    const outer = size(dims.slice(0, axis));
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const t of ts) {
        const chunk = size(t.dims.slice(axis));
        for (let i = 0; i < chunk; i++) out.push(t.data[o * chunk + i]);
      }
    }
    return [tensor64(ts[0].dtype, dims, out)];
  },
  CumSum: ([x, a], attrs) => {
    if (intAttr(attrs, 'exclusive', 0) || intAttr(attrs, 'reverse', 0)) throw new Error('evaluator: CumSum exclusive/reverse');
    const axis = norm(a!.data[0], x!.dims.length);
    const inner = size(x!.dims.slice(axis + 1));
    const n = x!.dims[axis];
    const out = Float64Array.from(x!.data);
    for (let k = 0; k < out.length; k++) {
      if (Math.floor(k / inner) % n !== 0) out[k] += out[k - inner];
    }
    return [{ dtype: x!.dtype, dims: x!.dims, data: out }];
  },
  Split: ([x, sp], attrs, node) => {
    const axis = norm(intAttr(attrs, 'axis', 0), x!.dims.length);
    const count = node.outputs.length;
    const sizes = sp ? ints(sp) : new Array<number>(count).fill(x!.dims[axis] / count);
    const outer = size(x!.dims.slice(0, axis));
    const inner = size(x!.dims.slice(axis + 1));
    let start = 0;
    return sizes.map((n) => {
      const dims = [...x!.dims];
      dims[axis] = n;
      const out = new Float64Array(size(dims));
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < n * inner; j++) out[o * n * inner + j] = x!.data[(o * x!.dims[axis] + start) * inner + j];
      }
      start += n;
      return { dtype: x!.dtype, dims, data: out };
    });
  },
  Slice: ([x, st, en, ax, sp]) => {
    const rank = x!.dims.length;
    const starts = ints(st);
    const axes = ax ? ints(ax).map((a) => norm(a, rank)) : starts.map((_, i) => i);
    const steps = sp ? ints(sp) : starts.map(() => 1);
    const begin = new Array<number>(rank).fill(0);
    const step = new Array<number>(rank).fill(1);
    const dims = [...x!.dims];
    axes.forEach((a, i) => {
      const d = x!.dims[a];
      let s = starts[i] < 0 ? starts[i] + d : starts[i];
      let e = ints(en)[i] < 0 ? ints(en)[i] + d : ints(en)[i];
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      if (steps[i] !== 1) throw new Error('evaluator: Slice steps other than 1');
      begin[a] = s;
      step[a] = steps[i];
      dims[a] = Math.max(0, e - s);
    });
    const xs = strides(x!.dims);
    const idx = new Array<number>(rank);
    const out = new Float64Array(size(dims));
    for (let k = 0; k < out.length; k++) {
      unravel(k, dims, idx);
      let o = 0;
      for (let i = 0; i < rank; i++) o += (begin[i] + idx[i]) * xs[i];
      out[k] = x!.data[o];
    }
    return [{ dtype: x!.dtype, dims, data: out }];
  },
  Gather: ([data, indices], attrs) => {
    const d = data!;
    const axis = norm(intAttr(attrs, 'axis', 0), d.dims.length);
    const outer = size(d.dims.slice(0, axis));
    const inner = size(d.dims.slice(axis + 1));
    const n = d.dims[axis];
    const idx = indices!.data;
    const out = new Float64Array(outer * idx.length * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const r = idx[j] < 0 ? idx[j] + n : idx[j];
        for (let i = 0; i < inner; i++) out[(o * idx.length + j) * inner + i] = d.data[(o * n + r) * inner + i];
      }
    }
    return [{ dtype: d.dtype, dims: [...d.dims.slice(0, axis), ...indices!.dims, ...d.dims.slice(axis + 1)], data: out }];
  },
  GatherElements: ([data, indices], attrs) => {
    const axis = norm(intAttr(attrs, 'axis', 0), data!.dims.length);
    const ds = strides(data!.dims);
    const idx = new Array<number>(indices!.dims.length);
    const out = new Float64Array(indices!.data.length);
    for (let k = 0; k < out.length; k++) {
      unravel(k, indices!.dims, idx);
      let o = 0;
      for (let i = 0; i < idx.length; i++) o += (i === axis ? indices!.data[k] : idx[i]) * ds[i];
      out[k] = data!.data[o];
    }
    return [{ dtype: data!.dtype, dims: indices!.dims, data: out }];
  },
  ScatterElements: ([data, indices, updates], attrs) => {
    const axis = norm(intAttr(attrs, 'axis', 0), data!.dims.length);
    const add = attrs.reduction?.kind === 'string' && attrs.reduction.value === 'add';
    const ds = strides(data!.dims);
    const out = Float64Array.from(data!.data);
    const idx = new Array<number>(indices!.dims.length);
    for (let k = 0; k < indices!.data.length; k++) {
      unravel(k, indices!.dims, idx);
      let o = 0;
      for (let i = 0; i < idx.length; i++) o += (i === axis ? indices!.data[k] : idx[i]) * ds[i];
      out[o] = add ? out[o] + updates!.data[k] : updates!.data[k];
    }
    return [{ dtype: data!.dtype, dims: data!.dims, data: out }];
  },
  ScatterND: ([data, indices, updates], attrs) => {
    const add = attrs.reduction?.kind === 'string' && attrs.reduction.value === 'add';
    const q = indices!.dims[indices!.dims.length - 1];
    const ds = strides(data!.dims);
    const slice = size(data!.dims.slice(q));
    const count = indices!.data.length / q;
    const out = Float64Array.from(data!.data);
    for (let j = 0; j < count; j++) {
      let o = 0;
      for (let i = 0; i < q; i++) o += indices!.data[j * q + i] * ds[i];
      for (let i = 0; i < slice; i++) out[o + i] = add ? out[o + i] + updates!.data[j * slice + i] : updates!.data[j * slice + i];
    }
    return [{ dtype: data!.dtype, dims: data!.dims, data: out }];
  },
  Pad: ([x, p]) => {
    const pads = ints(p);
    const rank = x!.dims.length;
    const dims = x!.dims.map((d, i) => d + pads[i] + pads[i + rank]);
    const out = new Float64Array(size(dims));
    const os = strides(dims);
    const idx = new Array<number>(rank);
    for (let k = 0; k < x!.data.length; k++) {
      unravel(k, x!.dims, idx);
      let o = 0;
      for (let i = 0; i < rank; i++) o += (idx[i] + pads[i]) * os[i];
      out[o] = x!.data[k];
    }
    return [{ dtype: x!.dtype, dims, data: out }];
  },
  Shape: ([x], attrs) => {
    const r = x!.dims.length;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const dims = x!.dims.slice(clamp(intAttr(attrs, 'start', 0)), clamp(intAttr(attrs, 'end', r)));
    return [tensor64('int64', [dims.length], dims)];
  },
  Size: ([x]) => [tensor64('int64', [], [x!.data.length])],
  Expand: ([x, s]) => {
    const dims = broadcastDims([x!.dims, ints(s)]);
    const offs = broadcastOffsets(dims, x!.dims);
    return [{ dtype: x!.dtype, dims, data: Float64Array.from(offs, (o) => x!.data[o]) }];
  },
  ConstantOfShape: ([s], attrs) => {
    const v = attrs.value;
    const t = v && v.kind === 'tensor' ? fromTensorData(v.value) : tensor64('float32', [1], [0]);
    const dims = ints(s);
    return [{ dtype: t.dtype, dims, data: new Float64Array(size(dims)).fill(t.data[0]) }];
  },
  ReduceSum: ([x, a], attrs) => [reduce(x!, a ? ints(a) : undefined, intAttr(attrs, 'keepdims', 1) === 1, 0, (s, v) => s + v).out],
  ReduceSumSquare: ([x], attrs) => [reduce(x!, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1, 0, (s, v) => s + v * v).out],
  ReduceMax: ([x], attrs) => [reduce(x!, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1, -Infinity, Math.max).out],
  ReduceMean: ([x], attrs) => {
    const r = reduce(x!, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1, 0, (s, v) => s + v);
    return [{ ...r.out, data: r.out.data.map((v) => v / r.counts) }];
  },
  Softmax: ([x], attrs) => [softmax64(x!, intAttr(attrs, 'axis', -1), false)],
  LogSoftmax: ([x], attrs) => [softmax64(x!, intAttr(attrs, 'axis', -1), true)],
  LayerNormalization: ([x, scale, bias], attrs, node) => {
    const rank = x!.dims.length;
    const axis = norm(intAttr(attrs, 'axis', -1), rank);
    const eps = floatAttr(attrs, 'epsilon', 1e-5);
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const mean = reduce(x!, axes, true, 0, (s, v) => s + v);
    const m = mean.out.data.map((v) => v / mean.counts);
    const varSum = new Float64Array(m.length);
    for (let k = 0; k < x!.data.length; k++) varSum[mean.slot[k]] += (x!.data[k] - m[mean.slot[k]]) ** 2;
    const inv = varSum.map((v) => 1 / Math.sqrt(v / mean.counts + eps));
    const inner = size(x!.dims.slice(axis));
    const y = new Float64Array(x!.data.length);
    for (let k = 0; k < y.length; k++) {
      const s = mean.slot[k];
      y[k] = (x!.data[k] - m[s]) * inv[s] * scale!.data[k % inner] + (bias ? bias.data[k % inner] : 0);
    }
    const outs: Tensor64[] = [{ dtype: x!.dtype, dims: x!.dims, data: y }];
    if (node.outputs.length > 1) outs.push({ dtype: 'float32', dims: mean.out.dims, data: m });
    if (node.outputs.length > 2) outs.push({ dtype: 'float32', dims: mean.out.dims, data: inv });
    return outs;
  },
  Dropout: ([x, r, t], attrs) => {
    const ratio = r ? r.data[0] : 0.5;
    const training = t ? t.data[0] !== 0 : false;
    const seed = intAttr(attrs, 'seed', 0);
    const mask = new Float64Array(x!.data.length).map((_, k) => (!training || dropoutKeep(seed, k, ratio) ? 1 : 0));
    const scale = training ? 1 / (1 - ratio) : 1;
    const y = x!.data.map((v, k) => v * mask[k] * scale);
    return [
      { dtype: x!.dtype, dims: x!.dims, data: y },
      { dtype: 'bool', dims: x!.dims, data: mask },
    ];
  },
};

function softmax64(x: Tensor64, axis: number, log: boolean): Tensor64 {
  const a = norm(axis, x.dims.length);
  const max = reduce(x, [a], true, -Infinity, Math.max);
  const sum = new Float64Array(max.out.data.length);
  for (let k = 0; k < x.data.length; k++) sum[max.slot[k]] += Math.exp(x.data[k] - max.out.data[max.slot[k]]);
  const out = x.data.map((v, k) => {
    const s = max.slot[k];
    const shifted = v - max.out.data[s];
    return log ? shifted - Math.log(sum[s]) : Math.exp(shifted) / sum[s];
  });
  return { dtype: x.dtype, dims: x.dims, data: out };
}

/**
 * Runs `graph` on `feeds` (by input name) and returns every value computed, by name.
 * Initializers are read from the graph; feeds override them.
 */
export function evaluate64(graph: GraphData, feeds: ReadonlyMap<string, Tensor64> | Record<string, Tensor64>): Map<string, Tensor64> {
  const values = new Map<string, Tensor64>();
  for (const init of graph.initializers) values.set(init.name, fromTensorData(init));
  const entries = feeds instanceof Map ? [...feeds.entries()] : Object.entries(feeds);
  for (const [name, t] of entries) values.set(name, t);
  for (const input of graph.inputs) {
    if (!values.has(input.name)) throw new Error(`evaluate64: no feed for input "${input.name}"`);
  }
  for (const node of graph.nodes) {
    const kernel = KERNELS[node.opType];
    if (!kernel) throw new Error(`evaluate64: no kernel for ${node.opType}`);
    const inputs = node.inputs.map((name) => {
      if (name === '') return undefined;
      const v = values.get(name);
      if (!v) throw new Error(`evaluate64: ${node.name} reads "${name}" before it is computed`);
      return v;
    });
    const outs = kernel(inputs, node.attributes, node);
    node.outputs.forEach((name, i) => {
      if (outs[i]) values.set(name, outs[i]);
    });
  }
  return values;
}
