import { hypothesisFor, rankCandidates, zeroShotScores } from './zero-shot';

describe('zero-shot scoring (HF rule)', () => {
  // An NLI head with labels entailment (0), neutral (1), contradiction (2).
  const ids = { entailment: 0, contradiction: 2 };
  const rows = [
    [Math.log(1), 7, Math.log(3)], // candidate A: entail weight 1
    [Math.log(3), -2, Math.log(1)], // candidate B: entail weight 3
  ];

  it('single label: softmax of the entailment logits across candidates', () => {
    const [a, b] = zeroShotScores(rows, ids, false);
    expect(a).toBeCloseTo(1 / 4, 12);
    expect(b).toBeCloseTo(3 / 4, 12);
  });

  it('multi label: per candidate softmax over [contradiction, entailment], neutral ignored', () => {
    const [a, b] = zeroShotScores(rows, ids, true);
    expect(a).toBeCloseTo(1 / 4, 12); // e^0 / (e^0 + 3)
    expect(b).toBeCloseTo(3 / 4, 12); // 3 / (3 + 1)
  });

  it('one candidate is scored as multi label (else it would always be 1)', () => {
    const [a] = zeroShotScores([rows[1]], ids, false);
    expect(a).toBeCloseTo(3 / 4, 12);
  });

  it('uses the entailment id it is given, not a fixed position', () => {
    const swapped = rows.map((r) => [r[2], r[1], r[0]]);
    const [a, b] = zeroShotScores(swapped, { entailment: 2, contradiction: 0 }, false);
    expect(a).toBeCloseTo(1 / 4, 12);
    expect(b).toBeCloseTo(3 / 4, 12);
  });

  it('formats the template and sorts labels by score', () => {
    expect(hypothesisFor('This example is {}.', 'sports')).toBe('This example is sports.');
    expect(rankCandidates(['a', 'b', 'c'], [0.2, 0.5, 0.3])).toEqual({ labels: ['b', 'c', 'a'], scores: [0.5, 0.3, 0.2] });
  });
});
