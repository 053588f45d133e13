import { IntInput, TOL, gradCheck } from '../../../test/support/grad-check';

describe('shape-op gradient rules: finite-difference checks', () => {
  describe('shape ops', () => {
    it('Transpose, Reshape with 0 and -1', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.Transpose(g.op.Reshape(a, [0, 0, 2, 2]), [0, 2, 1, 3]))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.Reshape(a, [-1, 4]))).toBeLessThan(TOL);
    });
    it('Unsqueeze and Squeeze', () => {
      expect(gradCheck([{ shape: [2, 3] }], (g, [a]) => g.op.Squeeze(g.op.Unsqueeze(a, [1, 3]), [3]))).toBeLessThan(TOL);
    });
    it('Slice of rows 0..L with L from a runtime Shape (position embeddings)', () => {
      const ids: IntInput = { name: 'ids', shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8] };
      expect(
        gradCheck([{ shape: [6, 3] }], (g, [table], [idsV]) => g.op.Slice(table, [0], g.op.Shape(idsV, 1, 2), [0]), [ids]),
      ).toBeLessThan(TOL);
    });
    it('Concat along the sequence axis (prompt tokens before embeddings), static and runtime sizes', () => {
      expect(gradCheck([{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }], (g, [a, b]) => g.op.Concat([a, b], 1))).toBeLessThan(TOL);
      const ids: IntInput = { name: 'ids', shape: [2, 4], values: [1, 2, 3, 4, 0, 2, 3, 4], declared: ['batch', 'sequence'] };
      expect(
        gradCheck(
          [{ shape: [2, 2, 3] }, { shape: [5, 3] }],
          (g, [prompt, table], [idsV]) => {
            // The embeddings' sequence length is known only at run time.
            const joined = g.op.Concat([g.op.Gather(table, idsV), prompt], 1);
            expect(typeof joined.shape[1]).toBe('string');
            return g.op.Reshape(joined, [2, 6, 3]);
          },
          [ids],
        ),
      ).toBeLessThan(TOL);
    });
    it('Split into uneven parts, one of them unused', () => {
      expect(gradCheck([{ shape: [2, 6] }], (g, [a]) => g.op.Split(a, 1, [1, 2, 3]).filter((_, i) => i !== 1))).toBeLessThan(TOL);
    });
    it('Slice with a non-zero start on an inner axis', () => {
      expect(gradCheck([{ shape: [2, 5, 3] }], (g, [a]) => g.op.Slice(a, [1], [4], [1]))).toBeLessThan(TOL);
    });
  });
});
