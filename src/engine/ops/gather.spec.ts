import { IntInput, TOL, gradCheck } from '../../../test/support/grad-check';

describe('gather gradient rules: finite-difference checks', () => {
  describe('gathers', () => {
    it('Gather axis 0 (embedding lookup) with repeated and absent rows', () => {
      const ids: IntInput = { name: 'ids', shape: [2, 3], values: [1, 3, 1, 0, 3, 3] };
      expect(gradCheck([{ shape: [5, 4] }], (g, [table], [idsV]) => g.op.Gather(table, idsV), [ids])).toBeLessThan(TOL);
    });
    it('Gather axis 1 with a scalar index (the [CLS] row) and axis 2 (QA start/end)', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [h]) => g.op.Gather(h, g.constant(0, 'int64'), 1))).toBeLessThan(TOL);
      expect(
        gradCheck([{ shape: [2, 3, 2] }], (g, [h]) => [
          g.op.Gather(h, g.constant(0, 'int64'), 2),
          g.op.Gather(h, g.constant(1, 'int64'), 2),
        ]),
      ).toBeLessThan(TOL);
    });
    it('GatherElements axis 1 (picking label log-probabilities)', () => {
      const labels: IntInput = { name: 'labels', shape: [4, 1], values: [2, 0, 2, 1] };
      expect(gradCheck([{ shape: [4, 3] }], (g, [x], [l]) => g.op.GatherElements(x, l, 1), [labels])).toBeLessThan(TOL);
    });
  });
});
