import type { QaWindow } from '../tokenizer/tokenizer';
import { postprocessQa, selectSpans } from './question-answering';

/**
 * Eight tokens: [CLS] q q [SEP] c c c c; positions 3..6 are context only in `allowed` (position
 * 3 is the context's first token here; the [SEP] at 7 is not allowed). Logits are logs of
 * weights, so the masked softmax gives weight / sum and every score is computed by hand.
 */
const L = Math.log;
const allowed = [false, false, false, true, true, true, true, false];
// start weights: CLS 1, c3 2, c4 1, c5 4, c6 1 (sum 9); masked positions carry junk logits
const start = [L(1), 50, 50, L(2), L(1), L(4), L(1), 50];
// end weights: CLS 2, c3 1, c4 1, c5 1, c6 5 (sum 10)
const end = [L(2), 50, 50, L(1), L(1), L(1), L(5), 50];

describe('QA span selection (HF select_starts_ends + decode_spans)', () => {
  it('ignores non-context positions and picks the best start ≤ end span', () => {
    const { spans, nullScore } = selectSpans(start, end, allowed, 0, 3, 15);
    expect(spans[0]).toEqual({ start: 5, end: 6, score: expect.closeTo((4 / 9) * 0.5, 9) });
    expect(spans[1]).toEqual({ start: 3, end: 6, score: expect.closeTo((2 / 9) * 0.5, 9) });
    // (4,6) and (6,6) tie at (1/9)(1/2); the earlier start comes first, as numpy's row-major order.
    expect(spans[2]).toEqual({ start: 4, end: 6, score: expect.closeTo((1 / 9) * 0.5, 9) });
    expect(nullScore).toBeCloseTo((1 / 9) * 0.2, 9);
  });

  it('max_answer_len bounds end − start + 1', () => {
    const { spans } = selectSpans(start, end, allowed, 0, 1, 1);
    expect(spans).toEqual([{ start: 6, end: 6, score: expect.closeTo((1 / 9) * 0.5, 9) }]);
    const two = selectSpans(start, end, allowed, 0, 1, 2).spans[0];
    expect(two).toEqual({ start: 5, end: 6, score: expect.closeTo((4 / 9) * 0.5, 9) });
  });

  it('never ends before it starts', () => {
    // The best end (c3) lies before the best start (c5): spans must still have start ≤ end.
    const s = [L(1), 0, 0, L(1), L(1), L(8), L(1), 0];
    const e = [L(1), 0, 0, L(8), L(1), L(1), L(1), 0];
    const { spans } = selectSpans(s, e, allowed, 0, 50, 15);
    for (const span of spans) expect(span.end).toBeGreaterThanOrEqual(span.start);
    expect(spans[0]).toMatchObject({ start: 3, end: 3 }); // (1/12)(8/12) beats (8/12)(1/12) on row order
  });

  const context = 'New York rocks';
  const window: QaWindow = {
    sequenceIds: [null, 0, 0, null, 1, 1, 1, 1, null],
    offsets: [
      [0, 0],
      [0, 5],
      [6, 7],
      [0, 0],
      [0, 3],
      [4, 8],
      [9, 13],
      [13, 14],
      [0, 0],
    ],
    wordIds: [null, 0, 1, null, 0, 1, 2, 2, null],
    clsIndex: 0,
  };

  it('widens a span to whole words and slices the original context', () => {
    // Start and end both at "rock" (token 6): the answer is the whole word "rocks".
    const s = [0, -5, -5, -5, 0, 0, 5, 0, -5];
    const e = [0, -5, -5, -5, 0, 0, 5, 0, -5];
    const [answer] = postprocessQa(context, [{ window, startLogits: s, endLogits: e }], {
      topK: 1,
      maxAnswerLen: 15,
      handleImpossibleAnswer: false,
    });
    expect(answer).toMatchObject({ answer: 'rocks', start: 9, end: 14 });
  });

  it('handle_impossible_answer adds the null answer, which wins when [CLS] dominates', () => {
    const s = [L(20), 0, 0, 0, L(2), L(1), L(4), L(1), 0];
    const e = [L(20), 0, 0, 0, L(1), L(1), L(1), L(5), 0];
    const answers = postprocessQa(context, [{ window, startLogits: s, endLogits: e }], {
      topK: 2,
      maxAnswerLen: 15,
      handleImpossibleAnswer: true,
    });
    expect(answers[0]).toEqual({ answer: '', score: expect.closeTo((20 / 28) * (20 / 28), 9), start: 0, end: 0 });
    // best span: start "rock" (4/28) to end "##s" (5/28), widened to the word "rocks"
    expect(answers[1]).toEqual({ answer: 'rocks', score: expect.closeTo((4 / 28) * (5 / 28), 9), start: 9, end: 14 });
    const without = postprocessQa(context, [{ window, startLogits: s, endLogits: e }], {
      topK: 1,
      maxAnswerLen: 15,
      handleImpossibleAnswer: false,
    });
    expect(without[0].answer).toBe('rocks');
  });

  it('several windows: answers compete on window-local scores; the null score is the smallest over windows', () => {
    // Window A: CLS dominates (null (20/28)²); window B: a clear answer, null 1/(12·13).
    const a = { window, startLogits: [L(20), 0, 0, 0, L(2), L(1), L(4), L(1), 0], endLogits: [L(20), 0, 0, 0, L(1), L(1), L(1), L(5), 0] };
    const b = { window, startLogits: [L(1), 0, 0, 0, L(1), L(1), L(8), L(1), 0], endLogits: [L(1), 0, 0, 0, L(1), L(1), L(1), L(9), 0] };
    const answers = postprocessQa(context, [a, b], { topK: 20, maxAnswerLen: 15, handleImpossibleAnswer: true });
    // Each window contributes its own top 20 spans (10 exist in each), and the null answer is added once.
    expect(answers).toHaveLength(20);
    expect(answers.slice(0, 6)).toEqual([
      { answer: 'rocks', score: expect.closeTo((8 / 12) * (9 / 13), 9), start: 9, end: 14 },
      // (4,7), (5,7) and (7,7) tie at (1/12)(9/13): row-major order, lower start first.
      { answer: 'New York rocks', score: expect.closeTo((1 / 12) * (9 / 13), 9), start: 0, end: 14 },
      { answer: 'York rocks', score: expect.closeTo((1 / 12) * (9 / 13), 9), start: 4, end: 14 },
      { answer: 'rocks', score: expect.closeTo((1 / 12) * (9 / 13), 9), start: 9, end: 14 },
      { answer: 'rocks', score: expect.closeTo((8 / 12) * (1 / 13), 9), start: 9, end: 14 },
      // Window A's best span comes after all of those.
      { answer: 'rocks', score: expect.closeTo((4 / 28) * (5 / 28), 9), start: 9, end: 14 },
    ]);
    const impossible = answers.filter((x) => x.answer === '');
    expect(impossible).toEqual([{ answer: '', score: expect.closeTo(1 / (12 * 13), 12), start: 0, end: 0 }]);
  });
});
