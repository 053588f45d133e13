import { minimizeLbfgs } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function at (1, 1)', () => {
    const result = minimizeLbfgs(
      (x, g) => {
        const [a, b] = [x[0], x[1]];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { maxIterations: 1000, gradientTolerance: 1e-9, relativeTolerance: 0 },
    );
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
  });

  it('solves a positive-definite quadratic ½xᵀAx − bᵀx (minimum A⁻¹b)', () => {
    // A = [[4, 1], [1, 3]], b = [1, 2]: A⁻¹b = [1/11, 7/11].
    const result = minimizeLbfgs(
      (x, g) => {
        g[0] = 4 * x[0] + x[1] - 1;
        g[1] = x[0] + 3 * x[1] - 2;
        return 0.5 * (4 * x[0] * x[0] + 2 * x[0] * x[1] + 3 * x[1] * x[1]) - x[0] - 2 * x[1];
      },
      new Float64Array(2),
      { gradientTolerance: 1e-10, relativeTolerance: 0 },
    );
    expect(result.x[0]).toBeCloseTo(1 / 11, 8);
    expect(result.x[1]).toBeCloseTo(7 / 11, 8);
  });

  it('is deterministic and leaves the start vector alone', () => {
    const start = Float64Array.from([3, -2]);
    const objective = (x: Float64Array, g: Float64Array): number => {
      g[0] = 2 * (x[0] - 1);
      g[1] = 8 * (x[1] + 0.5);
      return (x[0] - 1) ** 2 + 4 * (x[1] + 0.5) ** 2;
    };
    const a = minimizeLbfgs(objective, start);
    const b = minimizeLbfgs(objective, start);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(Array.from(start)).toEqual([3, -2]);
  });
});
