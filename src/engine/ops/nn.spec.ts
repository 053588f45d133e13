import { TOL, gradCheck } from '../../../test/support/grad-check';

describe('nn gradient rules: finite-difference checks', () => {
  describe('softmax, LayerNormalization and Dropout', () => {
    it('Softmax with large logits and a finfo.min-style additive mask', () => {
      const mask = [0, 0, -3.4e38, 0, -3.4e38];
      expect(
        gradCheck([{ shape: [2, 3, 5], lo: -8, hi: 8 }], (g, [x]) =>
          g.op.Softmax(g.op.Add(x, g.initializer('mask', { dtype: 'float32', dims: [5], data: Float32Array.from(mask) })), -1),
        ),
      ).toBeLessThan(TOL);
    });
    it('LogSoftmax over the last axis and over axis 1', () => {
      expect(gradCheck([{ shape: [3, 5], lo: -6, hi: 6 }], (g, [x]) => g.op.LogSoftmax(x, -1))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3, 2] }], (g, [x]) => g.op.LogSoftmax(x, 1))).toBeLessThan(TOL);
    });
    it('LayerNormalization (Mean/InvStdDev outputs) w.r.t. input, scale and bias, eps 1e-12 and 1e-5', () => {
      for (const epsilon of [1e-12, 1e-5]) {
        expect(
          gradCheck(
            [{ shape: [2, 3, 6] }, { shape: [6] }, { shape: [6] }],
            (g, [x, s, b]) => g.op.LayerNormalization(x, s, b, { epsilon, stats: true })[0],
          ),
        ).toBeLessThan(TOL);
      }
    });
    it('LayerNormalization of a nearly constant row', () => {
      const x = [1, 1.001, 0.999, 1.0005, 1, 0.9995];
      expect(
        gradCheck(
          [{ shape: [1, 6], values: x }, { shape: [6] }],
          (g, [v, s]) => g.op.LayerNormalization(v, s, undefined, { epsilon: 1e-5, stats: true })[0],
        ),
      ).toBeLessThan(1e-6);
    });
    it('Dropout in training mode, through its mask', () => {
      expect(gradCheck([{ shape: [4, 8] }], (g, [x]) => g.op.Dropout(x, 0.3, 12345)[0])).toBeLessThan(TOL);
    });
  });
});
