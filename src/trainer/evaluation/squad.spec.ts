import { exactMatch, normalizeAnswer, squadEvaluate, tokenF1 } from './squad';

describe('SQuAD official metric', () => {
  it('normalizes as normalize_answer: lower, ASCII punctuation out, articles out, whitespace collapsed', () => {
    expect(normalizeAnswer('The  Eiffel Tower!')).toBe('eiffel tower');
    expect(normalizeAnswer('an apple a day, the end')).toBe('apple day end');
    expect(normalizeAnswer('theatre Anthem')).toBe('theatre anthem'); // articles only as whole words
    expect(normalizeAnswer('A-B')).toBe('ab'); // punctuation goes before articles are looked for
    expect(normalizeAnswer('¿Qué?')).toBe('¿qué'); // only string.punctuation (ASCII) is removed
    expect(normalizeAnswer('éthe the')).toBe('éthe'); // Unicode word boundary, as Python's re
    expect(normalizeAnswer('a\u3000b\u00a0c')).toBe('b c'); // Python's str.split whitespace
  });

  it('exact match and token F1 (hand-computed)', () => {
    expect(exactMatch('the Eiffel Tower.', 'Eiffel tower')).toBe(1);
    // pred tokens eiffel tower in paris (4), gold eiffel tower (2): P 1/2, R 1 → 2/3.
    expect(tokenF1('the Eiffel Tower in Paris', 'Eiffel Tower')).toBeCloseTo(2 / 3, 12);
    // Multiset overlap: x x y vs x y y share one x and one y: P = R = 2/3.
    expect(tokenF1('x x y', 'x y y')).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('London', 'Paris')).toBe(0);
  });

  it('empty answers: v2.0 scores a matching "no answer" 1, v1.1 scores 0', () => {
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('the', '')).toBe(1); // "the" normalizes to nothing
    expect(tokenF1('Paris', '')).toBe(0);
    expect(tokenF1('', '', 'v1.1')).toBe(0);
  });

  it('evaluates v1.1: best over gold answers, a missing prediction scores 0, percentages', () => {
    const scores = squadEvaluate(
      [
        { id: 'a', answers: ['Denver Broncos', 'The Denver Broncos'] },
        { id: 'b', answers: ['Santa Clara, California'] },
        { id: 'c', answers: ['1'] },
      ],
      { a: 'Denver Broncos', b: 'Santa Clara' },
    );
    // a: EM 1, F1 1. b: EM 0, F1 = 2·1·(2/3)/(1 + 2/3) = 0.8. c: missing → 0.
    expect(scores.total).toBe(3);
    expect(scores.exactMatch).toBeCloseTo(100 / 3, 10);
    expect(scores.f1).toBeCloseTo((100 * 1.8) / 3, 10);
    expect(scores.hasAns).toBeUndefined();
  });

  it('evaluates v2.0 with HasAns / NoAns breakdowns', () => {
    const scores = squadEvaluate(
      [
        { id: 'a', answers: ['Paris'] },
        { id: 'n1', answers: [] },
        { id: 'n2', answers: [] },
      ],
      new Map([
        ['a', 'Paris'],
        ['n1', ''],
        ['n2', 'Lyon'],
      ]),
    );
    expect(scores.exactMatch).toBeCloseTo(200 / 3, 10);
    expect(scores.hasAns).toEqual({ exactMatch: 100, f1: 100, total: 1 });
    expect(scores.noAns).toEqual({ exactMatch: 50, f1: 50, total: 2 });
  });
});
