/**
 * Extractive question answering with the semantics of Hugging Face's QuestionAnsweringPipeline:
 * the question and context are encoded as a pair, the context cut into `doc_stride`-overlapping
 * windows (`only_second` truncation); in each window the start and end logits of every token
 * that is not context (question, separators, padding) are set to -10000 while [CLS] stays, both
 * are softmaxed, the null score is start[CLS]·end[CLS], and candidate spans are the entries of
 * the outer product start ⊗ end with start ≤ end < start + max_answer_len. Spans are widened to
 * whole words (HF's `align_to_words`) and returned as code-point offsets into the context.
 *
 * The pipeline below refuses a question longer than `max_question_len` tokens, and caps
 * `doc_stride` below the room the context has in a window.
 */
import { InputTooLongError, InvalidInputError } from '../errors/domain-error';
import { skipLeadingSpace } from '../tokenizer/offsets';
import type { QaWindow, TokenizedInput } from '../tokenizer/tokenizer';
import type { TaskPipeline } from './pipeline';
import type { Answer, QaInput, QaParams } from './types';

export interface SpanCandidate {
  start: number;
  end: number;
  score: number;
}

export interface SelectedSpans {
  spans: SpanCandidate[];
  /** start[CLS] · end[CLS] of this window (the "no answer" score). */
  nullScore: number;
}

const MASKED_LOGIT = -10000;

/** Softmax over a row where `keep[i]` false puts -10000 in place of the logit, as HF does. */
function maskedSoftmax(logits: ArrayLike<number>, keep: boolean[]): number[] {
  const n = keep.length;
  const x = new Array<number>(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    x[i] = keep[i] ? logits[i] : MASKED_LOGIT;
    if (x[i] > max) max = x[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    x[i] = Math.exp(x[i] - max);
    sum += x[i];
  }
  for (let i = 0; i < n; i++) x[i] /= sum;
  return x;
}

/**
 * HF `select_starts_ends` + `decode_spans` for one window: the `topK` best spans among the
 * allowed positions (context tokens; [CLS] is zeroed after the softmax so it never wins a span).
 */
export function selectSpans(
  startLogits: ArrayLike<number>,
  endLogits: ArrayLike<number>,
  allowed: boolean[],
  clsIndex: number,
  topK: number,
  maxAnswerLen: number,
): SelectedSpans {
  const n = allowed.length;
  const keep = allowed.map((a, i) => a || i === clsIndex);
  const start = maskedSoftmax(startLogits, keep);
  const end = maskedSoftmax(endLogits, keep);
  const nullScore = clsIndex >= 0 ? start[clsIndex] * end[clsIndex] : 0;
  if (clsIndex >= 0) start[clsIndex] = end[clsIndex] = 0;

  // Only allowed positions can start or end a span (HF filters with `undesired_tokens`).
  const positions: number[] = [];
  for (let i = 0; i < n; i++) if (allowed[i]) positions.push(i);
  const candidates: SpanCandidate[] = [];
  for (const s of positions) {
    for (const e of positions) {
      if (e < s) continue;
      if (e - s > maxAnswerLen - 1) break;
      candidates.push({ start: s, end: e, score: start[s] * end[e] });
    }
  }
  // Best score first; ties in row-major order (start, then end), as numpy's flat argsort finds them.
  candidates.sort((a, b) => b.score - a.score || a.start - b.start || a.end - b.end);
  return { spans: candidates.slice(0, Math.max(1, topK)), nullScore };
}

/** Token span → character span of the context, widened to whole words (HF `get_indices`). */
export function spanToChars(window: QaWindow, startToken: number, endToken: number, alignToWords = true): [number, number] {
  if (!alignToWords) return [window.offsets[startToken][0], window.offsets[endToken][1]];
  const startWord = window.wordIds[startToken];
  const endWord = window.wordIds[endToken];
  let first = startToken;
  let last = endToken;
  for (let t = startToken; t >= 0 && window.sequenceIds[t] === 1 && window.wordIds[t] === startWord; t--) first = t;
  for (let t = endToken; t < window.wordIds.length && window.sequenceIds[t] === 1 && window.wordIds[t] === endWord; t++) last = t;
  // A word cut by the window edge keeps only the part inside the window, like HF's word_to_chars
  // on the window's own encoding.
  return [window.offsets[first][0], window.offsets[last][1]];
}

export interface QaPostprocessOptions {
  topK: number;
  maxAnswerLen: number;
  handleImpossibleAnswer: boolean;
}

/**
 * All windows of one (question, context) → answers, best first. As in HF, answers from every
 * window compete on their window-local scores, and the null answer (score: the smallest
 * start[CLS]·end[CLS] over the windows) is added when `handleImpossibleAnswer`.
 */
export function postprocessQa(
  context: string,
  windows: Array<{ window: QaWindow; startLogits: ArrayLike<number>; endLogits: ArrayLike<number> }>,
  opts: QaPostprocessOptions,
): Answer[] {
  const codePoints = Array.from(context);
  const answers: Answer[] = [];
  let minNull = 1_000_000;
  for (const { window, startLogits, endLogits } of windows) {
    const allowed = window.sequenceIds.map((s) => s === 1);
    const { spans, nullScore } = selectSpans(startLogits, endLogits, allowed, window.clsIndex, opts.topK, opts.maxAnswerLen);
    if (opts.handleImpossibleAnswer) minNull = Math.min(minNull, nullScore);
    for (const span of spans) {
      const [first, end] = spanToChars(window, span.start, span.end);
      const start = skipLeadingSpace(codePoints, first, end);
      answers.push({ answer: codePoints.slice(start, end).join(''), score: span.score, start, end });
    }
  }
  if (opts.handleImpossibleAnswer) answers.push({ answer: '', score: minNull, start: 0, end: 0 });
  // Stable: equal scores keep window order, as Python's sorted.
  answers.sort((a, b) => b.score - a.score);
  return answers.slice(0, opts.topK);
}

function qaWindow(w: TokenizedInput, clsId: number): QaWindow {
  return { sequenceIds: w.sequenceIds, offsets: w.offsets, wordIds: w.wordIds, clsIndex: w.ids.indexOf(clsId) };
}

/** The most answers a request may ask for, per input. */
const TOP_K_MAX = 100;

export const qaPipeline: TaskPipeline<QaInput, QaParams, Answer[]> = {
  requires: 'question-answering',

  check(inputs, params, limits) {
    limits.topK(params.top_k, TOP_K_MAX);
    const maxAnswerLen = params.max_answer_len ?? 15;
    if (!Number.isInteger(maxAnswerLen) || maxAnswerLen < 1) {
      throw new InvalidInputError(`max_answer_len must be a positive integer (got ${maxAnswerLen})`);
    }
    for (const key of ['max_seq_len', 'doc_stride', 'max_question_len'] as const) {
      const value = params[key];
      if (value !== undefined && (!Number.isInteger(value) || value < (key === 'doc_stride' ? 0 : 1))) {
        throw new InvalidInputError(`${key} must be a ${key === 'doc_stride' ? 'non-negative' : 'positive'} integer (got ${value})`);
      }
    }
    limits.inputs(inputs.length);
    limits.texts(
      inputs.flatMap((q, i): Array<[string, string]> => [
        [`inputs[${i}].question`, q.question],
        [`inputs[${i}].context`, q.context],
      ]),
    );
  },

  async run(model, stages, inputs, params) {
    const { tokenizer } = model;
    const maxSeqLen = Math.min(params.max_seq_len ?? Math.min(384, model.maxLength), model.maxLength);
    const docStride = params.doc_stride ?? Math.min(Math.floor(maxSeqLen / 2), 128);
    const maxQuestionLen = params.max_question_len ?? 64;
    const questionTokens = await stages.tokenize(() =>
      tokenizer.encodeBatch(
        inputs.map((q) => q.question),
        { addSpecialTokens: false, truncation: false },
      ),
    );
    const perInput = await stages.tokenize(() =>
      Promise.all(
        inputs.map(async (q, i) => {
          const qLen = questionTokens[i][0].ids.length;
          if (qLen > maxQuestionLen) {
            throw new InputTooLongError(`inputs[${i}].question has ${qLen} tokens; max_question_len is ${maxQuestionLen}`, {
              tokens: qLen,
              limit: maxQuestionLen,
            });
          }
          const room = maxSeqLen - qLen - tokenizer.numSpecialTokens(true);
          if (room < 1) {
            throw new InputTooLongError(`inputs[${i}].question leaves no room for the context within max_seq_len ${maxSeqLen}`);
          }
          // The overlap must be smaller than the room the context has in a window; cap it there.
          const stride = Math.max(0, Math.min(docStride, room - 1));
          return tokenizer.encode(q.question, q.context, {
            maxLength: maxSeqLen,
            truncation: 'only_second',
            stride,
            returnOverflowing: true,
          });
        }),
      ),
    );
    const outputs = await stages.run(perInput.flat());
    const options = {
      topK: params.top_k ?? 1,
      maxAnswerLen: params.max_answer_len ?? 15,
      handleImpossibleAnswer: params.handle_impossible_answer ?? false,
    };
    let k = 0;
    return inputs.map((q, i) =>
      postprocessQa(
        q.context,
        perInput[i].map((w) => {
          const o = outputs[k++];
          return { window: qaWindow(w, tokenizer.specialIds.cls), startLogits: o.start_logits.data, endLogits: o.end_logits.data };
        }),
        options,
      ),
    );
  },
};
