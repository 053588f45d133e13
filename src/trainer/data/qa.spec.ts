import { join } from 'node:path';
import type { TokenizedInput } from '../../tokenizer/tokenizer';
import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { describeWithFixtures, hfTinyDir } from '../../../test/helpers/fixtures';
import { DatasetError } from './errors';
import { answerPositions, prepareQaEvaluation, prepareQaTraining } from './qa';
import { QaExample } from './readers/qa';

/** [CLS] q q [SEP] john works there [SEP], context "John works there". */
const window = {
  sequenceIds: [null, 0, 0, null, 1, 1, 1, null],
  offsets: [
    [0, 0],
    [0, 5],
    [6, 9],
    [0, 0],
    [0, 4],
    [5, 10],
    [11, 16],
    [0, 0],
  ],
} as unknown as TokenizedInput;

describe('answerPositions (run_qa.py rule)', () => {
  it('maps a character span to its first and last context tokens', () => {
    expect(answerPositions(window, 5, 5)).toEqual([5, 5]); // "works"
    expect(answerPositions(window, 0, 10)).toEqual([4, 5]); // "John works"
    expect(answerPositions(window, 1, 3)).toEqual([4, 4]); // "ohn", inside a token
  });

  it('stays inside the context for an answer in the last context token', () => {
    // An unbounded walk would run through the final [SEP] (offsets 0, 0) and answer 7.
    expect(answerPositions(window, 11, 5)).toEqual([6, 6]);
  });

  it('points at [CLS] when the window does not hold the whole answer, or there is none', () => {
    expect(answerPositions(window, 11, 9)).toEqual([0, 0]);
    expect(answerPositions(window, undefined, 0)).toEqual([0, 0]);
  });
});

describeWithFixtures('QA windows on the bert-qa tokenizer', () => {
  let tokenizer: BerthTokenizer;
  beforeAll(async () => {
    tokenizer = await BerthTokenizer.fromModelDir(join(hfTinyDir('bert-qa')));
  });

  const sentence = 'Hamlet is a tragedy written by William Shakespeare around 1600. ';
  const context = sentence.repeat(3) + 'The Eiffel Tower is 330 metres tall. ' + sentence;
  const answerStart = context.indexOf('The Eiffel Tower');
  const example: QaExample = {
    id: 'long',
    question: '  What is 330 metres tall?',
    context,
    answers: { text: ['The Eiffel Tower'], answerStart: [answerStart] },
    isImpossible: false,
  };

  it('cuts a long context into strided windows whose labelled spans read back as the answer', async () => {
    const options = { maxLength: 24, docStride: 6, file: 'long.jsonl' };
    const training = await prepareQaTraining([example], tokenizer, options);
    const evaluation = await prepareQaEvaluation([example], tokenizer, options);
    expect(training.length).toBeGreaterThan(3);
    expect(evaluation).toHaveLength(training.length);
    let found = 0;
    training.forEach((feature, i) => {
      expect(feature.inputIds.length).toBeLessThanOrEqual(24);
      const offsets = evaluation[i].offsets;
      expect(evaluation[i].exampleId).toBe('long');
      const spans = offsets.filter((o): o is readonly [number, number] => o !== null);
      const holds = spans[0][0] <= answerStart && spans[spans.length - 1][1] >= answerStart + 16;
      if (feature.startPosition === 0) {
        expect([holds, feature.endPosition]).toEqual([false, 0]);
        return;
      }
      found++;
      const text = context.slice(offsets[feature.startPosition]![0], offsets[feature.endPosition]![1]);
      expect(text).toBe('The Eiffel Tower');
    });
    expect(found).toBeGreaterThanOrEqual(1);
  });

  it('left-strips the question and shares `docStride` tokens between consecutive windows', async () => {
    const evaluation = await prepareQaEvaluation([example], tokenizer, { maxLength: 24, docStride: 6, file: 'x' });
    expect(evaluation[0].inputIds.slice(0, 2)).toEqual([101, 2054]); // [CLS] what
    const contextIds = (k: number): number[] => evaluation[k].inputIds.filter((_, t) => evaluation[k].offsets[t] !== null);
    expect(contextIds(1).slice(0, 6)).toEqual(contextIds(0).slice(-6));
  });

  it('names the question that leaves no room for its context', async () => {
    const long = { ...example, question: 'why '.repeat(40) };
    const err = await prepareQaTraining([long], tokenizer, { maxLength: 24, docStride: 6, file: 'q.jsonl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).message).toMatch(/^q\.jsonl: field "question": question "long" cannot be encoded/);
  });
});
