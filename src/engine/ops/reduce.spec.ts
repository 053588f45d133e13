import { TOL, gradCheck } from '../../../test/support/grad-check';

describe('reduction gradient rules: finite-difference checks', () => {
  describe('ReduceSum and ReduceMean', () => {
    it('ReduceSum with and without keepdims, and over all axes', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceSum(a, [1], false))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceSum(a, [0, 2], true))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3] }], (g, [a]) => g.op.ReduceSum(a, undefined, false))).toBeLessThan(TOL);
    });
    it('ReduceMean over the last axis', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceMean(a, [-1], true))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceMean(a, [1], false))).toBeLessThan(TOL);
    });
  });
});
