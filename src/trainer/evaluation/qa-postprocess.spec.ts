import { postprocessQaPredictions, QaContextOffsets } from './qa-postprocess';

// Context "John works at Google." tokens: john [0,4) works [5,10) at [11,13) google [14,20) . [20,21)
// Window layout: [CLS] q q [SEP] john works at google . [SEP]
const CONTEXT = 'John works at Google.';
const offsets: QaContextOffsets['offsets'] = [null, null, null, null, [0, 4], [5, 10], [11, 13], [14, 20], [20, 21], null];
const window: QaContextOffsets = { exampleId: 'q1', offsets };

function logits(peaks: Record<number, number>): number[] {
  return Array.from({ length: offsets.length }, (_, i) => peaks[i] ?? -5);
}

describe('postprocessQaPredictions (run_qa.py rules)', () => {
  it('picks the best start + end pair inside the context', () => {
    const result = postprocessQaPredictions([{ id: 'q1', context: CONTEXT }], [window], [logits({ 7: 4, 1: 9 })], [logits({ 7: 3, 2: 9 })]);
    // Tokens 1 and 2 (question) score higher but are outside the context.
    const prediction = result.get('q1')!;
    expect(prediction.text).toBe('Google');
    expect(prediction.candidates[0]).toMatchObject({ start: 14, end: 20, score: 7 });
  });

  it('skips end before start and spans longer than maxAnswerLength', () => {
    // (7, 5) scores 11 but ends before it starts; (4, 5) "John works" scores 7.
    const reversed = postprocessQaPredictions(
      [{ id: 'q1', context: CONTEXT }],
      [window],
      [logits({ 7: 5, 4: 1 })],
      [logits({ 5: 6, 8: 1 })],
    );
    expect(reversed.get('q1')!.text).toBe('John works');
    // (4, 8) scores 12 over 5 tokens; (4, 5) scores 7 over 2.
    const starts = logits({ 4: 6 });
    const ends = logits({ 8: 6, 5: 1 });
    const run = (maxAnswerLength: number): string =>
      postprocessQaPredictions([{ id: 'q1', context: CONTEXT }], [window], [starts], [ends], { maxAnswerLength }).get('q1')!.text;
    expect(run(4)).toBe('John works');
    expect(run(5)).toBe('John works at Google.');
  });

  it('takes the best span over all windows of a question, with probabilities summing to 1', () => {
    const second: QaContextOffsets = { exampleId: 'q1', offsets };
    const result = postprocessQaPredictions(
      [{ id: 'q1', context: CONTEXT }],
      [window, second],
      [logits({ 4: 1 }), logits({ 5: 6 })],
      [logits({ 4: 1 }), logits({ 5: 6 })],
    );
    const prediction = result.get('q1')!;
    expect(prediction.text).toBe('works');
    expect(prediction.candidates.reduce((s, c) => s + c.probability, 0)).toBeCloseTo(1, 12);
  });

  it('SQuAD v2: answers "" when the lowest null score beats the best span by more than the threshold', () => {
    const starts = logits({ 0: 6, 7: 2 });
    const ends = logits({ 0: 6, 7: 2 });
    const noAnswer = postprocessQaPredictions([{ id: 'q1', context: CONTEXT }], [window], [starts], [ends], { allowNoAnswer: true });
    expect(noAnswer.get('q1')!.text).toBe('');
    expect(noAnswer.get('q1')!.nullScoreDiff).toBe(12 - 4);
    const lenient = postprocessQaPredictions([{ id: 'q1', context: CONTEXT }], [window], [starts], [ends], {
      allowNoAnswer: true,
      nullScoreDiffThreshold: 10,
    });
    expect(lenient.get('q1')!.text).toBe('Google');
  });

  it('slices the context in code points, as the tokenizer reports offsets', () => {
    const context = '😀 Google';
    const w: QaContextOffsets = { exampleId: 'e', offsets: [null, [0, 1], [2, 8], null] };
    const result = postprocessQaPredictions([{ id: 'e', context }], [w], [[0, 0, 5, 0]], [[0, 0, 5, 0]]);
    expect(result.get('e')!.text).toBe('Google');
  });

  it('answers "empty" when no span is valid, as run_qa.py does', () => {
    const w: QaContextOffsets = { exampleId: 'e', offsets: [null, null] };
    expect(postprocessQaPredictions([{ id: 'e', context: 'x' }], [w], [[1, 2]], [[1, 2]]).get('e')!.text).toBe('empty');
  });
});
