import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { evaluate64, tensor64, Tensor64 } from '../../../test/support/float64-evaluator';
import { TOL, gradCheck } from '../../../test/support/grad-check';
import { IGNORE_INDEX, crossEntropy, distillationLoss, meanSquaredError, softTargetKl, spanLoss, tokenCrossEntropy } from '.';

/** Hand-computed references: −log softmax(row)[label], averaged over the scored rows. */
function nll(row: number[], label: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return lse - row[label];
}

function run(build: (g: GraphBuilder, inputs: Record<string, Value>) => Value, feeds: Record<string, Tensor64>): number {
  const g = new GraphBuilder();
  const inputs: Record<string, Value> = {};
  for (const [name, t] of Object.entries(feeds)) inputs[name] = g.input(name, t.dtype, t.dims);
  g.output(build(g, inputs), 'loss');
  return evaluate64(g.graph(), feeds).get('loss')!.data[0];
}

const logits = [
  [1.5, -0.3, 0.2],
  [0.1, 0.4, -2.0],
  [3.0, 2.9, -1.0],
  [-0.5, 0.0, 0.5],
];

describe('losses', () => {
  it('crossEntropy is the mean negative log-likelihood', () => {
    const labels = [0, 2, 1, 1];
    const expected = labels.reduce((s, l, i) => s + nll(logits[i], l), 0) / 4;
    const got = run((g, x) => crossEntropy(g, x.logits, x.labels), {
      logits: tensor64('float32', [4, 3], logits.flat()),
      labels: tensor64('int64', [4], labels),
    });
    expect(got).toBeCloseTo(expected, 12);
  });

  it('crossEntropy with ignore_index leaves ignored rows out of the sum and the count', () => {
    const labels = [0, IGNORE_INDEX, 1, IGNORE_INDEX];
    const expected = (nll(logits[0], 0) + nll(logits[2], 1)) / 2;
    const got = run((g, x) => crossEntropy(g, x.logits, x.labels, IGNORE_INDEX), {
      logits: tensor64('float32', [4, 3], logits.flat()),
      labels: tensor64('int64', [4], labels),
    });
    expect(got).toBeCloseTo(expected, 12);
  });

  it('crossEntropy with zeroWhenEmpty: the same mean when a row is scored, 0 (not NaN) when none is (−0: the negated empty sum)', () => {
    const feeds = (labels: number[]) => ({ logits: tensor64('float32', [4, 3], logits.flat()), labels: tensor64('int64', [4], labels) });
    const some = [0, IGNORE_INDEX, 1, IGNORE_INDEX];
    expect(run((g, x) => crossEntropy(g, x.logits, x.labels, IGNORE_INDEX, { zeroWhenEmpty: true }), feeds(some))).toBeCloseTo(
      (nll(logits[0], 0) + nll(logits[2], 1)) / 2,
      12,
    );
    const none = [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX];
    expect(run((g, x) => crossEntropy(g, x.logits, x.labels, IGNORE_INDEX), feeds(none))).toBeNaN();
    expect(run((g, x) => crossEntropy(g, x.logits, x.labels, IGNORE_INDEX, { zeroWhenEmpty: true }), feeds(none))).toEqual(-0);
  });

  it('tokenCrossEntropy flattens [B, L, C] and ignores −100', () => {
    const labels = [2, IGNORE_INDEX, 0, 1];
    const expected = (nll(logits[0], 2) + nll(logits[2], 0) + nll(logits[3], 1)) / 3;
    const got = run((g, x) => tokenCrossEntropy(g, x.logits, x.labels, 3), {
      logits: tensor64('float32', [2, 2, 3], logits.flat()),
      labels: tensor64('int64', [2, 2], labels),
    });
    expect(got).toBeCloseTo(expected, 12);
  });

  it('meanSquaredError (num_labels == 1)', () => {
    const got = run((g, x) => meanSquaredError(g, x.pred, x.target), {
      pred: tensor64('float32', [3, 1], [0.5, -1, 2]),
      target: tensor64('float32', [3], [1, -1, 0]),
    });
    expect(got).toBeCloseTo((0.25 + 0 + 4) / 3, 12);
  });

  it('spanLoss averages start and end CE, clamping positions to [0, L] and ignoring L', () => {
    // Rows are the L = 3 positions of two sequences; row 1's end position 7 is clamped to 3 and ignored.
    const start = [logits[0], logits[1]];
    const end = [logits[2], logits[3]];
    const expected = ((nll(start[0], 1) + nll(start[1], 0)) / 2 + nll(end[0], 2)) / 2;
    const got = run((g, x) => spanLoss(g, x.start, x.end, x.sp, x.ep), {
      start: tensor64('float32', [2, 3], start.flat()),
      end: tensor64('float32', [2, 3], end.flat()),
      sp: tensor64('int64', [2], [1, 0]),
      ep: tensor64('int64', [2], [2, 7]),
    });
    expect(got).toBeCloseTo(expected, 12);
  });

  describe('distillation', () => {
    /** Hand-computed: Σ_c p_c (log p_c − log q_c) with p = softmax(t/T), q = softmax(s/T). */
    function kl(student: number[], teacher: number[], T: number, mask?: number[]): number {
      const keep = (i: number): boolean => !mask || mask[i] === 1;
      const logSoftmax = (row: number[]): number[] => {
        const scaled = row.map((v) => v / T);
        const m = Math.max(...scaled.filter((_, i) => keep(i)));
        const lse = m + Math.log(scaled.reduce((acc, v, i) => acc + (keep(i) ? Math.exp(v - m) : 0), 0));
        return scaled.map((v) => v - lse);
      };
      const lp = logSoftmax(teacher);
      const lq = logSoftmax(student);
      return lp.reduce((acc, v, i) => acc + (keep(i) ? Math.exp(v) * (v - lq[i]) : 0), 0);
    }
    const teacher = [
      [2.0, -1.0, 0.5],
      [0.3, 0.3, 1.2],
      [-2.0, 4.0, 1.0],
      [0.0, 0.1, -0.1],
    ];

    it('softTargetKl is T² times the batch-mean KL(teacher ‖ student)', () => {
      for (const T of [1, 2, 4.5]) {
        const expected = (T * T * logits.reduce((acc, row, i) => acc + kl(row, teacher[i], T), 0)) / 4;
        const got = run((g, x) => softTargetKl(g, x.s, x.t, T), {
          s: tensor64('float32', [4, 3], logits.flat()),
          t: tensor64('float32', [4, 3], teacher.flat()),
        });
        expect(got).toBeCloseTo(expected, 12);
      }
    });

    it('softTargetKl leaves weighted-out rows and masked-out classes out', () => {
      const w = [1, 0, 1, 1];
      const expected = (4 * [0, 2, 3].reduce((acc, i) => acc + kl(logits[i], teacher[i], 2), 0)) / 3;
      const got = run((g, x) => softTargetKl(g, x.s, x.t, 2, { rowWeights: x.w }), {
        s: tensor64('float32', [4, 3], logits.flat()),
        t: tensor64('float32', [4, 3], teacher.flat()),
        w: tensor64('float32', [4], w),
      });
      expect(got).toBeCloseTo(expected, 12);
      const mask = [1, 1, 0];
      const masked = (4 * logits.reduce((acc, row, i) => acc + kl(row, teacher[i], 2, mask), 0)) / 4;
      const gotMasked = run((g, x) => softTargetKl(g, x.s, x.t, 2, { logitMask: x.m }), {
        s: tensor64('float32', [4, 3], logits.flat()),
        t: tensor64('float32', [4, 3], teacher.flat()),
        m: tensor64('float32', [4, 3], [...mask, ...mask, ...mask, ...mask]),
      });
      expect(gotMasked).toBeCloseTo(masked, 10);
    });

    it('a student equal to its teacher has zero soft-target loss', () => {
      const got = run((g, x) => softTargetKl(g, x.s, x.t, 3), {
        s: tensor64('float32', [4, 3], teacher.flat()),
        t: tensor64('float32', [4, 3], teacher.flat()),
      });
      expect(Math.abs(got)).toBeLessThan(1e-12);
    });

    it('distillationLoss mixes α·soft + (1 − α)·hard', () => {
      const labels = [0, 2, 1, 1];
      const ce = labels.reduce((acc, l, i) => acc + nll(logits[i], l), 0) / 4;
      const soft = (4 * logits.reduce((acc, row, i) => acc + kl(row, teacher[i], 2), 0)) / 4;
      const got = run((g, x) => distillationLoss(g, softTargetKl(g, x.s, x.t, 2), crossEntropy(g, x.s, x.labels), 0.3), {
        s: tensor64('float32', [4, 3], logits.flat()),
        t: tensor64('float32', [4, 3], teacher.flat()),
        labels: tensor64('int64', [4], labels),
      });
      // α and 1 − α are float32 constants in the graph: equal to float32 precision.
      expect(got).toBeCloseTo(0.3 * soft + 0.7 * ce, 7);
    });

    it('gradients of the soft-target term match float64 finite differences (student and teacher side)', () => {
      for (const T of [1, 2.5]) {
        expect(
          gradCheck(
            [
              { shape: [3, 4], lo: -4, hi: 4 },
              { shape: [3, 4], lo: -4, hi: 4 },
            ],
            (g, [s, t]) => softTargetKl(g, s, t, T),
          ),
        ).toBeLessThan(TOL);
      }
    });

    it('gradients with row weights and a logit mask match finite differences', () => {
      expect(
        gradCheck(
          [
            { shape: [4, 5], lo: -3, hi: 3 },
            { shape: [4, 5], lo: -3, hi: 3 },
          ],
          (g, [s, t]) => {
            const w = g.constant(1, 'float32');
            const weights = g.op.Mul(g.initializer('w', { dtype: 'float32', dims: [4], data: Float32Array.of(1, 0, 1, 1) }), w);
            const mask = g.initializer('m', {
              dtype: 'float32',
              dims: [4, 5],
              data: Float32Array.from({ length: 20 }, (_, i) => (i % 5 === 4 ? 0 : 1)),
            });
            return softTargetKl(g, s, t, 2, { rowWeights: weights, logitMask: mask });
          },
        ),
      ).toBeLessThan(TOL);
    });

    it('the mixed loss has the gradient of its parts', () => {
      expect(
        gradCheck(
          [
            { shape: [3, 4], lo: -3, hi: 3 },
            { shape: [3, 4], lo: -3, hi: 3 },
          ],
          (g, [s, t], [labels]) => distillationLoss(g, softTargetKl(g, s, t, 2), crossEntropy(g, s, labels), 0.5),
          [{ name: 'labels', shape: [3], values: [1, 3, 0] }],
        ),
      ).toBeLessThan(TOL);
    });
  });
});
