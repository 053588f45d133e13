/**
 * The request limits, defined once and applied by every task pipeline before its model is
 * resolved, so every route (/v1, the Hugging Face alias, KServe) and every direct caller of the
 * core gets the same check and the same message. The HTTP layer validates types only.
 *
 * Characters are Unicode code points, as offsets are reported.
 */
import { InputTooLongError, InvalidInputError } from '../errors/domain-error';

export interface LimitsConfig {
  maxInputsPerRequest: number;
  maxCandidateLabels: number;
  maxTextChars: number;
}

/** Code points in `s`, counted only when the cheap UTF-16 length could exceed the limit. */
function codePointsOver(s: string, max: number): number | undefined {
  if (s.length <= max) return undefined;
  let n = 0;
  for (const _ of s) n++;
  return n > max ? n : undefined;
}

export class RequestLimits {
  constructor(readonly config: LimitsConfig) {}

  /** The client batch: at least one input, at most `maxInputsPerRequest`. */
  inputs(count: number): void {
    if (count === 0) throw new InvalidInputError('no inputs: send at least one');
    const max = this.config.maxInputsPerRequest;
    if (count > max)
      throw new InvalidInputError(`too many inputs: ${count} in one request, the limit is ${max}`, { limit: max, received: count });
  }

  /**
   * Every text (fields of pairs included) at most `maxTextChars`, then every text non-blank;
   * `field` names the text in the error.
   */
  texts(texts: ReadonlyArray<readonly [field: string, text: string]>): void {
    const max = this.config.maxTextChars;
    for (const [field, text] of texts) {
      const n = typeof text === 'string' ? codePointsOver(text, max) : undefined;
      if (n !== undefined)
        throw new InputTooLongError(`${field} has ${n} characters, the limit is ${max}`, { field, limit: max, received: n });
    }
    for (const [field, text] of texts) {
      if (typeof text !== 'string' || text.trim() === '') throw new InvalidInputError(`${field} is empty`);
    }
  }

  /** Zero-shot labels: at least one, at most `maxCandidateLabels`, each once and non-blank. */
  candidateLabels(labels: readonly string[]): void {
    if (labels.length === 0) throw new InvalidInputError('candidate_labels must hold at least one label');
    const max = this.config.maxCandidateLabels;
    if (labels.length > max) {
      throw new InvalidInputError(`too many candidate_labels: ${labels.length}, the limit is ${max}`, {
        limit: max,
        received: labels.length,
      });
    }
    const seen = new Set<string>();
    for (const label of labels) {
      if (seen.has(label)) throw new InvalidInputError(`candidate_labels has "${label}" twice`, { label });
      seen.add(label);
    }
    labels.forEach((label, i) => {
      if (typeof label !== 'string' || label.trim() === '') throw new InvalidInputError(`candidate_labels[${i}] is empty`);
    });
  }

  /**
   * `top_k`, when given, an integer from 1 to `max` (null and undefined are the task's to read:
   * every label for classification, the default elsewhere).
   */
  topK(value: number | null | undefined, max: number): void {
    if (value === undefined || value === null) return;
    if (Number.isInteger(value) && value >= 1 && value <= max) return;
    const problem = `must be an integer from 1 to ${max}`;
    throw new InvalidInputError(`top_k ${problem} (got ${value})`, { fields: [{ field: 'top_k', problems: [problem] }] });
  }
}
