/**
 * The request limits every task applies, before its model is resolved: how many inputs a request
 * may hold and how long each text may be. Characters are Unicode code points, as offsets are
 * reported.
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
    const limit = this.config.maxInputsPerRequest;
    if (count > limit) throw new InvalidInputError(`too many inputs: ${count} (limit ${limit} per request)`, { limit, received: count });
  }

  /** Each text (fields of pairs included) non-blank and at most `maxTextChars`; `field` names it in the error. */
  texts(texts: Iterable<[field: string, text: string]>): void {
    const limit = this.config.maxTextChars;
    for (const [field, text] of texts) {
      if (typeof text !== 'string' || text.trim() === '') throw new InvalidInputError(`${field} is empty`);
      const n = codePointsOver(text, limit);
      if (n !== undefined) throw new InputTooLongError(`${field} has ${n} characters (limit ${limit})`, { field, limit, received: n });
    }
  }
}
