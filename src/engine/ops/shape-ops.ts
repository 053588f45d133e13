import { int, intAttr, ints, intsAttr, tensor } from '../graph/attributes';
import { ShapeError, broadcastShapes, normalizeAxis, reshapeShape } from '../graph/shape';
import { Value } from '../graph/value';
import { Dim, TensorData } from '../onnx/model';
import {
  GradContext,
  Grads,
  Int64Operand,
  gradOf,
  input,
  inversePerm,
  knownInts,
  knownNumbers,
  knownOf,
  many,
  one,
  req,
  same,
  zerosLike,
} from './op';

/**
 * Shape manipulation and shape-valued ops. Opset 17 takes Unsqueeze/Squeeze axes, Split sizes
 * and Slice starts/ends/axes/steps as int64 inputs; literal number lists become cached constants.
 * Small int tensors whose content is known while building (`Shape(x)`, constants, Concat/Slice
 * of those) carry it as `known`, which Reshape/Expand/ConstantOfShape/Slice rules read.
 */

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

/** A shape-only op's gradient: dY reshaped back to x's runtime shape (the axes input gets none). */
const reshapeBack = (ctx: GradContext): Grads => [ctx.g.op.Reshape(gradOf(ctx), ctx.g.op.Shape(input(ctx, 0))), undefined];

export const SHAPE_OPS = {
  Transpose: one({
    emit: (_g, x: Value, perm: readonly number[]) => ({ inputs: [x], attributes: { perm: ints(perm) } }),
    infer: ([x], attrs) => {
      const perm = intsAttr(attrs, 'perm') ?? x!.shape.map((_, i) => x!.rank - 1 - i);
      if (perm.length !== x!.rank) throw new ShapeError(`Transpose: perm [${perm}] for rank ${x!.rank}`);
      return [{ dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]) }];
    },
    grad: (ctx): Grads => {
      const x = input(ctx, 0);
      const perm = intsAttr(ctx.node.attributes, 'perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
      return [ctx.g.op.Transpose(gradOf(ctx), inversePerm(perm))];
    },
  }),
  Reshape: one({
    emit: (g, x: Value, shape: Int64Operand) => ({ inputs: [x, g.int64s(shape)] }),
    infer: ([x, s]) => {
      const target = knownOf(s);
      if (!target) return [{ dtype: x!.dtype, shape: new Array<null>(Number(s!.shape[0])).fill(null) }];
      return [{ dtype: x!.dtype, shape: reshapeShape(x!.shape, target), known: x!.known }];
    },
    grad: reshapeBack,
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
    grad: reshapeBack,
  }),
  Squeeze: one({
    emit: (g, x: Value, axes?: Int64Operand) => ({ inputs: [x, axes === undefined ? undefined : g.int64s(axes)] }),
    infer: ([x, a]) => {
      const axes = a ? knownNumbers(a) : x!.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      if (!axes) throw new ShapeError('Squeeze: axes must be known while building');
      const set = new Set(axes.map((ax) => normalizeAxis(ax, x!.rank, 'Squeeze')));
      return [{ dtype: x!.dtype, shape: x!.shape.filter((_, i) => !set.has(i)) }];
    },
    grad: reshapeBack,
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
    // Each input's gradient is its slab of dY along the axis; offsets from static sizes when
    // known, else from the inputs' runtime shapes.
    grad: (ctx): Grads => {
      const { g, requires } = ctx;
      const gy = gradOf(ctx);
      const inputs = ctx.inputs.map((_, i) => input(ctx, i));
      const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), gy.rank, 'Concat');
      const sizes = inputs.map((x) => x.shape[axis]);
      let offset: Value | number = 0;
      return inputs.map((x, i) => {
        const size = sizes[i];
        const start: Value | number = offset;
        let end: Value | number;
        if (typeof start === 'number' && typeof size === 'number') end = start + size;
        else {
          const dim = g.op.Shape(x, axis, axis + 1);
          end = typeof start === 'number' ? (start === 0 ? dim : g.op.Add(dim, g.constant([start], 'int64'))) : g.op.Add(start, dim);
        }
        offset = end;
        if (!requires[i]) return undefined;
        const asOperand = (v: Value | number): Value | number[] => (typeof v === 'number' ? [v] : v);
        return g.op.Slice(gy, asOperand(start), asOperand(end), [axis]);
      });
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
    // The parts' gradients concatenated back; an unused part contributes zeros.
    grad: (ctx): Grads => {
      const { g } = ctx;
      const x = input(ctx, 0);
      const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), x.rank, 'Split');
      const parts = ctx.outputs.map((out, i) => ctx.gradOutputs[i] ?? zerosLike(g, out));
      return [g.op.Concat(parts, axis), undefined];
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
    // Zero-pads dY back: `start` zeros before, whatever is left after (runtime shapes).
    grad: (ctx): Grads => {
      const { g } = ctx;
      const x = input(ctx, 0);
      const starts = knownInts(ctx.inputs[1]);
      const axes = ctx.inputs[3] ? knownInts(ctx.inputs[3]) : starts?.map((_, i) => i);
      const steps = ctx.inputs[4] ? knownInts(ctx.inputs[4]) : starts?.map(() => 1);
      if (!starts || !axes || !steps || steps.some((s) => s !== 1) || starts.some((s) => s < 0)) {
        throw new Error(`Slice ${ctx.node.name}: only known, non-negative starts with step 1 are differentiated`);
      }
      const before = new Array<number>(x.rank).fill(0);
      axes.forEach((a, i) => (before[normalizeAxis(a, x.rank, 'Slice')] = starts[i]));
      const gy = gradOf(ctx);
      const beforeV = g.constant(before, 'int64');
      const after = g.op.Sub(g.op.Sub(g.op.Shape(x), g.op.Shape(gy)), beforeV);
      return [g.op.Pad(gy, g.op.Concat([beforeV, after], 0)), undefined, undefined, undefined, undefined];
    },
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
    // dY in the expanded shape; `backward` sums it back to x's shape.
    grad: (ctx): Grads => [gradOf(ctx), undefined],
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
  CumSum: one({
    emit: (g, x: Value, axis: number) => ({ inputs: [x, g.constant(axis, 'int64')] }),
    infer: same,
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
          shape: x!.shape.map((d, i) =>
            pads && typeof d === 'number' ? d + pads[i] + pads[i + r] : pads && pads[i] === 0 && pads[i + r] === 0 ? d : null,
          ),
        },
      ];
    },
  }),
  Size: one({
    emit: (_g, x: Value) => ({ inputs: [x] }),
    infer: () => [{ dtype: 'int64', shape: [] }],
  }),
} as const;
