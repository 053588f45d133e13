import type { TokenizedInput } from '../../tokenizer/tokenizer';
import type { QaExample } from './readers/qa';
import { DatasetError } from './errors';
import { DataTokenizer, ENCODE_CHUNK, QaEvaluationFeature, QaTrainingFeature } from './features';

export interface QaPrepOptions {
  /** Window length in tokens, specials included (run_qa.py default 384). */
  maxLength?: number;
  /** Tokens shared by consecutive windows of a long context (run_qa.py default 128). */
  docStride?: number;
  file: string;
}

/** Code-point length, the unit of answer_start and of the tokenizer's offsets. */
function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Encodes `[CLS] question [SEP] context [SEP]` windows (truncation only_second, with overflow and
 * stride), as run_qa.py does, questions left-stripped. A question too long to leave room for any
 * context is reported with its id.
 */
async function encodeWindows(examples: readonly QaExample[], tokenizer: DataTokenizer, options: QaPrepOptions): Promise<TokenizedInput[][]> {
  const opts = {
    truncation: 'only_second' as const,
    maxLength: options.maxLength ?? 384,
    stride: options.docStride ?? 128,
    returnOverflowing: true,
  };
  const all: TokenizedInput[][] = [];
  for (let from = 0; from < examples.length; from += ENCODE_CHUNK) {
    const slice = examples.slice(from, from + ENCODE_CHUNK);
    const inputs = slice.map((e): [string, string] => [e.question.trimStart(), e.context]);
    try {
      all.push(...(await tokenizer.encodeBatch(inputs, opts)));
    } catch {
      // Find the row the tokenizer refused, to name it.
      for (let i = 0; i < slice.length; i++) {
        try {
          all.push(...(await tokenizer.encodeBatch([inputs[i]], opts)));
        } catch (err) {
          throw new DatasetError(
            options.file,
            `question "${slice[i].id}" cannot be encoded in windows of ${opts.maxLength} tokens with stride ${opts.stride} (${(err as Error).message})`,
            slice[i].line,
            'question',
          );
        }
      }
    }
  }
  return all;
}

/**
 * Start and end token of the answer in a window, by run_qa.py's rule: the first context token whose
 * span starts at or before the answer's first character, walked forward; the last whose span ends
 * at or after its last character, walked back. A window that does not hold the whole answer, and an
 * unanswerable question, point at [CLS] (0, 0).
 */
export function answerPositions(window: TokenizedInput, answerStart: number | undefined, answerLength: number): [number, number] {
  if (answerStart === undefined) return [0, 0];
  const startChar = answerStart;
  const endChar = answerStart + answerLength;
  const { sequenceIds, offsets } = window;
  let first = 0;
  while (first < sequenceIds.length && sequenceIds[first] !== 1) first++;
  let last = sequenceIds.length - 1;
  while (last >= 0 && sequenceIds[last] !== 1) last--;
  if (first > last) return [0, 0];
  if (!(offsets[first][0] <= startChar && offsets[last][1] >= endChar)) return [0, 0];
  // The walks stay inside the context: run_qa.py's unbounded walk runs on through the final
  // [SEP] (offsets (0, 0)) when the answer starts in the window's last context token.
  const contextFirst = first;
  const contextLast = last;
  while (first <= contextLast && offsets[first][0] <= startChar) first++;
  while (last >= contextFirst && offsets[last][1] >= endChar) last--;
  return [first - 1, last + 1];
}

/** Training features: one per window, labelled with the first answer's token positions. */
export async function prepareQaTraining(examples: readonly QaExample[], tokenizer: DataTokenizer, options: QaPrepOptions): Promise<QaTrainingFeature[]> {
  const encoded = await encodeWindows(examples, tokenizer, options);
  const features: QaTrainingFeature[] = [];
  encoded.forEach((windows, index) => {
    const example = examples[index];
    const hasAnswer = !example.isImpossible && example.answers.text.length > 0;
    const start = hasAnswer ? example.answers.answerStart[0] : undefined;
    const length = hasAnswer ? codePointLength(example.answers.text[0]) : 0;
    for (const window of windows) {
      const [startPosition, endPosition] = answerPositions(window, start, length);
      features.push({ inputIds: window.ids, tokenTypeIds: window.typeIds, startPosition, endPosition, example: index });
    }
  });
  return features;
}

/** Evaluation features: every window with its example id and context offsets (null outside the context). */
export async function prepareQaEvaluation(
  examples: readonly QaExample[],
  tokenizer: DataTokenizer,
  options: QaPrepOptions,
): Promise<QaEvaluationFeature[]> {
  const encoded = await encodeWindows(examples, tokenizer, options);
  const features: QaEvaluationFeature[] = [];
  encoded.forEach((windows, index) => {
    for (const window of windows) {
      features.push({
        inputIds: window.ids,
        tokenTypeIds: window.typeIds,
        exampleId: examples[index].id,
        example: index,
        offsets: window.offsets.map((o, t) => (window.sequenceIds[t] === 1 ? o : null)),
      });
    }
  });
  return features;
}
