import { Attributes, DType, Dim, NodeData, TensorData, tensorToNumbers } from '../onnx/model';
import { float, int, intAttr, ints, intsAttr, str, tensor } from './attributes';
import type { GraphBuilder } from './builder';
import { ShapeError, broadcastShapes, matmulShape, normalizeAxis, reshapeShape } from './shape';
import { Value, ValueType } from './value';

/**
 * The primitive op table: every ONNX op the engine emits, defined once. Each entry holds
 *  - `emit`: the typed call (`g.op.MatMul(a, b)`) turned into node inputs and attributes,
 *  - `infer`: the dtype/shape rule for its outputs,
 *  - `grad` (optional): the reverse-mode rule, returning d(loss)/d(input) per input.
 * Ops are opset 17 `ai.onnx` only.
 */

/** What an emitter produces: the node's inputs (undefined = omitted optional) and attributes. */
export interface NodeSpec {
  readonly inputs: readonly (Value | undefined)[];
  readonly attributes?: Attributes;
  /** Number of outputs (default 1). */
  readonly outputs?: number;
}

export type InferRule = (
  inputs: readonly (Value | undefined)[],
  attributes: Attributes,
  outputCount: number,
) => ValueType[];

/** Everything a gradient rule sees about one node of the forward graph. */
export interface GradContext {
  readonly g: GraphBuilder;
  readonly node: NodeData;
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  /** d(loss)/d(output i), or undefined where no gradient flows into that output. */
  readonly gradOutputs: readonly (Value | undefined)[];
}

/** d(loss)/d(input i) for each input; undefined where the input gets no gradient. */
export type GradRule = (ctx: GradContext) => (Value | undefined)[];

export interface SingleOutputOp<A extends unknown[]> {
  readonly outputs: 'one';
  readonly emit: (g: GraphBuilder, ...args: A) => NodeSpec;
  readonly infer: InferRule;
  readonly grad?: GradRule;
}

export interface MultiOutputOp<A extends unknown[]> {
  readonly outputs: 'many';
  readonly emit: (g: GraphBuilder, ...args: A) => NodeSpec;
  readonly infer: InferRule;
  readonly grad?: GradRule;
}


const one = <A extends unknown[]>(def: Omit<SingleOutputOp<A>, 'outputs'>): SingleOutputOp<A> => ({ outputs: 'one', ...def });
const many = <A extends unknown[]>(def: Omit<MultiOutputOp<A>, 'outputs'>): MultiOutputOp<A> => ({ outputs: 'many', ...def });

/** An int64 1-D operand given either as a value or as literal numbers (made a constant). */
export type Int64Operand = Value | readonly number[];

const ONNX_TO_DTYPE: Readonly<Record<number, DType>> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16' };
export const DTYPE_TO_ONNX: Readonly<Record<DType, number>> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10 };

function req(v: Value | undefined, op: string, what: string): Value {
  if (!v) throw new ShapeError(`${op}: missing ${what}`);
  return v;
}

const same: InferRule = ([x]) => [{ dtype: req(x, 'op', 'input').dtype, shape: x!.shape }];

const broadcasting =
  (op: string, dtype?: DType): InferRule =>
  (inputs) => {
    const vs = inputs.map((v, i) => req(v, op, `input ${i}`));
    for (const v of vs) {
      if (!dtype && v.dtype !== vs[0].dtype) {
        throw new ShapeError(`${op}: dtype mismatch ${vs.map((x) => x.dtype).join(' vs ')}`);
      }
    }
    return [{ dtype: dtype ?? vs[0].dtype, shape: broadcastShapes(vs.map((v) => v.shape), op) }];
  };

const binary = (op: string, dtype?: DType): SingleOutputOp<[Value, Value]> =>
  one({ emit: (_g, a: Value, b: Value) => ({ inputs: [a, b] }), infer: broadcasting(op, dtype) });

const unary = (): SingleOutputOp<[Value]> => one({ emit: (_g, x: Value) => ({ inputs: [x] }), infer: same });

/** Known integer content of a 1-D operand, when the builder can see it. */
function knownOf(v: Value | undefined): readonly Dim[] | undefined {
  return v?.known;
}

function knownNumbers(v: Value | undefined): number[] | undefined {
  const k = knownOf(v);
  return k && k.every((d) => typeof d === 'number') ? (k as number[]) : undefined;
}

function reduceShape(shape: readonly Dim[], axes: readonly number[] | undefined, keepdims: boolean, op: string): Dim[] {
  const rank = shape.length;
  const set = new Set((axes ?? shape.map((_, i) => i)).map((a) => normalizeAxis(a, rank, op)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

const reduceWithAttrAxes = (op: string): SingleOutputOp<[Value, (readonly number[])?, boolean?]> =>
  one({
    emit: (_g, x: Value, axes?: readonly number[], keepdims = true) => ({
      inputs: [x],
      attributes: { ...(axes ? { axes: ints(axes) } : {}), keepdims: int(keepdims ? 1 : 0) },
    }),
    infer: ([x], attrs) => [
      { dtype: x!.dtype, shape: reduceShape(x!.shape, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1, op) },
    ],
  });

function sliceDim(d: Dim, start: number, end: number, step: number): Dim | null {
  if (typeof d === 'string') {
    return start === 0 && step === 1 && end >= 2 ** 31 - 1 ? d : null;
  }
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = clamp(s, 0, d);
    e = clamp(e, 0, d);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, d - 1);
  e = clamp(e, -1, d - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

export const OPS = {
  // ── elementwise ────────────────────────────────────────────────────────────
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Pow: binary('Pow'),
  Max: binary('Max'),
  Min: binary('Min'),
  Equal: binary('Equal', 'bool'),
  Less: binary('Less', 'bool'),
  Greater: binary('Greater', 'bool'),
  LessOrEqual: binary('LessOrEqual', 'bool'),
  GreaterOrEqual: binary('GreaterOrEqual', 'bool'),
  And: binary('And', 'bool'),
  Or: binary('Or', 'bool'),
  Not: unary(),
  Neg: unary(),
  Abs: unary(),
  Sign: unary(),
  Exp: unary(),
  Log: unary(),
  Sqrt: unary(),
  Reciprocal: unary(),
  Tanh: unary(),
  Erf: unary(),
  Sigmoid: unary(),
  Relu: unary(),
  Identity: unary(),
  Where: one({
    emit: (_g, cond: Value, x: Value, y: Value) => ({ inputs: [cond, x, y] }),
    infer: ([c, x, y]) => [{ dtype: x!.dtype, shape: broadcastShapes([c!.shape, x!.shape, y!.shape], 'Where') }],
  }),
  Clip: one({
    emit: (_g, x: Value, min?: Value, max?: Value) => ({ inputs: [x, min, max] }),
    infer: same,
  }),
  Cast: one({
    emit: (_g, x: Value, to: DType) => ({ inputs: [x], attributes: { to: int(DTYPE_TO_ONNX[to]) } }),
    infer: ([x], attrs) => [{ dtype: ONNX_TO_DTYPE[intAttr(attrs, 'to', 1)], shape: x!.shape, known: x!.known }],
  }),

  // ── linear algebra ─────────────────────────────────────────────────────────
  MatMul: one({
    emit: (_g, a: Value, b: Value) => ({ inputs: [a, b] }),
    infer: ([a, b]) => [{ dtype: a!.dtype, shape: matmulShape(a!.shape, b!.shape) }],
  }),
  Gemm: one({
    emit: (_g, a: Value, b: Value, c?: Value, o: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}) => ({
      inputs: [a, b, c],
      attributes: {
        ...(o.alpha !== undefined ? { alpha: float(o.alpha) } : {}),
        ...(o.beta !== undefined ? { beta: float(o.beta) } : {}),
        ...(o.transA ? { transA: int(1) } : {}),
        ...(o.transB ? { transB: int(1) } : {}),
      },
    }),
    infer: ([a, b], attrs) => {
      const m = intAttr(attrs, 'transA', 0) ? a!.shape[1] : a!.shape[0];
      const n = intAttr(attrs, 'transB', 0) ? b!.shape[0] : b!.shape[1];
      return [{ dtype: a!.dtype, shape: [m, n] }];
    },
  }),

  // ── shape manipulation ─────────────────────────────────────────────────────
  Transpose: one({
    emit: (_g, x: Value, perm: readonly number[]) => ({ inputs: [x], attributes: { perm: ints(perm) } }),
    infer: ([x], attrs) => {
      const perm = intsAttr(attrs, 'perm') ?? x!.shape.map((_, i) => x!.rank - 1 - i);
      if (perm.length !== x!.rank) throw new ShapeError(`Transpose: perm [${perm}] for rank ${x!.rank}`);
      return [{ dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]) }];
    },
  }),
  Reshape: one({
    emit: (g, x: Value, shape: Int64Operand) => ({ inputs: [x, g.int64s(shape)] }),
    infer: ([x, s]) => {
      const target = knownOf(s);
      if (!target) return [{ dtype: x!.dtype, shape: new Array<null>(Number(s!.shape[0])).fill(null) }];
      return [{ dtype: x!.dtype, shape: reshapeShape(x!.shape, target), known: x!.known }];
    },
  }),
  Unsqueeze: one({
    emit: (g, x: Value, axes: Int64Operand) => ({ inputs: [x, g.int64s(axes)] }),
    infer: ([x, a]) => {
      const axes = knownNumbers(a);
      if (!axes) throw new ShapeError('Unsqueeze: axes must be known while building');
      const rank = x!.rank + axes.length;
      const norm = new Set(axes.map((ax) => normalizeAxis(ax, rank, 'Unsqueeze')));
      const out: Dim[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(norm.has(i) ? 1 : x!.shape[j++]);
      return [{ dtype: x!.dtype, shape: out, known: x!.rank === 0 ? x!.known : undefined }];
    },
  }),
  Squeeze: one({
    emit: (g, x: Value, axes?: Int64Operand) => ({ inputs: [x, axes === undefined ? undefined : g.int64s(axes)] }),
    infer: ([x, a]) => {
      const axes = a ? knownNumbers(a) : x!.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      if (!axes) throw new ShapeError('Squeeze: axes must be known while building');
      const set = new Set(axes.map((ax) => normalizeAxis(ax, x!.rank, 'Squeeze')));
      return [{ dtype: x!.dtype, shape: x!.shape.filter((_, i) => !set.has(i)) }];
    },
  }),
  Concat: one({
    emit: (_g, inputs: readonly Value[], axis: number) => ({ inputs, attributes: { axis: int(axis) } }),
    infer: (inputs, attrs) => {
      const vs = inputs.map((v) => req(v, 'Concat', 'input'));
      const axis = normalizeAxis(intAttr(attrs, 'axis', 0), vs[0].rank, 'Concat');
      const shape: (Dim | null)[] = [...vs[0].shape];
      let total: Dim | null = 0;
      for (const v of vs) {
        const d = v.shape[axis];
        total = typeof total === 'number' && typeof d === 'number' ? total + d : null;
      }
      shape[axis] = total;
      const parts = vs.map((v) => v.known);
      const known = vs[0].rank === 1 && parts.every(Boolean) ? parts.flatMap((p) => [...p!]) : undefined;
      return [{ dtype: vs[0].dtype, shape, known }];
    },
  }),
  Split: many({
    emit: (g, x: Value, axis: number, split: number | readonly number[]) =>
      typeof split === 'number'
        ? { inputs: [x], attributes: { axis: int(axis) }, outputs: split }
        : { inputs: [x, g.int64s(split)], attributes: { axis: int(axis) }, outputs: split.length },
    infer: ([x, s], attrs, count) => {
      const axis = normalizeAxis(intAttr(attrs, 'axis', 0), x!.rank, 'Split');
      const sizes = s ? knownNumbers(s) : undefined;
      const d = x!.shape[axis];
      return Array.from({ length: count }, (_, i) => {
        const shape: (Dim | null)[] = [...x!.shape];
        shape[axis] = sizes ? sizes[i] : typeof d === 'number' ? d / count : null;
        return { dtype: x!.dtype, shape };
      });
    },
  }),
  Slice: one({
    emit: (g, x: Value, starts: Int64Operand, ends: Int64Operand, axes?: Int64Operand, steps?: Int64Operand) => ({
      inputs: [x, g.int64s(starts), g.int64s(ends), axes && g.int64s(axes), steps && g.int64s(steps)],
    }),
    infer: ([x, st, en, ax, sp]) => {
      const starts = knownNumbers(st);
      const ends = knownNumbers(en);
      const n = Number(st!.shape[0]);
      const axes = ax ? knownNumbers(ax) : Array.from({ length: n }, (_, i) => i);
      const steps = sp ? knownNumbers(sp) : new Array<number>(n).fill(1);
      if (!axes) throw new ShapeError('Slice: axes must be known while building');
      const shape: (Dim | null)[] = [...x!.shape];
      axes.forEach((a, i) => {
        const axis = normalizeAxis(a, x!.rank, 'Slice');
        shape[axis] = starts && ends && steps ? sliceDim(x!.shape[axis], starts[i], ends[i], steps[i]) : null;
      });
      let known: Dim[] | undefined;
      if (x!.known && x!.rank === 1 && starts && ends && (!steps || steps[0] === 1)) {
        const len = x!.known.length;
        const s = Math.max(0, starts[0] < 0 ? starts[0] + len : Math.min(starts[0], len));
        const e = Math.max(0, ends[0] < 0 ? ends[0] + len : Math.min(ends[0], len));
        known = x!.known.slice(s, e);
      }
      return [{ dtype: x!.dtype, shape, known }];
    },
  }),
  Gather: one({
    emit: (_g, data: Value, indices: Value, axis: number = 0) => ({ inputs: [data, indices], attributes: { axis: int(axis) } }),
    infer: ([data, idx], attrs) => {
      const axis = normalizeAxis(intAttr(attrs, 'axis', 0), data!.rank, 'Gather');
      const shape = [...data!.shape.slice(0, axis), ...idx!.shape, ...data!.shape.slice(axis + 1)];
      let known: Dim[] | undefined;
      const picks = idx!.constant ? tensorToNumbers(idx!.constant) : undefined;
      if (data!.known && data!.rank === 1 && picks) {
        known = picks.map((p) => data!.known![p < 0 ? p + data!.known!.length : p]);
      }
      return [{ dtype: data!.dtype, shape, known }];
    },
  }),
  GatherElements: one({
    emit: (_g, data: Value, indices: Value, axis: number = 0) => ({ inputs: [data, indices], attributes: { axis: int(axis) } }),
    infer: ([data, idx]) => [{ dtype: data!.dtype, shape: idx!.shape }],
  }),
  Shape: one({
    emit: (_g, x: Value, start?: number, end?: number) => ({
      inputs: [x],
      attributes: { ...(start !== undefined ? { start: int(start) } : {}), ...(end !== undefined ? { end: int(end) } : {}) },
    }),
    infer: ([x], attrs) => {
      const r = x!.rank;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const known = x!.shape.slice(clamp(intAttr(attrs, 'start', 0)), clamp(intAttr(attrs, 'end', r)));
      return [{ dtype: 'int64', shape: [known.length], known }];
    },
  }),
  Expand: one({
    emit: (g, x: Value, shape: Int64Operand) => ({ inputs: [x, g.int64s(shape)] }),
    infer: ([x, s]) => {
      const target = knownOf(s);
      if (!target) return [{ dtype: x!.dtype, shape: new Array<null>(Number(s!.shape[0])).fill(null) }];
      return [{ dtype: x!.dtype, shape: broadcastShapes([x!.shape, target], 'Expand') }];
    },
  }),
  ConstantOfShape: one({
    emit: (_g, shape: Value, value: TensorData) => ({ inputs: [shape], attributes: { value: tensor(value) } }),
    infer: ([s], attrs) => {
      const v = attrs.value;
      const dtype = v && v.kind === 'tensor' ? v.value.dtype : 'float32';
      const target = knownOf(s);
      return [{ dtype, shape: target ? [...target] : new Array<null>(Number(s!.shape[0])).fill(null) }];
    },
  }),
  Range: one({
    emit: (_g, start: Value, limit: Value, delta: Value) => ({ inputs: [start, limit, delta] }),
    infer: ([start]) => [{ dtype: start!.dtype, shape: [null] }],
  }),
  OneHot: one({
    emit: (_g, indices: Value, depth: Value, values: Value, axis: number = -1) => ({
      inputs: [indices, depth, values],
      attributes: { axis: int(axis) },
    }),
    infer: ([idx, depth, values], attrs) => {
      const rank = idx!.rank + 1;
      const axis = normalizeAxis(intAttr(attrs, 'axis', -1), rank, 'OneHot');
      const d = depth!.constant ? tensorToNumbers(depth!.constant)[0] : null;
      const shape: (Dim | null)[] = [...idx!.shape];
      shape.splice(axis, 0, d);
      return [{ dtype: values!.dtype, shape }];
    },
  }),

  CumSum: one({
    emit: (g, x: Value, axis: number) => ({ inputs: [x, g.constant(axis, 'int64')] }),
    infer: same,
  }),

  /** `reduction` 'add' accumulates duplicate indices (embedding gradients). */
  ScatterND: one({
    emit: (_g, data: Value, indices: Value, updates: Value, reduction?: 'add' | 'mul' | 'max' | 'min') => ({
      inputs: [data, indices, updates],
      attributes: { ...(reduction ? { reduction: str(reduction) } : {}) },
    }),
    infer: ([data]) => [{ dtype: data!.dtype, shape: data!.shape }],
  }),
  ScatterElements: one({
    emit: (_g, data: Value, indices: Value, updates: Value, axis: number = 0, reduction?: 'add' | 'mul' | 'max' | 'min') => ({
      inputs: [data, indices, updates],
      attributes: { axis: int(axis), ...(reduction ? { reduction: str(reduction) } : {}) },
    }),
    infer: ([data]) => [{ dtype: data!.dtype, shape: data!.shape }],
  }),
  /** Constant-mode padding; `pads` is [begin_0, ..., begin_n, end_0, ..., end_n]. */
  Pad: one({
    emit: (g, x: Value, pads: Int64Operand, value?: Value) => ({ inputs: [x, g.int64s(pads), value] }),
    infer: ([x, p]) => {
      const pads = knownNumbers(p);
      const r = x!.rank;
      return [
        {
          dtype: x!.dtype,
          shape: x!.shape.map((d, i) => (pads && typeof d === 'number' ? d + pads[i] + pads[i + r] : pads && pads[i] === 0 && pads[i + r] === 0 ? d : null)),
        },
      ];
    },
  }),
  Size: one({
    emit: (_g, x: Value) => ({ inputs: [x] }),
    infer: () => [{ dtype: 'int64', shape: [] }],
  }),

  // ── reductions and normalisation ───────────────────────────────────────────
  ReduceSum: one({
    emit: (g, x: Value, axes?: Int64Operand, keepdims = true) => ({
      inputs: [x, axes === undefined ? undefined : g.int64s(axes)],
      attributes: { keepdims: int(keepdims ? 1 : 0) },
    }),
    infer: ([x, a], attrs) => {
      const axes = a ? knownNumbers(a) : undefined;
      if (a && !axes) throw new ShapeError('ReduceSum: axes must be known while building');
      return [{ dtype: x!.dtype, shape: reduceShape(x!.shape, axes, intAttr(attrs, 'keepdims', 1) === 1, 'ReduceSum') }];
    },
  }),
  ReduceMean: reduceWithAttrAxes('ReduceMean'),
  ReduceMax: reduceWithAttrAxes('ReduceMax'),
  ReduceMin: reduceWithAttrAxes('ReduceMin'),
  ReduceSumSquare: reduceWithAttrAxes('ReduceSumSquare'),
  ReduceLogSumExp: reduceWithAttrAxes('ReduceLogSumExp'),
  Softmax: one({
    emit: (_g, x: Value, axis: number = -1) => ({ inputs: [x], attributes: { axis: int(axis) } }),
    infer: same,
  }),
  LogSoftmax: one({
    emit: (_g, x: Value, axis: number = -1) => ({ inputs: [x], attributes: { axis: int(axis) } }),
    infer: same,
  }),
  /** Outputs [Y] or, with `stats`, [Y, Mean, InvStdDev] (reduced axes kept as 1). */
  LayerNormalization: many({
    emit: (_g, x: Value, scale: Value, bias: Value | undefined, o: { axis?: number; epsilon: number; stats?: boolean }) => ({
      inputs: [x, scale, bias],
      attributes: { axis: int(o.axis ?? -1), epsilon: float(o.epsilon) },
      outputs: o.stats ? 3 : 1,
    }),
    infer: ([x], attrs, count) => {
      const axis = normalizeAxis(intAttr(attrs, 'axis', -1), x!.rank, 'LayerNormalization');
      const statShape = x!.shape.map((d, i) => (i >= axis ? 1 : d));
      const out: ValueType[] = [{ dtype: x!.dtype, shape: x!.shape }];
      for (let i = 1; i < count; i++) out.push({ dtype: 'float32', shape: statShape });
      return out;
    },
  }),
  /** Training-mode dropout: outputs [output, mask]. The seed makes runs reproducible. */
  Dropout: many({
    emit: (g, x: Value, ratio: number, seed: number) => ({
      inputs: [x, g.constant(ratio, 'float32'), g.constant(1, 'bool')],
      attributes: { seed: int(seed) },
      outputs: 2,
    }),
    infer: ([x]) => [
      { dtype: x!.dtype, shape: x!.shape },
      { dtype: 'bool', shape: x!.shape },
    ],
  }),
} as const;

export type OpTable = typeof OPS;
export type OpType = keyof OpTable;

/** `g.op.X(...)`: each table entry as a method returning its output value (or values). */
export type OpCalls = {
  readonly [K in OpType]: OpTable[K] extends SingleOutputOp<infer A>
    ? (...args: A) => Value
    : OpTable[K] extends MultiOutputOp<infer A>
      ? (...args: A) => Value[]
      : never;
};
