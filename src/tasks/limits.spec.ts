import { InputTooLongError, InvalidInputError } from '../errors/domain-error';
import { RequestLimits } from './limits';

const limits = new RequestLimits({ maxInputsPerRequest: 2, maxCandidateLabels: 3, maxTextChars: 5 });

function caught(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('RequestLimits', () => {
  it('inputs: at least one, at most the limit, with the limit in the details', () => {
    expect(() => limits.inputs(1)).not.toThrow();
    expect(() => limits.inputs(2)).not.toThrow();
    expect(caught(() => limits.inputs(0))).toBeInstanceOf(InvalidInputError);
    const tooMany = caught(() => limits.inputs(3)) as InvalidInputError;
    expect(tooMany).toBeInstanceOf(InvalidInputError);
    expect(tooMany.message).toBe('too many inputs: 3 in one request, the limit is 2');
    expect(tooMany.details).toEqual({ limit: 2, received: 3 });
  });

  it('texts: counted in code points, naming the field', () => {
    // Five emoji are ten UTF-16 units but five characters: within the limit.
    expect(() => limits.texts([['inputs[0]', '😀'.repeat(5)]])).not.toThrow();
    const tooLong = caught(() =>
      limits.texts([
        ['inputs[0]', 'ok'],
        ['inputs[1].text_pair', '😀'.repeat(6)],
      ]),
    ) as InputTooLongError;
    expect(tooLong).toBeInstanceOf(InputTooLongError);
    expect(tooLong.message).toBe('inputs[1].text_pair has 6 characters, the limit is 5');
    expect(tooLong.details).toEqual({ field: 'inputs[1].text_pair', limit: 5, received: 6 });
  });

  it('texts: blank texts are refused, after every length is checked', () => {
    const blank = caught(() => limits.texts([['inputs[0]', ' \t']])) as InvalidInputError;
    expect(blank).toBeInstanceOf(InvalidInputError);
    expect(blank.message).toBe('inputs[0] is empty');
    expect(
      caught(() =>
        limits.texts([
          ['inputs[0]', ' '],
          ['inputs[1]', 'x'.repeat(6)],
        ]),
      ),
    ).toBeInstanceOf(InputTooLongError);
  });

  it('candidate labels: at least one, at most the limit, each once and non-blank', () => {
    expect(() => limits.candidateLabels(['a', 'b', 'c'])).not.toThrow();
    expect((caught(() => limits.candidateLabels([])) as Error).message).toBe('candidate_labels must hold at least one label');
    const tooMany = caught(() => limits.candidateLabels(['a', 'b', 'c', 'd'])) as InvalidInputError;
    expect(tooMany.message).toBe('too many candidate_labels: 4, the limit is 3');
    expect(tooMany.details).toEqual({ limit: 3, received: 4 });
    expect((caught(() => limits.candidateLabels(['a', 'a'])) as InvalidInputError).details).toEqual({ label: 'a' });
    expect((caught(() => limits.candidateLabels(['a', ' '])) as Error).message).toBe('candidate_labels[1] is empty');
  });

  it('top_k: absent or null passes; otherwise an integer from 1 to the maximum, named as a field', () => {
    expect(() => limits.topK(undefined, 10)).not.toThrow();
    expect(() => limits.topK(null, 10)).not.toThrow();
    expect(() => limits.topK(10, 10)).not.toThrow();
    for (const bad of [0, -1, 1.5, 11]) {
      const e = caught(() => limits.topK(bad, 10)) as InvalidInputError;
      expect(e).toBeInstanceOf(InvalidInputError);
      expect(e.message).toBe(`top_k must be an integer from 1 to 10 (got ${bad})`);
      expect(e.details).toEqual({ fields: [{ field: 'top_k', problems: ['must be an integer from 1 to 10'] }] });
    }
  });
});
