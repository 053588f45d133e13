import { backward } from '../../src/engine/autodiff/backward';
import { GraphBuilder } from '../../src/engine/graph/builder';
import { Value } from '../../src/engine/graph/value';
import { Tensor64, evaluate64, tensor64 } from './float64-evaluator';

/**
 * The finite-difference check every gradient rule has (in `src/engine/ops/*.spec.ts`): the
 * backward graph, interpreted in float64 by the reference evaluator, against central differences
 * of the forward graph in float64. The loss is Σ R ⊙ f(x) with a random R, so every output
 * element carries a distinct weight.
 */

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Operand {
  readonly shape: number[];
  /** Explicit values (edge cases); random in [lo, hi) otherwise. */
  readonly values?: number[];
  readonly lo?: number;
  readonly hi?: number;
}

export interface IntInput {
  readonly name: string;
  readonly shape: number[];
  readonly values: number[];
  /** Declared graph shape, when it should be symbolic (default: `shape`). */
  readonly declared?: (number | string)[];
}

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/**
 * Builds `fn(x0, x1, ...)` with each operand a trainable parameter, appends Σ R·output, runs
 * `backward`, then compares each gradient with central differences. Returns the worst error
 * relative to max(1, max|fd|).
 */
export function gradCheck(
  operands: Operand[],
  fn: (g: GraphBuilder, xs: Value[], ints: Value[]) => Value | Value[],
  intInputs: IntInput[] = [],
  seed = 1,
): number {
  const rand = rng(seed);
  const g = new GraphBuilder({ trainable: () => true, training: true, seed: 7 });
  const feeds = new Map<string, Tensor64>();
  const ints = intInputs.map((i) => {
    feeds.set(i.name, tensor64('int64', i.shape, i.values));
    return g.input(i.name, 'int64', i.declared ?? i.shape);
  });
  const xs = operands.map((o, k) => {
    const lo = o.lo ?? -1.5;
    const hi = o.hi ?? 1.5;
    const values = o.values ?? Array.from({ length: size(o.shape) }, () => lo + (hi - lo) * rand());
    feeds.set(`x${k}`, tensor64('float32', o.shape, values));
    return g.param(`x${k}`, { shape: o.shape, data: Float32Array.from(values) });
  });
  const outs = ([] as Value[]).concat(fn(g, xs, ints));
  let loss: Value | undefined;
  outs.forEach((out, k) => {
    const dims = out.shape.map((d) => {
      if (typeof d !== 'number') throw new Error(`test output ${out} needs a numeric shape`);
      return d;
    });
    const weights = Float32Array.from({ length: size(dims) }, () => rand() * 2 - 1);
    const r = g.initializer(`r${k}`, { dtype: 'float32', dims, data: weights });
    const term = g.op.ReduceSum(g.op.Mul(out, r), undefined, false);
    loss = loss ? g.op.Add(loss, term) : term;
  });
  g.output(loss!, 'loss');
  const grads = backward(g, loss!, xs);
  xs.forEach((x) => g.output(grads.get(x.name)!, `${x.name}_grad`));
  const graph = g.graph();

  const lossAt = (f: Map<string, Tensor64>): number => evaluate64(graph, f).get('loss')!.data[0];
  const base = evaluate64(graph, feeds);
  let worst = 0;
  for (const x of xs) {
    const analytic = base.get(`${x.name}_grad`)!;
    const fed = feeds.get(x.name)!;
    expect(analytic.dims).toEqual(fed.dims);
    const h = 1e-5;
    const fd = new Float64Array(fed.data.length);
    for (let i = 0; i < fed.data.length; i++) {
      const plus = Float64Array.from(fed.data);
      const minus = Float64Array.from(fed.data);
      plus[i] += h;
      minus[i] -= h;
      const fp = lossAt(new Map(feeds).set(x.name, { ...fed, data: plus }));
      const fm = lossAt(new Map(feeds).set(x.name, { ...fed, data: minus }));
      fd[i] = (fp - fm) / (2 * h);
    }
    const scale = Math.max(1, ...Array.from(fd, Math.abs));
    for (let i = 0; i < fd.length; i++) worst = Math.max(worst, Math.abs(analytic.data[i] - fd[i]) / scale);
  }
  return worst;
}

/** The tolerance the checks use (relative to max(1, max|fd|)). */
export const TOL = 1e-7;
