import { intAttr, intsAttr } from '../graph/attributes';
import type { GraphBuilder } from '../graph/builder';
import type { GradContext, OpType } from '../graph/ops';
import { normalizeAxis } from '../graph/shape';
import { Value } from '../graph/value';
import { tensorToNumbers } from '../onnx/model';

/**
 * Vector-Jacobian rules, one per primitive op, in the style of tinygrad's gradient table: each
 * rule gets d(loss)/d(outputs) and returns d(loss)/d(inputs) as new graph values. A rule may
 * return a gradient in the broadcast (output) shape; the driver (`backward.ts`) sums it back to
 * the input's shape, so no rule repeats that logic. Every rule here has a finite-difference check
 * in `rules.spec.ts`.
 */
export interface VjpContext extends GradContext {
  /** Which inputs need a gradient (float paths from trainable tensors); rules skip the others. */
  readonly requires: readonly boolean[];
}

export type VjpRule = (ctx: VjpContext) => (Value | undefined)[];

const f32 = (g: GraphBuilder, v: number): Value => g.constant(v, 'float32');

/** Rank-generic permutation swapping the last two axes. */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function gradOf(ctx: VjpContext, i = 0): Value {
  const gy = ctx.gradOutputs[i];
  if (!gy) throw new Error(`${ctx.node.opType} ${ctx.node.name}: no gradient for output ${i}`);
  return gy;
}

function input(ctx: VjpContext, i: number): Value {
  const v = ctx.inputs[i];
  if (!v) throw new Error(`${ctx.node.opType} ${ctx.node.name}: input ${i} is absent`);
  return v;
}

/** Float zeros with the runtime shape of `like`. */
export function zerosLike(g: GraphBuilder, like: Value): Value {
  return g.op.ConstantOfShape(g.op.Shape(like), { dtype: like.dtype, dims: [1], data: new Float32Array([0]) });
}

/** The number of elements of `x` as a float32 scalar, computed at run time. */
function sizeOf(g: GraphBuilder, x: Value): Value {
  return g.op.Cast(g.op.Size(x), 'float32');
}

/** `gy` (the gradient of a reduction output) broadcast back over the input `x`. */
function unreduce(g: GraphBuilder, gy: Value, x: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
  const restored = !keepdims && axes && axes.length > 0 ? g.op.Unsqueeze(gy, axes.map((a) => normalizeAxis(a, x.rank, 'unreduce'))) : gy;
  return g.op.Expand(restored, g.op.Shape(x));
}

function knownInts(v: Value | undefined): number[] | undefined {
  if (!v) return undefined;
  if (v.constant) return tensorToNumbers(v.constant);
  const k = v.known;
  return k && k.every((d) => typeof d === 'number') ? (k as number[]) : undefined;
}

function scalarConstant(v: Value | undefined, what: string): number {
  if (!v?.constant) throw new Error(`${what} must be a constant to be differentiated`);
  return tensorToNumbers(v.constant)[0];
}

const isFloat = (v: Value | undefined): boolean => v?.dtype === 'float32' || v?.dtype === 'float16';

export const GRAD_RULES: Partial<Record<OpType, VjpRule>> = {
  // ── elementwise (broadcast reduction happens in the driver) ───────────────
  Identity: (ctx) => [gradOf(ctx)],
  Add: (ctx) => [gradOf(ctx), gradOf(ctx)],
  Sub: (ctx) => [gradOf(ctx), ctx.requires[1] ? ctx.g.op.Neg(gradOf(ctx)) : undefined],
  Mul: (ctx) => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    return [requires[0] ? g.op.Mul(gy, input(ctx, 1)) : undefined, requires[1] ? g.op.Mul(gy, input(ctx, 0)) : undefined];
  },
  Div: (ctx) => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    const b = input(ctx, 1);
    // d(a/b)/db = −(a/b)/b: reuses the forward output instead of squaring b.
    return [requires[0] ? g.op.Div(gy, b) : undefined, requires[1] ? g.op.Neg(g.op.Mul(gy, g.op.Div(ctx.outputs[0], b))) : undefined];
  },
  Neg: (ctx) => [ctx.g.op.Neg(gradOf(ctx))],
  Exp: (ctx) => [ctx.g.op.Mul(gradOf(ctx), ctx.outputs[0])],
  Log: (ctx) => [ctx.g.op.Div(gradOf(ctx), input(ctx, 0))],
  Sqrt: (ctx) => [ctx.g.op.Div(gradOf(ctx), ctx.g.op.Mul(ctx.outputs[0], f32(ctx.g, 2)))],
  Reciprocal: (ctx) => {
    const { g } = ctx;
    const y = ctx.outputs[0];
    return [g.op.Neg(g.op.Mul(gradOf(ctx), g.op.Mul(y, y)))];
  },
  Tanh: (ctx) => {
    const { g } = ctx;
    const y = ctx.outputs[0];
    return [g.op.Mul(gradOf(ctx), g.op.Sub(f32(g, 1), g.op.Mul(y, y)))];
  },
  Sigmoid: (ctx) => {
    const { g } = ctx;
    const y = ctx.outputs[0];
    return [g.op.Mul(gradOf(ctx), g.op.Mul(y, g.op.Sub(f32(g, 1), y)))];
  },
  Erf: (ctx) => {
    const { g } = ctx;
    const x = input(ctx, 0);
    // d erf(x)/dx = 2/√π · exp(−x²)
    const slope = g.op.Mul(g.op.Exp(g.op.Neg(g.op.Mul(x, x))), f32(g, 2 / Math.sqrt(Math.PI)));
    return [g.op.Mul(gradOf(ctx), slope)];
  },
  Relu: (ctx) => {
    const { g } = ctx;
    const positive = g.op.Cast(g.op.Greater(input(ctx, 0), f32(g, 0)), 'float32');
    return [g.op.Mul(gradOf(ctx), positive)];
  },
  Where: (ctx) => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    const cond = input(ctx, 0);
    const zero = f32(g, 0);
    return [undefined, requires[1] ? g.op.Where(cond, gy, zero) : undefined, requires[2] ? g.op.Where(cond, zero, gy) : undefined];
  },
  Cast: (ctx) => {
    const x = input(ctx, 0);
    if (!isFloat(x) || !isFloat(ctx.outputs[0])) return [undefined];
    const gy = gradOf(ctx);
    return [gy.dtype === x.dtype ? gy : ctx.g.op.Cast(gy, x.dtype)];
  },
  Expand: (ctx) => [gradOf(ctx), undefined],
  Dropout: (ctx) => {
    const { g } = ctx;
    if (ctx.outputs.length < 2) throw new Error(`Dropout ${ctx.node.name}: the mask output is needed for its gradient`);
    const ratio = ctx.inputs[1] ? scalarConstant(ctx.inputs[1], 'Dropout ratio') : 0.5;
    const keep = g.op.Cast(ctx.outputs[1], 'float32');
    return [g.op.Mul(g.op.Mul(gradOf(ctx), keep), f32(g, 1 / (1 - ratio))), undefined, undefined];
  },

  // ── linear algebra ───────────────────────────────────────────────────────
  MatMul: (ctx) => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    if (a.rank < 2 || b.rank < 2) throw new Error(`MatMul ${ctx.node.name}: 1-D operands are not differentiated`);
    const ga = requires[0] ? g.op.MatMul(gy, g.op.Transpose(b, swapLast(b.rank))) : undefined;
    let gb: Value | undefined;
    if (requires[1]) {
      const k = a.shape[a.rank - 1];
      const n = gy.shape[gy.rank - 1];
      if (b.rank === 2 && a.rank > 2 && typeof k === 'number' && typeof n === 'number') {
        // A shared [K, N] weight: fold the batch axes into the contraction, one 2-D MatMul.
        const a2 = g.op.Reshape(a, [-1, k]);
        gb = g.op.MatMul(g.op.Transpose(a2, [1, 0]), g.op.Reshape(gy, [-1, n]));
      } else {
        gb = g.op.MatMul(g.op.Transpose(a, swapLast(a.rank)), gy);
      }
    }
    return [ga, gb];
  },

  // ── shape manipulation ───────────────────────────────────────────────────
  Transpose: (ctx) => {
    const x = input(ctx, 0);
    const perm = intsAttr(ctx.node.attributes, 'perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
    return [ctx.g.op.Transpose(gradOf(ctx), inversePerm(perm))];
  },
  Reshape: (ctx) => [ctx.g.op.Reshape(gradOf(ctx), ctx.g.op.Shape(input(ctx, 0))), undefined],
  Unsqueeze: (ctx) => [ctx.g.op.Reshape(gradOf(ctx), ctx.g.op.Shape(input(ctx, 0))), undefined],
  Squeeze: (ctx) => [ctx.g.op.Reshape(gradOf(ctx), ctx.g.op.Shape(input(ctx, 0))), undefined],
  Concat: (ctx) => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    const inputs = ctx.inputs.map((_, i) => input(ctx, i));
    const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), gy.rank, 'Concat');
    // Each input's gradient is its slab of gy along the axis; offsets from static sizes when
    // known, else from the inputs' runtime shapes.
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
  Split: (ctx) => {
    const { g } = ctx;
    const x = input(ctx, 0);
    const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), x.rank, 'Split');
    const parts = ctx.outputs.map((out, i) => ctx.gradOutputs[i] ?? zerosLike(g, out));
    return [g.op.Concat(parts, axis), undefined];
  },
  Slice: (ctx) => {
    const { g } = ctx;
    const x = input(ctx, 0);
    const starts = knownInts(ctx.inputs[1]);
    const axes = ctx.inputs[3] ? knownInts(ctx.inputs[3]) : starts?.map((_, i) => i);
    const steps = ctx.inputs[4] ? knownInts(ctx.inputs[4]) : starts?.map(() => 1);
    if (!starts || !axes || !steps || steps.some((s) => s !== 1) || starts.some((s) => s < 0)) {
      throw new Error(`Slice ${ctx.node.name}: only known, non-negative starts with step 1 are differentiated`);
    }
    // Zero-pad the gradient back: `start` zeros before, whatever is left after (runtime shapes).
    const before = new Array<number>(x.rank).fill(0);
    axes.forEach((a, i) => (before[normalizeAxis(a, x.rank, 'Slice')] = starts[i]));
    const gy = gradOf(ctx);
    const beforeV = g.constant(before, 'int64');
    const after = g.op.Sub(g.op.Sub(g.op.Shape(x), g.op.Shape(gy)), beforeV);
    return [g.op.Pad(gy, g.op.Concat([beforeV, after], 0)), undefined, undefined, undefined, undefined];
  },
  Gather: (ctx) => {
    const { g } = ctx;
    const data = input(ctx, 0);
    const indices = input(ctx, 1);
    const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), data.rank, 'Gather');
    const gy = gradOf(ctx);
    const q = indices.rank;
    // Sparse accumulation: ScatterND(reduction=add) of the gathered slices into zeros, after
    // moving the gathered axis to the front (so one rule covers embeddings and h[:, 0]).
    const gyPerm = [
      ...Array.from({ length: q }, (_, i) => axis + i),
      ...Array.from({ length: axis }, (_, i) => i),
      ...Array.from({ length: gy.rank - axis - q }, (_, i) => axis + q + i),
    ];
    const dataPerm = [axis, ...Array.from({ length: data.rank }, (_, i) => i).filter((i) => i !== axis)];
    const updates = axis === 0 ? gy : g.op.Transpose(gy, gyPerm);
    const zeros = zerosLike(g, axis === 0 ? data : g.op.Transpose(data, dataPerm));
    const scattered = g.op.ScatterND(zeros, g.op.Unsqueeze(indices, [-1]), updates, 'add');
    return [axis === 0 ? scattered : g.op.Transpose(scattered, inversePerm(dataPerm)), undefined];
  },
  GatherElements: (ctx) => {
    const data = input(ctx, 0);
    const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), data.rank, 'GatherElements');
    return [ctx.g.op.ScatterElements(zerosLike(ctx.g, data), input(ctx, 1), gradOf(ctx), axis, 'add'), undefined];
  },

  // ── reductions and normalisation ─────────────────────────────────────────
  ReduceSum: (ctx) => {
    const keepdims = intAttr(ctx.node.attributes, 'keepdims', 1) === 1;
    const axes = ctx.inputs[1] ? knownInts(ctx.inputs[1]) : undefined;
    if (ctx.inputs[1] && !axes) throw new Error(`ReduceSum ${ctx.node.name}: axes must be known`);
    return [unreduce(ctx.g, gradOf(ctx), input(ctx, 0), axes, keepdims), undefined];
  },
  ReduceMean: (ctx) => {
    const { g } = ctx;
    const x = input(ctx, 0);
    const keepdims = intAttr(ctx.node.attributes, 'keepdims', 1) === 1;
    const axes = intsAttr(ctx.node.attributes, 'axes');
    const spread = unreduce(g, gradOf(ctx), x, axes, keepdims);
    const reduced = (axes ?? x.shape.map((_, i) => i)).map((a) => x.shape[normalizeAxis(a, x.rank, 'ReduceMean')]);
    const count = reduced.every((d) => typeof d === 'number')
      ? f32(g, (reduced as number[]).reduce((p, d) => p * d, 1))
      : g.op.Div(sizeOf(g, x), sizeOf(g, ctx.outputs[0]));
    return [g.op.Div(spread, count)];
  },
  Softmax: (ctx) => {
    const { g } = ctx;
    const y = ctx.outputs[0];
    const gy = gradOf(ctx);
    const axis = intAttr(ctx.node.attributes, 'axis', -1);
    const dot = g.op.ReduceSum(g.op.Mul(gy, y), [axis], true);
    return [g.op.Mul(y, g.op.Sub(gy, dot))];
  },
  LogSoftmax: (ctx) => {
    const { g } = ctx;
    const gy = gradOf(ctx);
    const axis = intAttr(ctx.node.attributes, 'axis', -1);
    return [g.op.Sub(gy, g.op.Mul(g.op.Exp(ctx.outputs[0]), g.op.ReduceSum(gy, [axis], true)))];
  },
  LayerNormalization: (ctx) => {
    const { g, requires } = ctx;
    const x = input(ctx, 0);
    const scale = input(ctx, 1);
    const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', -1), x.rank, 'LayerNormalization');
    const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
    if (ctx.outputs.length < 3) throw new Error(`LayerNormalization ${ctx.node.name}: training graphs need its Mean/InvStdDev outputs`);
    const mean = ctx.outputs[1];
    const invStd = ctx.outputs[2];
    const gy = gradOf(ctx);
    const xHat = g.op.Mul(g.op.Sub(x, mean), invStd);
    let gx: Value | undefined;
    if (requires[0]) {
      // dx = invStd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)), ĝ = dy · scale, means over the normalised axes.
      const gHat = g.op.Mul(gy, scale);
      const centred = g.op.Sub(gHat, g.op.ReduceMean(gHat, axes, true));
      gx = g.op.Mul(invStd, g.op.Sub(centred, g.op.Mul(xHat, g.op.ReduceMean(g.op.Mul(gHat, xHat), axes, true))));
    }
    return [gx, requires[1] ? g.op.Mul(gy, xHat) : undefined, requires[2] ? gy : undefined];
  },
};
