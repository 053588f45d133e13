import type { GraphBuilder } from '../graph/builder';
import { int, intAttr, ints, intsAttr } from '../graph/attributes';
import { ShapeError, normalizeAxis } from '../graph/shape';
import { Value } from '../graph/value';
import { Dim } from '../onnx/model';
import { GradRule, Grads, Int64Operand, SingleOutputOp, f32, gradOf, input, knownInts, knownNumbers, one } from './op';

/**
 * Reductions. Opset 17: ReduceSum takes its axes as an int64 input, the others
 * (ReduceMean/Max/Min/SumSquare/LogSumExp) as an `axes` attribute.
 */

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

const reduceWithAttrAxes = (op: string, grad?: GradRule): SingleOutputOp<[Value, (readonly number[])?, boolean?]> =>
  one({
    emit: (_g, x: Value, axes?: readonly number[], keepdims = true) => ({
      inputs: [x],
      attributes: { ...(axes ? { axes: ints(axes) } : {}), keepdims: int(keepdims ? 1 : 0) },
    }),
    infer: ([x], attrs) => [
      { dtype: x!.dtype, shape: reduceShape(x!.shape, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1, op) },
    ],
    grad,
  });

/** `gy` (the gradient of a reduction output) broadcast back over the input `x`. */
function unreduce(g: GraphBuilder, gy: Value, x: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
  const restored =
    !keepdims && axes && axes.length > 0
      ? g.op.Unsqueeze(
          gy,
          axes.map((a) => normalizeAxis(a, x.rank, 'unreduce')),
        )
      : gy;
  return g.op.Expand(restored, g.op.Shape(x));
}

/** The number of elements of `x` as a float32 scalar, computed at run time. */
function sizeOf(g: GraphBuilder, x: Value): Value {
  return g.op.Cast(g.op.Size(x), 'float32');
}

export const REDUCE_OPS = {
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
    grad: (ctx): Grads => {
      const keepdims = intAttr(ctx.node.attributes, 'keepdims', 1) === 1;
      const axes = ctx.inputs[1] ? knownInts(ctx.inputs[1]) : undefined;
      if (ctx.inputs[1] && !axes) throw new Error(`ReduceSum ${ctx.node.name}: axes must be known`);
      return [unreduce(ctx.g, gradOf(ctx), input(ctx, 0), axes, keepdims), undefined];
    },
  }),
  ReduceMean: reduceWithAttrAxes('ReduceMean', (ctx): Grads => {
    const { g } = ctx;
    const x = input(ctx, 0);
    const keepdims = intAttr(ctx.node.attributes, 'keepdims', 1) === 1;
    const axes = intsAttr(ctx.node.attributes, 'axes');
    const spread = unreduce(g, gradOf(ctx), x, axes, keepdims);
    const reduced = (axes ?? x.shape.map((_, i) => i)).map((a) => x.shape[normalizeAxis(a, x.rank, 'ReduceMean')]);
    const count = reduced.every((d) => typeof d === 'number')
      ? f32(
          g,
          (reduced as number[]).reduce((p, d) => p * d, 1),
        )
      : g.op.Div(sizeOf(g, x), sizeOf(g, ctx.outputs[0]));
    return [g.op.Div(spread, count)];
  }),
  ReduceMax: reduceWithAttrAxes('ReduceMax'),
  ReduceMin: reduceWithAttrAxes('ReduceMin'),
  ReduceSumSquare: reduceWithAttrAxes('ReduceSumSquare'),
  ReduceLogSumExp: reduceWithAttrAxes('ReduceLogSumExp'),
} as const;
