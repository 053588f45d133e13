/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, algorithm 7.4 and 7.5) with a
 * backtracking Armijo line search. Deterministic: the same objective and start give the same
 * iterates. Enough for smooth convex objectives such as regularised logistic regression.
 */

/** Returns f(x) and writes ∇f(x) into `gradient`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Pairs (s, y) kept (default 10). */
  memory?: number;
  maxIterations?: number;
  /** Stop when max |∇f| falls below this (default 1e-6). */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f in one step falls below this (default 1e-10). */
  relativeTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 500;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const relativeTolerance = options.relativeTolerance ?? 1e-10;
  const n = start.length;

  let x = Float64Array.from(start);
  let gradient = new Float64Array(n);
  let value = objective(x, gradient);
  let evaluations = 1;
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(memory);

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (maxAbs(gradient) < gradientTolerance) return { x, value, iterations: iteration, evaluations, converged: true };

    // Two-loop recursion: direction = -H ∇f, H the implicit inverse-Hessian estimate.
    for (let i = 0; i < n; i++) direction[i] = -gradient[i];
    for (let k = sHistory.length - 1; k >= 0; k--) {
      alpha[k] = rhoHistory[k] * dot(sHistory[k], direction);
      const y = yHistory[k];
      for (let i = 0; i < n; i++) direction[i] -= alpha[k] * y[i];
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      const gamma = dot(sHistory[last], yHistory[last]) / dot(yHistory[last], yHistory[last]);
      for (let i = 0; i < n; i++) direction[i] *= gamma;
    } else {
      // First step: a unit-length move along the steepest descent.
      const norm = Math.sqrt(dot(direction, direction));
      for (let i = 0; i < n; i++) direction[i] /= norm;
    }
    for (let k = 0; k < sHistory.length; k++) {
      const beta = rhoHistory[k] * dot(yHistory[k], direction);
      const s = sHistory[k];
      for (let i = 0; i < n; i++) direction[i] += (alpha[k] - beta) * s[i];
    }
    let slope = dot(gradient, direction);
    if (slope >= 0) {
      // Not a descent direction (curvature information gone stale): restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -gradient[i];
      slope = dot(gradient, direction);
    }

    let step = 1;
    const next = new Float64Array(n);
    const nextGradient = new Float64Array(n);
    let nextValue = Number.POSITIVE_INFINITY;
    for (let backtrack = 0; backtrack <= MAX_BACKTRACKS; backtrack++) {
      for (let i = 0; i < n; i++) next[i] = x[i] + step * direction[i];
      nextValue = objective(next, nextGradient);
      evaluations++;
      if (nextValue <= value + ARMIJO * step * slope) break;
      step /= 2;
    }
    if (!(nextValue <= value + ARMIJO * step * slope)) {
      return { x, value, iterations: iteration, evaluations, converged: false };
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = next[i] - x[i];
      y[i] = nextGradient[i] - gradient[i];
    }
    const curvature = dot(s, y);
    if (curvature > 1e-12) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / curvature);
    }
    const decrease = value - nextValue;
    x = next;
    gradient = nextGradient;
    value = nextValue;
    if (decrease <= relativeTolerance * Math.max(Math.abs(value), 1)) {
      return { x, value, iterations: iteration + 1, evaluations, converged: true };
    }
  }
  return { x, value, iterations: maxIterations, evaluations, converged: maxAbs(gradient) < gradientTolerance };
}
