import { entityScores, getEntities } from './seqeval';

const spans = (tags: string[]): Array<[string, number, number]> => getEntities(tags).map((e) => [e.type, e.start, e.end]);

describe('getEntities (conlleval chunk rules)', () => {
  it('reads IOB2 (seqeval docstring example)', () => {
    expect(spans(['B-PER', 'I-PER', 'O', 'B-LOC'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 3, 3],
    ]);
  });

  it('reads IOB1: an I-X after O or after another type starts a chunk; B-X splits adjacent chunks', () => {
    expect(spans(['I-PER', 'I-PER', 'I-LOC', 'O', 'I-PER', 'B-PER'])).toEqual([
      ['PER', 0, 1],
      ['LOC', 2, 2],
      ['PER', 4, 4],
      ['PER', 5, 5],
    ]);
  });

  it('splits on a type change even inside B-X I-Y, and reads IOBES', () => {
    expect(spans(['B-PER', 'I-LOC', 'I-LOC'])).toEqual([
      ['PER', 0, 0],
      ['LOC', 1, 2],
    ]);
    expect(spans(['S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'E-LOC'])).toEqual([
      ['PER', 0, 0],
      ['LOC', 1, 3],
      ['LOC', 4, 4],
    ]);
  });

  it('keeps multi-dash types whole and handles empty input', () => {
    expect(spans(['B-creative-work', 'I-creative-work'])).toEqual([['creative-work', 0, 1]]);
    expect(spans([])).toEqual([]);
    expect(spans(['O', 'O'])).toEqual([]);
  });
});

describe('entityScores', () => {
  it('reproduces the seqeval README example', () => {
    const gold = [
      ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const predicted = [
      ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'],
      ['B-PER', 'I-PER', 'O'],
    ];
    const scores = entityScores(gold, predicted);
    // README: f1 0.50; report MISC 0.00/0.00/0.00 (1), PER 1.00/1.00/1.00 (1), micro 0.50, macro 0.50.
    expect(scores).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(scores.perType).toEqual({
      MISC: { precision: 0, recall: 0, f1: 0, support: 1 },
      PER: { precision: 1, recall: 1, f1: 1, support: 1 },
    });
    expect(scores.macro).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(scores.accuracy).toBeCloseTo(8 / 10, 12); // accuracy_score: 2 of 10 tags differ
  });

  it('micro-averages over types; a type never predicted has precision 0 (zero division)', () => {
    const gold = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-ORG']];
    const predicted = [['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'O']];
    const scores = entityScores(gold, predicted);
    // 2 correct of 2 predicted and 3 gold: P = 1, R = 2/3, F1 = 2·(2/3)/(5/3) = 0.8.
    expect(scores.precision).toBe(1);
    expect(scores.recall).toBeCloseTo(2 / 3, 12);
    expect(scores.f1).toBeCloseTo(0.8, 12);
    expect(scores.perType.ORG).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(scores.macro.f1).toBeCloseTo(2 / 3, 12);
  });

  it('counts an entity with the wrong boundary or type as both a miss and a false alarm', () => {
    const scores = entityScores([['B-PER', 'I-PER']], [['B-PER', 'B-PER']]);
    expect([scores.correct, scores.predicted, scores.support]).toEqual([0, 2, 1]);
    expect(scores.f1).toBe(0);
  });

  it('gives zeros, not NaN, when there is nothing to score', () => {
    expect(entityScores([['O']], [['O']])).toMatchObject({ precision: 0, recall: 0, f1: 0, accuracy: 1 });
    expect(entityScores([], [])).toMatchObject({ f1: 0, accuracy: 0 });
  });

  it('rejects sequences of different lengths', () => {
    expect(() => entityScores([['O']], [])).toThrow(RangeError);
    expect(() => entityScores([['O']], [['O', 'O']])).toThrow(RangeError);
  });
});
