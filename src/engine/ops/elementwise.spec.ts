import { gelu } from '../graph/composites';
import { TOL, gradCheck } from '../../../test/support/grad-check';

describe('elementwise gradient rules: finite-difference checks', () => {
  describe('elementwise with broadcasting', () => {
    it('Add [2,3,4] + [4] and [2,1,4] + [3,1]', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }, { shape: [4] }], (g, [a, b]) => g.op.Add(a, b))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 1, 4] }, { shape: [3, 1] }], (g, [a, b]) => g.op.Add(a, b))).toBeLessThan(TOL);
    });
    it('Sub [2,3] − [3], and a constant on the left', () => {
      expect(gradCheck([{ shape: [2, 3] }, { shape: [3] }], (g, [a, b]) => g.op.Sub(a, b))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3] }], (g, [a]) => g.op.Sub(g.constant(1), a))).toBeLessThan(TOL);
    });
    it('Mul [2,3,4] · [3,1]', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }, { shape: [3, 1] }], (g, [a, b]) => g.op.Mul(a, b))).toBeLessThan(TOL);
    });
    it('Div [2,3] / [3] and [1] / [2,3]', () => {
      expect(gradCheck([{ shape: [2, 3] }, { shape: [3], lo: 0.5, hi: 1.5 }], (g, [a, b]) => g.op.Div(a, b))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [1] }, { shape: [2, 3], lo: -1.5, hi: -0.4 }], (g, [a, b]) => g.op.Div(a, b))).toBeLessThan(TOL);
    });
    it('Where with both branches differentiable and broadcast', () => {
      expect(gradCheck([{ shape: [2, 3] }, { shape: [3] }], (g, [a, b]) => g.op.Where(g.op.Greater(a, g.constant(0)), a, b))).toBeLessThan(
        TOL,
      );
    });
    it('Expand [3,1] → [2,3,4]', () => {
      expect(gradCheck([{ shape: [3, 1] }], (g, [a]) => g.op.Expand(a, [2, 3, 4]))).toBeLessThan(TOL);
    });
    it('Identity and float-to-float Cast', () => {
      expect(gradCheck([{ shape: [2, 2] }], (g, [a]) => g.op.Cast(g.op.Identity(a), 'float32'))).toBeLessThan(TOL);
    });
  });

  describe('unary', () => {
    const edges = [-3, -1, -1e-3, 0, 1e-3, 0.5, 2, 3];
    it('Neg, Exp, Tanh at edge values', () => {
      for (const op of ['Neg', 'Exp', 'Tanh'] as const) {
        expect(gradCheck([{ shape: [8], values: edges }], (g, [a]) => g.op[op](a))).toBeLessThan(TOL);
      }
    });
    it('Erf across both evaluator branches (|x| < 2.5 and beyond)', () => {
      expect(gradCheck([{ shape: [10], values: [...edges, -2.7, 2.6] }], (g, [a]) => g.op.Erf(a))).toBeLessThan(TOL);
    });
    it('Log, Sqrt, Reciprocal on positive values', () => {
      for (const op of ['Log', 'Sqrt', 'Reciprocal'] as const) {
        expect(gradCheck([{ shape: [6], values: [0.05, 0.3, 1, 2, 7, 30] }], (g, [a]) => g.op[op](a))).toBeLessThan(TOL);
      }
    });
    it('Sigmoid and Relu (away from the kink)', () => {
      expect(gradCheck([{ shape: [8], values: edges }], (g, [a]) => g.op.Sigmoid(a))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [6], values: [-2, -0.5, -0.01, 0.01, 0.7, 3] }], (g, [a]) => g.op.Relu(a))).toBeLessThan(TOL);
    });
    it('exact GELU composite (Div, Erf, Add, Mul)', () => {
      expect(gradCheck([{ shape: [2, 5], values: [-4, -2, -1, -0.1, 0, 0.1, 0.5, 1, 2, 4] }], (g, [a]) => gelu(g, a))).toBeLessThan(TOL);
    });
  });
});
