import { float, int, intAttr } from '../graph/attributes';
import { matmulShape } from '../graph/shape';
import { Value } from '../graph/value';
import { Grads, gradOf, input, one } from './op';

/** Linear algebra: numpy MatMul (batch axes broadcast) and Gemm. */

/** Rank-generic permutation swapping the last two axes. */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

export const MATMUL_OPS = {
  MatMul: one({
    emit: (_g, a: Value, b: Value) => ({ inputs: [a, b] }),
    infer: ([a, b]) => [{ dtype: a!.dtype, shape: matmulShape(a!.shape, b!.shape) }],
    // dA = dY · Bᵀ, dB = Aᵀ · dY (broadcast batch axes are summed away by `backward`).
    grad: (ctx): Grads => {
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
} as const;
