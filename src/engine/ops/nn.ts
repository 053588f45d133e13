import { float, int, intAttr } from '../graph/attributes';
import { normalizeAxis } from '../graph/shape';
import { Value, ValueType } from '../graph/value';
import { Grads, f32, gradOf, input, many, one, same, scalarConstant } from './op';

/** Neural-network primitives: softmax, log-softmax, LayerNormalization and training-mode Dropout. */

export const NN_OPS = {
  Softmax: one({
    emit: (_g, x: Value, axis: number = -1) => ({ inputs: [x], attributes: { axis: int(axis) } }),
    infer: same,
    // dx = y ⊙ (dy − Σ dy ⊙ y)
    grad: (ctx): Grads => {
      const { g } = ctx;
      const y = ctx.outputs[0];
      const gy = gradOf(ctx);
      const axis = intAttr(ctx.node.attributes, 'axis', -1);
      const dot = g.op.ReduceSum(g.op.Mul(gy, y), [axis], true);
      return [g.op.Mul(y, g.op.Sub(gy, dot))];
    },
  }),
  LogSoftmax: one({
    emit: (_g, x: Value, axis: number = -1) => ({ inputs: [x], attributes: { axis: int(axis) } }),
    infer: same,
    // dx = dy − exp(y) · Σ dy
    grad: (ctx): Grads => {
      const { g } = ctx;
      const gy = gradOf(ctx);
      const axis = intAttr(ctx.node.attributes, 'axis', -1);
      return [g.op.Sub(gy, g.op.Mul(g.op.Exp(ctx.outputs[0]), g.op.ReduceSum(gy, [axis], true)))];
    },
  }),
  /**
   * Outputs [Y] or, with `stats`, [Y, Mean, InvStdDev] (reduced axes kept as 1). Training graphs
   * emit the statistics, which the gradient rule reuses.
   */
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
    grad: (ctx): Grads => {
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
    // dx = dy ⊙ mask / (1 − ratio), through the mask output.
    grad: (ctx): Grads => {
      const { g } = ctx;
      if (ctx.outputs.length < 2) throw new Error(`Dropout ${ctx.node.name}: the mask output is needed for its gradient`);
      const ratio = ctx.inputs[1] ? scalarConstant(ctx.inputs[1], 'Dropout ratio') : 0.5;
      const keep = g.op.Cast(ctx.outputs[1], 'float32');
      return [g.op.Mul(g.op.Mul(gradOf(ctx), keep), f32(g, 1 / (1 - ratio))), undefined, undefined];
    },
  }),
} as const;
