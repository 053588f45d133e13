import { int, intAttr } from '../graph/attributes';
import { ShapeError, broadcastShapes } from '../graph/shape';
import { Value } from '../graph/value';
import { DTYPE_OF_ONNX, DType, ONNX_DATA_TYPE } from '../onnx/model';
import { GradContext, GradRule, Grads, InferRule, SingleOutputOp, f32, gradOf, input, one, req, same } from './op';

/**
 * Elementwise ops: numpy broadcasting for the binary ones, dtype kept (or bool for comparisons).
 * Gradients may come back in the broadcast shape; `backward` reduces them to each input's shape.
 */

const broadcasting =
  (op: string, dtype?: DType): InferRule =>
  (inputs) => {
    const vs = inputs.map((v, i) => req(v, op, `input ${i}`));
    for (const v of vs) {
      if (!dtype && v.dtype !== vs[0].dtype) {
        throw new ShapeError(`${op}: dtype mismatch ${vs.map((x) => x.dtype).join(' vs ')}`);
      }
    }
    return [
      {
        dtype: dtype ?? vs[0].dtype,
        shape: broadcastShapes(
          vs.map((v) => v.shape),
          op,
        ),
      },
    ];
  };

const binary = (op: string, grad?: GradRule): SingleOutputOp<[Value, Value]> =>
  one({ emit: (_g, a: Value, b: Value) => ({ inputs: [a, b] }), infer: broadcasting(op), grad });

/** Comparisons and logic: bool outputs, which carry no gradient. */
const predicate = (op: string): SingleOutputOp<[Value, Value]> =>
  one({ emit: (_g, a: Value, b: Value) => ({ inputs: [a, b] }), infer: broadcasting(op, 'bool') });

const unary = (grad?: GradRule): SingleOutputOp<[Value]> => one({ emit: (_g, x: Value) => ({ inputs: [x] }), infer: same, grad });

const isFloat = (v: Value | undefined): boolean => v?.dtype === 'float32' || v?.dtype === 'float16';

/** The output y, for rules written in terms of it (exp, tanh, sigmoid, ...). */
const y0 = (ctx: GradContext): Value => ctx.outputs[0];

export const ELEMENTWISE_OPS = {
  Add: binary('Add', (ctx): Grads => [gradOf(ctx), gradOf(ctx)]),
  Sub: binary('Sub', (ctx): Grads => [gradOf(ctx), ctx.requires[1] ? ctx.g.op.Neg(gradOf(ctx)) : undefined]),
  Mul: binary('Mul', (ctx): Grads => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    return [requires[0] ? g.op.Mul(gy, input(ctx, 1)) : undefined, requires[1] ? g.op.Mul(gy, input(ctx, 0)) : undefined];
  }),
  Div: binary('Div', (ctx): Grads => {
    const { g, requires } = ctx;
    const gy = gradOf(ctx);
    const b = input(ctx, 1);
    // d(a/b)/db = −(a/b)/b: reuses the forward output instead of squaring b.
    return [requires[0] ? g.op.Div(gy, b) : undefined, requires[1] ? g.op.Neg(g.op.Mul(gy, g.op.Div(y0(ctx), b))) : undefined];
  }),
  Pow: binary('Pow'),
  Max: binary('Max'),
  Min: binary('Min'),
  Equal: predicate('Equal'),
  Less: predicate('Less'),
  Greater: predicate('Greater'),
  LessOrEqual: predicate('LessOrEqual'),
  GreaterOrEqual: predicate('GreaterOrEqual'),
  And: predicate('And'),
  Or: predicate('Or'),
  Not: unary(),
  Neg: unary((ctx): Grads => [ctx.g.op.Neg(gradOf(ctx))]),
  Abs: unary(),
  Sign: unary(),
  Exp: unary((ctx): Grads => [ctx.g.op.Mul(gradOf(ctx), y0(ctx))]),
  Log: unary((ctx): Grads => [ctx.g.op.Div(gradOf(ctx), input(ctx, 0))]),
  Sqrt: unary((ctx): Grads => [ctx.g.op.Div(gradOf(ctx), ctx.g.op.Mul(y0(ctx), f32(ctx.g, 2)))]),
  Reciprocal: unary((ctx): Grads => {
    const { g } = ctx;
    const y = y0(ctx);
    return [g.op.Neg(g.op.Mul(gradOf(ctx), g.op.Mul(y, y)))];
  }),
  Tanh: unary((ctx): Grads => {
    const { g } = ctx;
    const y = y0(ctx);
    return [g.op.Mul(gradOf(ctx), g.op.Sub(f32(g, 1), g.op.Mul(y, y)))];
  }),
  Erf: unary((ctx): Grads => {
    const { g } = ctx;
    const x = input(ctx, 0);
    // d erf(x)/dx = 2/√π · exp(−x²)
    const slope = g.op.Mul(g.op.Exp(g.op.Neg(g.op.Mul(x, x))), f32(g, 2 / Math.sqrt(Math.PI)));
    return [g.op.Mul(gradOf(ctx), slope)];
  }),
  Sigmoid: unary((ctx): Grads => {
    const { g } = ctx;
    const y = y0(ctx);
    return [g.op.Mul(gradOf(ctx), g.op.Mul(y, g.op.Sub(f32(g, 1), y)))];
  }),
  Relu: unary((ctx): Grads => {
    const { g } = ctx;
    const positive = g.op.Cast(g.op.Greater(input(ctx, 0), f32(g, 0)), 'float32');
    return [g.op.Mul(gradOf(ctx), positive)];
  }),
  Identity: unary((ctx): Grads => [gradOf(ctx)]),
  Where: one({
    emit: (_g, cond: Value, x: Value, y: Value) => ({ inputs: [cond, x, y] }),
    infer: ([c, x, y]) => [{ dtype: x!.dtype, shape: broadcastShapes([c!.shape, x!.shape, y!.shape], 'Where') }],
    grad: (ctx): Grads => {
      const { g, requires } = ctx;
      const gy = gradOf(ctx);
      const cond = input(ctx, 0);
      const zero = f32(g, 0);
      return [undefined, requires[1] ? g.op.Where(cond, gy, zero) : undefined, requires[2] ? g.op.Where(cond, zero, gy) : undefined];
    },
  }),
  Clip: one({
    emit: (_g, x: Value, min?: Value, max?: Value) => ({ inputs: [x, min, max] }),
    infer: same,
  }),
  Cast: one({
    emit: (_g, x: Value, to: DType) => ({ inputs: [x], attributes: { to: int(ONNX_DATA_TYPE[to]) } }),
    infer: ([x], attrs) => [{ dtype: DTYPE_OF_ONNX[intAttr(attrs, 'to', 1)], shape: x!.shape, known: x!.known }],
    // Only float-to-float casts carry a gradient (cast back to the input's precision).
    grad: (ctx): Grads => {
      const x = input(ctx, 0);
      if (!isFloat(x) || !isFloat(y0(ctx))) return [undefined];
      const gy = gradOf(ctx);
      return [gy.dtype === x.dtype ? gy : ctx.g.op.Cast(gy, x.dtype)];
    },
  }),
} as const;
