import { LogisticRegression } from './logistic-regression';
import { sparseRowsFrom } from './sparse';

const rows = (values: Array<Record<number, number>>, columns: number) =>
  sparseRowsFrom(
    values.map((v) => new Map(Object.entries(v).map(([k, x]) => [Number(k), x]))),
    columns,
  );

describe('LogisticRegression', () => {
  it('matches the empirical class rates of a binary feature when (almost) unregularised', () => {
    // x = 1: 3 of 4 rows are class 1; x = 0 (empty row): 1 of 4. The MLE gives P(1|x) = 0.75 and 0.25.
    const x = rows([{ 0: 1 }, { 0: 1 }, { 0: 1 }, { 0: 1 }, {}, {}, {}, {}], 1);
    const y = [1, 1, 1, 0, 1, 0, 0, 0];
    const model = new LogisticRegression({ c: 1e6, gradientTolerance: 1e-9 }).fit(x, y, 2);
    const p = model.predictProba(rows([{ 0: 1 }, {}], 1));
    expect(p[1]).toBeCloseTo(0.75, 4);
    expect(p[3]).toBeCloseTo(0.25, 4);
    expect(Array.from(model.predict(rows([{ 0: 1 }, {}], 1)))).toEqual([1, 0]);
  });

  it('leaves intercepts unpenalised: with no features the probabilities are the class frequencies', () => {
    const x = rows([{}, {}, {}, {}, {}, {}], 3);
    const model = new LogisticRegression({ c: 0.01, gradientTolerance: 1e-10 }).fit(x, [0, 0, 0, 1, 2, 2], 3);
    const p = model.predictProba(rows([{ 0: 1 }], 3));
    expect(p[0]).toBeCloseTo(3 / 6, 6);
    expect(p[1]).toBeCloseTo(1 / 6, 6);
    expect(p[2]).toBeCloseTo(2 / 6, 6);
  });

  it('reaches the L2-regularised optimum solved by hand', () => {
    // Rows (x=1, y=1), (x=−1, y=0), C = 1. By symmetry W = [−w, w], b0 = b1, and the objective is
    // 2 ln(1 + e^{−2w}) + w²; its stationary point w = 2σ(−2w) is w = 0.52129845700… (bisection),
    // so P(1 | x=1) = σ(2w) = 0.73935077…
    const model = new LogisticRegression({ c: 1, gradientTolerance: 1e-10 }).fit(rows([{ 0: 1 }, { 0: -1 }], 1), [1, 0], 2);
    expect(model.weights[1]).toBeCloseTo(0.5212984570002789, 6);
    expect(model.weights[0]).toBeCloseTo(-0.5212984570002789, 6);
    expect(model.predictProba(rows([{ 0: 1 }], 1))[1]).toBeCloseTo(0.7393507714998605, 6);
  });

  it('computes the gradient of its objective (central finite differences)', () => {
    const x = rows([{ 0: 0.5, 2: -1 }, { 1: 2 }, { 0: -0.3, 1: 0.7, 2: 0.1 }, {}], 3);
    const labels = [0, 2, 1, 2];
    const f = new LogisticRegression({ c: 0.7 }).objective(x, labels, 3);
    let seed = 7;
    const theta = Float64Array.from({ length: 3 * 3 + 3 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    });
    const gradient = new Float64Array(theta.length);
    f(theta, gradient);
    const h = 1e-6;
    const scratch = new Float64Array(theta.length);
    for (let i = 0; i < theta.length; i++) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[i] += h;
      minus[i] -= h;
      expect(gradient[i]).toBeCloseTo((f(plus, scratch) - f(minus, scratch)) / (2 * h), 6);
    }
  });

  it('rejects labels outside the classes and mismatched lengths', () => {
    const x = rows([{ 0: 1 }, {}], 1);
    expect(() => new LogisticRegression().fit(x, [0, 2], 2)).toThrow(/label 2/);
    expect(() => new LogisticRegression().fit(x, [0], 2)).toThrow(/2 rows but 1 labels/);
  });
});
