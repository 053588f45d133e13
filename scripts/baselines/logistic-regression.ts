/**
 * Multinomial logistic regression with an L2 penalty, as scikit-learn's LogisticRegression
 * (lbfgs solver) defines it: minimise C · Σᵢ −log softmax(W xᵢ + b)[yᵢ] + ½‖W‖², the intercepts b
 * unpenalised. Trained full-batch with L-BFGS, so training is deterministic.
 */
import { LbfgsResult, minimizeLbfgs } from './lbfgs';
import { SparseRows } from './sparse';

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength (default 1, scikit-learn's default). */
  c?: number;
  maxIterations?: number;
  gradientTolerance?: number;
}

/** Class scores z = W x + b for one sparse row, into `out` (length = classes). */
function rowScores(
  x: SparseRows,
  r: number,
  weights: Float64Array,
  bias: Float64Array,
  classes: number,
  features: number,
  out: Float64Array,
): void {
  for (let k = 0; k < classes; k++) out[k] = bias[k];
  for (let at = x.rowStart[r]; at < x.rowStart[r + 1]; at++) {
    const j = x.indices[at];
    const v = x.values[at];
    for (let k = 0; k < classes; k++) out[k] += weights[k * features + j] * v;
  }
}

/** In-place softmax; returns log Σ exp(z) (with the maximum subtracted first). */
function softmaxInPlace(z: Float64Array): number {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    z[k] = Math.exp(z[k] - max);
    sum += z[k];
  }
  for (let k = 0; k < z.length; k++) z[k] /= sum;
  return max + Math.log(sum);
}

export class LogisticRegression {
  /** Row-major [classes × features]. */
  weights = new Float64Array(0);
  bias = new Float64Array(0);
  classes = 0;
  features = 0;
  training: Omit<LbfgsResult, 'x'> | undefined;

  constructor(private readonly options: LogisticRegressionOptions = {}) {}

  /** The objective and its gradient over parameters laid out as [W (classes × features), b]. */
  objective(x: SparseRows, labels: ArrayLike<number>, classes: number): (theta: Float64Array, gradient: Float64Array) => number {
    const c = this.options.c ?? 1;
    const features = x.columns;
    const scores = new Float64Array(classes);
    return (theta, gradient) => {
      const weights = theta.subarray(0, classes * features);
      const bias = theta.subarray(classes * features);
      const gradWeights = gradient.subarray(0, classes * features);
      const gradBias = gradient.subarray(classes * features);
      let loss = 0;
      for (let i = 0; i < classes * features; i++) {
        loss += 0.5 * weights[i] * weights[i];
        gradWeights[i] = weights[i];
      }
      gradBias.fill(0);
      for (let r = 0; r < x.rows; r++) {
        rowScores(x, r, weights, bias, classes, features, scores);
        const y = labels[r];
        const goldScore = scores[y];
        loss += c * (softmaxInPlace(scores) - goldScore);
        // scores now holds probabilities: ∂loss/∂z = c (p − onehot(y)).
        scores[y] -= 1;
        for (let k = 0; k < classes; k++) {
          const residual = c * scores[k];
          gradBias[k] += residual;
          for (let at = x.rowStart[r]; at < x.rowStart[r + 1]; at++) gradWeights[k * features + x.indices[at]] += residual * x.values[at];
        }
      }
      return loss;
    };
  }

  fit(x: SparseRows, labels: ArrayLike<number>, classes: number): this {
    if (labels.length !== x.rows) throw new RangeError(`${x.rows} rows but ${labels.length} labels`);
    for (let r = 0; r < labels.length; r++) {
      if (!Number.isInteger(labels[r]) || labels[r] < 0 || labels[r] >= classes) {
        throw new RangeError(`row ${r}: label ${labels[r]} is not a class id in [0, ${classes})`);
      }
    }
    const start = new Float64Array(classes * x.columns + classes);
    const { x: theta, ...training } = minimizeLbfgs(this.objective(x, labels, classes), start, {
      maxIterations: this.options.maxIterations ?? 500,
      gradientTolerance: this.options.gradientTolerance ?? 1e-5,
    });
    this.classes = classes;
    this.features = x.columns;
    this.weights = theta.slice(0, classes * x.columns);
    this.bias = theta.slice(classes * x.columns);
    this.training = training;
    return this;
  }

  /** Class probabilities per row, row-major [rows × classes]. */
  predictProba(x: SparseRows): Float64Array {
    if (x.columns !== this.features) throw new RangeError(`model has ${this.features} features, input ${x.columns}`);
    const out = new Float64Array(x.rows * this.classes);
    const scores = new Float64Array(this.classes);
    for (let r = 0; r < x.rows; r++) {
      rowScores(x, r, this.weights, this.bias, this.classes, this.features, scores);
      softmaxInPlace(scores);
      out.set(scores, r * this.classes);
    }
    return out;
  }

  /** The most probable class per row (the lowest id on a tie). */
  predict(x: SparseRows): Int32Array {
    const probabilities = this.predictProba(x);
    const out = new Int32Array(x.rows);
    for (let r = 0; r < x.rows; r++) {
      let best = 0;
      for (let k = 1; k < this.classes; k++) if (probabilities[r * this.classes + k] > probabilities[r * this.classes + best]) best = k;
      out[r] = best;
    }
    return out;
  }
}
