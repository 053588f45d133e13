import { TOL, gradCheck } from '../../../test/support/grad-check';

describe('MatMul gradient rule: finite-difference checks', () => {
  describe('MatMul', () => {
    it('[2,3,4] × [4,5] (shared weight, folded batch)', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }, { shape: [4, 5] }], (g, [a, b]) => g.op.MatMul(a, b))).toBeLessThan(TOL);
    });
    it('[2,1,3,4] × [3,4,2] (batch broadcasting both ways)', () => {
      expect(gradCheck([{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], (g, [a, b]) => g.op.MatMul(a, b))).toBeLessThan(TOL);
    });
    it('[3,4] × [2,4,5] (left operand broadcast)', () => {
      expect(gradCheck([{ shape: [3, 4] }, { shape: [2, 4, 5] }], (g, [a, b]) => g.op.MatMul(a, b))).toBeLessThan(TOL);
    });
    it('attention-shaped [2,2,3,4] × Transpose', () => {
      expect(
        gradCheck([{ shape: [2, 3, 2, 4] }, { shape: [2, 3, 2, 4] }], (g, [q, k]) =>
          g.op.MatMul(g.op.Transpose(q, [0, 2, 1, 3]), g.op.Transpose(k, [0, 2, 3, 1])),
        ),
      ).toBeLessThan(TOL);
    });
  });
});
