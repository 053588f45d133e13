import { GraphBuilder } from '../graph/builder';
import { gelu } from '../graph/composites';
import { Value } from '../graph/value';
import { backward } from './backward';
import { Tensor64, evaluate64, tensor64 } from '../../../test/support/float64-evaluator';

/**
 * Finite-difference checks of every gradient rule: the backward graph, interpreted in float64,
 * against central differences of the forward graph in float64. The loss is Σ R ⊙ f(x) with a
 * random R, so every output element carries a distinct weight.
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

interface Operand {
  readonly shape: number[];
  /** Explicit values (edge cases); random in [lo, hi) otherwise. */
  readonly values?: number[];
  readonly lo?: number;
  readonly hi?: number;
}

interface IntInput {
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
function gradCheck(
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

const TOL = 1e-7;

describe('gradient rules: finite-difference checks', () => {
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
      expect(
        gradCheck([{ shape: [2, 3] }, { shape: [3] }], (g, [a, b]) => g.op.Where(g.op.Greater(a, g.constant(0)), a, b)),
      ).toBeLessThan(TOL);
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

  describe('gathers', () => {
    it('Gather axis 0 (embedding lookup) with repeated and absent rows', () => {
      const ids: IntInput = { name: 'ids', shape: [2, 3], values: [1, 3, 1, 0, 3, 3] };
      expect(gradCheck([{ shape: [5, 4] }], (g, [table], [idsV]) => g.op.Gather(table, idsV), [ids])).toBeLessThan(TOL);
    });
    it('Gather axis 1 with a scalar index (the [CLS] row) and axis 2 (QA start/end)', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [h]) => g.op.Gather(h, g.constant(0, 'int64'), 1))).toBeLessThan(TOL);
      expect(
        gradCheck([{ shape: [2, 3, 2] }], (g, [h]) => [g.op.Gather(h, g.constant(0, 'int64'), 2), g.op.Gather(h, g.constant(1, 'int64'), 2)]),
      ).toBeLessThan(TOL);
    });
    it('GatherElements axis 1 (picking label log-probabilities)', () => {
      const labels: IntInput = { name: 'labels', shape: [4, 1], values: [2, 0, 2, 1] };
      expect(gradCheck([{ shape: [4, 3] }], (g, [x], [l]) => g.op.GatherElements(x, l, 1), [labels])).toBeLessThan(TOL);
    });
  });

  describe('reductions and normalisation', () => {
    it('ReduceSum with and without keepdims, and over all axes', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceSum(a, [1], false))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceSum(a, [0, 2], true))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3] }], (g, [a]) => g.op.ReduceSum(a, undefined, false))).toBeLessThan(TOL);
    });
    it('ReduceMean over the last axis', () => {
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceMean(a, [-1], true))).toBeLessThan(TOL);
      expect(gradCheck([{ shape: [2, 3, 4] }], (g, [a]) => g.op.ReduceMean(a, [1], false))).toBeLessThan(TOL);
    });
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
          gradCheck([{ shape: [2, 3, 6] }, { shape: [6] }, { shape: [6] }], (g, [x, s, b]) =>
            g.op.LayerNormalization(x, s, b, { epsilon, stats: true })[0],
          ),
        ).toBeLessThan(TOL);
      }
    });
    it('LayerNormalization of a nearly constant row', () => {
      const x = [1, 1.001, 0.999, 1.0005, 1, 0.9995];
      expect(
        gradCheck([{ shape: [1, 6], values: x }, { shape: [6] }], (g, [v, s]) => g.op.LayerNormalization(v, s, undefined, { epsilon: 1e-5, stats: true })[0]),
      ).toBeLessThan(1e-6);
    });
    it('Dropout in training mode, through its mask', () => {
      expect(gradCheck([{ shape: [4, 8] }], (g, [x]) => g.op.Dropout(x, 0.3, 12345)[0])).toBeLessThan(TOL);
    });
  });

  describe('the driver', () => {
    it('sums the contributions of a tensor used twice (tied embedding and decoder)', () => {
      const ids: IntInput = { name: 'ids', shape: [1, 3], values: [0, 2, 2] };
      expect(
        gradCheck([{ shape: [4, 3] }], (g, [table], [idsV]) => g.op.MatMul(g.op.Gather(table, idsV), g.op.Transpose(table, [1, 0])), [ids]),
      ).toBeLessThan(TOL);
    });
    it('differentiates a composite through its own gradient and never reads its inner nodes (GELU stays fusable)', () => {
      // x feeds the composite and another op: both contributions must reach it.
      expect(gradCheck([{ shape: [2, 4] }], (g, [a]) => g.op.Mul(gelu(g, a), a))).toBeLessThan(TOL);
      const g = new GraphBuilder({ trainable: () => true, training: true });
      const x = g.param('x', { shape: [3], data: new Float32Array([-1, 0.5, 2]) });
      const y = gelu(g, x);
      const loss = g.op.ReduceSum(y, undefined, false);
      const forwardNodes = g.nodes.length;
      backward(g, loss, [x]);
      const inner = new Set(g.nodes.slice(0, forwardNodes).flatMap((n) => n.outputs).filter((o) => o !== y.name && o !== loss.name));
      const readers = g.nodes.slice(forwardNodes).filter((n) => n.inputs.some((i) => inner.has(i)));
      expect(readers.map((n) => n.name)).toEqual([]);
    });
    it('returns zeros for a parameter the loss does not depend on', () => {
      const g = new GraphBuilder({ trainable: () => true });
      const a = g.param('a', { shape: [2], data: new Float32Array([1, 2]) });
      const unused = g.param('unused', { shape: [3], data: new Float32Array(3) });
      const loss = g.op.ReduceSum(g.op.Mul(a, a), undefined, false);
      const grads = backward(g, loss, [a, unused]);
      g.output(grads.get('unused')!, 'unused_grad');
      g.output(grads.get('a')!, 'a_grad');
      const out = evaluate64(g.graph(), { a: tensor64('float32', [2], [1, 2]), unused: tensor64('float32', [3], [0, 0, 0]) });
      expect(Array.from(out.get('unused_grad')!.data)).toEqual([0, 0, 0]);
      expect(Array.from(out.get('a_grad')!.data)).toEqual([2, 4]);
    });
    it('does not differentiate integer paths and refuses ops without a rule', () => {
      const g = new GraphBuilder({ trainable: () => true });
      const mask = g.input('mask', 'int64', [2]);
      const a = g.param('a', { shape: [2], data: new Float32Array([1, 2]) });
      const lossOk = g.op.ReduceSum(g.op.Mul(a, g.op.Cast(mask, 'float32')), undefined, false);
      expect(() => backward(g, lossOk, [a])).not.toThrow();
      const cum = g.op.CumSum(a, 0);
      expect(() => backward(g, g.op.ReduceSum(cum, undefined, false), [a])).toThrow(/no gradient rule for CumSum/);
    });
  });
});
