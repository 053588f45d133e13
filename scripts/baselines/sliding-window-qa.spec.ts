import { answerBySlidingWindow, sentenceRanges, slidingWindowScore } from './sliding-window-qa';

describe('sentenceRanges', () => {
  it('ends sentences at . ! ? (with closing quotes) followed by white space', () => {
    const text = 'It rained. "Then it stopped!"  Fine';
    expect(sentenceRanges(text).map(([s, e]) => text.slice(s, e).trim())).toEqual(['It rained.', '"Then it stopped!"', 'Fine']);
  });
});

describe('slidingWindowScore (Richardson et al. 2013, SW − D)', () => {
  it('sums ln(1 + 1/count) over the best window of |S| words, minus the normalised distance', () => {
    const sentence = ['marie', 'curie', 'was', 'born', 'in', 'warsaw', 'in', '1867'];
    const question = ['where', 'was', 'marie', 'curie', 'born'];
    // S = {where, was, marie, curie, born, warsaw}: the window "marie curie was born in warsaw" holds
    // five words of S seen once each (5 ln 2); born (3) to warsaw (5) is 2 of 7 gaps.
    expect(slidingWindowScore(sentence, question, ['warsaw'])).toBeCloseTo(5 * Math.log(2) - 2 / 7, 12);
    // S grows to 8 with "in" (seen twice: ln 1.5) and 1867: the whole sentence matches.
    expect(slidingWindowScore(sentence, question, ['warsaw', 'in', '1867'])).toBeCloseTo(6 * Math.log(2) + 2 * Math.log(1.5) - 2 / 7, 12);
    // No candidate word outside the question: distance 1.
    expect(slidingWindowScore(sentence, question, ['born'])).toBeCloseTo(4 * Math.log(2) - 1, 12);
  });
});

describe('answerBySlidingWindow', () => {
  const context = 'The cat sat on the mat. Marie Curie was born in Warsaw in 1867. She moved to Paris.';
  const question = 'Where was Marie Curie born?';

  it('keeps the candidates of maximal overlap with the question and ranks them by SW − D', () => {
    // Overlap 4 (marie, curie, born, "marie curie") for Warsaw and 1867; SW − D: 5 ln 2 − 2/7 against 4 ln 2 − 4/7.
    const answer = answerBySlidingWindow(question, context, { maxSpanWords: 1 });
    expect(answer).toEqual({ text: 'Warsaw', start: context.indexOf('Warsaw'), end: context.indexOf('Warsaw') + 6 });
  });

  it("prefers longer spans when they add matched words (the method's known bias)", () => {
    expect(answerBySlidingWindow(question, context, { maxSpanWords: 3 })?.text).toBe('Warsaw in 1867');
  });

  it('reads "1,000" as one word and never starts a candidate on a stop word ("About")', () => {
    // "1,000" leaves all of the question's words and bigrams in the sentence (overlap 3 + 4);
    // "1,000 people" takes "people" and two bigrams away.
    const answer = answerBySlidingWindow('How many people live in the city?', 'About 1,000 people live in the city.', { maxSpanWords: 2 });
    expect(answer?.text).toBe('1,000');
  });

  it('returns undefined when there is no candidate', () => {
    expect(answerBySlidingWindow('Who?', 'the of and.')).toBeUndefined();
  });
});
