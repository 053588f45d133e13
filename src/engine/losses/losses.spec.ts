import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { evaluate64, tensor64, Tensor64 } from '../../../test/support/float64-evaluator';
import { IGNORE_INDEX, crossEntropy, meanSquaredError, spanLoss, tokenCrossEntropy } from '.';

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
});
