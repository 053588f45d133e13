import type { AppConfig } from '../../config/app-config';
import { InputTooLongError, InvalidInputError } from '../../errors/domain-error';

/** Code points in `s`, counted only when the cheap UTF-16 length could exceed the limit. */
function exceeds(s: string, maxChars: number): number | undefined {
  if (s.length <= maxChars) return undefined;
  let n = 0;
  for (const _ of s) n++;
  return n > maxChars ? n : undefined;
}

/** The request-size rules every inference route applies before anything reaches the core. */
export class InputLimits {
  constructor(private readonly limits: AppConfig['limits']) {}

  /** Client batch size cap. */
  checkCount(count: number): void {
    const max = this.limits.maxInputsPerRequest;
    if (count > max) {
      throw new InvalidInputError(`too many inputs: ${count} in one request, the limit is ${max}`, { limit: max, received: count });
    }
  }

  /** Every text (fields of pairs included) under the character limit; `field` names it in the error. */
  checkTexts(texts: Iterable<[field: string, text: string]>): void {
    const max = this.limits.maxTextChars;
    for (const [field, text] of texts) {
      const n = exceeds(text, max);
      if (n !== undefined) {
        throw new InputTooLongError(`${field} has ${n} characters, the limit is ${max}`, { field, limit: max, received: n });
      }
    }
  }

  checkCandidateLabels(labels: readonly string[]): void {
    const max = this.limits.maxCandidateLabels;
    if (labels.length > max) {
      throw new InvalidInputError(`too many candidate_labels: ${labels.length}, the limit is ${max}`, {
        limit: max,
        received: labels.length,
      });
    }
    const seen = new Set<string>();
    for (const l of labels) {
      if (seen.has(l)) throw new InvalidInputError(`candidate_labels has "${l}" twice`, { label: l });
      seen.add(l);
    }
  }
}
