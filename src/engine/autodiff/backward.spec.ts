import { GraphBuilder } from '../graph/builder';
import { gelu, geluTanh } from '../graph/composites';
import { evaluate64, tensor64 } from '../../../test/support/float64-evaluator';
import { IntInput, TOL, gradCheck } from '../../../test/support/grad-check';
import { backward } from './backward';

describe('autodiff driver (backward)', () => {
  describe('the driver', () => {
    it('sums the contributions of a tensor used twice (tied embedding and decoder)', () => {
      const ids: IntInput = { name: 'ids', shape: [1, 3], values: [0, 2, 2] };
      expect(
        gradCheck([{ shape: [4, 3] }], (g, [table], [idsV]) => g.op.MatMul(g.op.Gather(table, idsV), g.op.Transpose(table, [1, 0])), [ids]),
      ).toBeLessThan(TOL);
    });
    it('differentiates the tanh GELU (gelu_new) through its own gradient, edge values included', () => {
      // Large |x| saturates tanh; 0 is where the slope is exactly ½.
      const edge = [-6, -3, -1, -0.1, 0, 0.1, 1, 3, 6, 0.5, -0.5, 2];
      expect(gradCheck([{ shape: [3, 4], values: edge }], (g, [a]) => geluTanh(g, a))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 5], lo: -4, hi: 4 }], (g, [a]) => g.op.Mul(geluTanh(g, a), a), [], 3)).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3] }, { shape: [3] }], (g, [a, b]) => geluTanh(g, g.op.Add(a, b)))).toBeLessThan(TOL);
    });
    it('differentiates a composite through its own gradient and never reads its inner nodes (GELU stays fusable)', () => {
      // x feeds the composite and another op: both contributions must reach it.
      expect(gradCheck([{ shape: [2, 4] }], (g, [a]) => g.op.Mul(gelu(g, a), a))).toBeLessThan(TOL);
      const g = new GraphBuilder({ trainable: () => true, training: true });
      const x = g.param('x', { shape: [3], data: new Float32Array([-1, 0.5, 2]) });
      const y = gelu(g, x);
      const loss = g.op.ReduceSum(y, undefined, false);
      const forwardNodes = g.nodes.length;
      backward(g, loss, [x]);
      const inner = new Set(
        g.nodes
          .slice(0, forwardNodes)
          .flatMap((n) => n.outputs)
          .filter((o) => o !== y.name && o !== loss.name),
      );
      const readers = g.nodes.slice(forwardNodes).filter((n) => n.inputs.some((i) => inner.has(i)));
      expect(readers.map((n) => n.name)).toEqual([]);
    });
    it('returns zeros for a parameter the loss does not depend on', () => {
      const g = new GraphBuilder({ trainable: () => true });
      const a = g.param('a', { shape: [2], data: new Float32Array([1, 2]) });
      const unused = g.param('unused', { shape: [3], data: new Float32Array(3) });
      const loss = g.op.ReduceSum(g.op.Mul(a, a), undefined, false);
      const grads = backward(g, loss, [a, unused]);
      g.output(grads.get('unused')!, 'unused_grad');
      g.output(grads.get('a')!, 'a_grad');
      const out = evaluate64(g.graph(), { a: tensor64('float32', [2], [1, 2]), unused: tensor64('float32', [3], [0, 0, 0]) });
      expect(Array.from(out.get('unused_grad')!.data)).toEqual([0, 0, 0]);
      expect(Array.from(out.get('a_grad')!.data)).toEqual([2, 4]);
    });
    it('does not differentiate integer paths and refuses ops without a rule', () => {
      const g = new GraphBuilder({ trainable: () => true });
      const mask = g.input('mask', 'int64', [2]);
      const a = g.param('a', { shape: [2], data: new Float32Array([1, 2]) });
      const lossOk = g.op.ReduceSum(g.op.Mul(a, g.op.Cast(mask, 'float32')), undefined, false);
      expect(() => backward(g, lossOk, [a])).not.toThrow();
      const cum = g.op.CumSum(a, 0);
      expect(() => backward(g, g.op.ReduceSum(cum, undefined, false), [a])).toThrow(/no gradient rule for CumSum/);
    });
  });
});
