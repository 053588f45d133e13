/**
 * The official SQuAD evaluation (v1.1 and v2.0 scripts): answers are normalized (lowercased,
 * ASCII punctuation removed, articles a/an/the removed, whitespace collapsed), then exact match and
 * bag-of-tokens F1 are taken against each gold answer and the best is kept. Scores are percentages,
 * as the official scripts print them.
 */

/** Python's string.punctuation: ASCII only, exactly as the official script removes it. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** Python's `\b(a|an|the)\b` under re.UNICODE: word characters are letters, digits and "_". */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
/** The characters Python's str.split() splits on (JavaScript's \s lacks \x1c-\x1f and \x85, and adds \ufeff). */
// eslint-disable-next-line no-control-regex -- Python counts these control characters as whitespace
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

function pySplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((t) => t !== '');
}

export function normalizeAnswer(text: string): string {
  const lower = text.toLowerCase();
  let noPunct = '';
  for (const ch of lower) if (!PUNCTUATION.has(ch)) noPunct += ch;
  return pySplit(noPunct.replace(ARTICLES, ' ')).join(' ');
}

export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/**
 * Token F1. When either side normalizes to no tokens, v2.0 scores 1 if both are empty (a correct
 * "no answer") and 0 otherwise; v1.1 always scores 0 there.
 */
export function tokenF1(prediction: string, gold: string, version: 'v1.1' | 'v2.0' = 'v2.0'): number {
  const predTokens = pySplit(normalizeAnswer(prediction));
  const goldTokens = pySplit(normalizeAnswer(gold));
  if (version === 'v2.0' && (predTokens.length === 0 || goldTokens.length === 0)) {
    return predTokens.length === goldTokens.length ? 1 : 0;
  }
  const goldCounts = new Map<string, number>();
  for (const t of goldTokens) goldCounts.set(t, (goldCounts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of predTokens) {
    const left = goldCounts.get(t) ?? 0;
    if (left > 0) {
      same++;
      goldCounts.set(t, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predTokens.length;
  const recall = same / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface SquadReference {
  id: string;
  /** Gold answer texts; empty for an unanswerable (v2.0) question. */
  answers: readonly string[];
}

export interface SquadScores {
  exactMatch: number;
  f1: number;
  total: number;
}

export interface SquadEvaluation extends SquadScores {
  /** v2.0 breakdowns (present when any reference is unanswerable or `version` is v2.0). */
  hasAns?: SquadScores;
  noAns?: SquadScores;
}

/**
 * Scores predictions (id → answer text, "" for no answer) against references. A question without a
 * prediction scores 0, as in the v1.1 script. v2.0 rules: gold answers that normalize to nothing are
 * dropped, and an unanswerable question's only gold answer is "".
 */
export function squadEvaluate(
  references: readonly SquadReference[],
  predictions: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  version: 'v1.1' | 'v2.0' = references.some((r) => r.answers.length === 0) ? 'v2.0' : 'v1.1',
): SquadEvaluation {
  const lookup = (id: string): string | undefined =>
    predictions instanceof Map
      ? predictions.get(id)
      : Object.prototype.hasOwnProperty.call(predictions, id)
        ? (predictions as Record<string, string>)[id]
        : undefined;
  const sums = { all: [0, 0, 0], has: [0, 0, 0], no: [0, 0, 0] };
  for (const ref of references) {
    let golds = version === 'v2.0' ? ref.answers.filter((a) => normalizeAnswer(a) !== '') : [...ref.answers];
    if (golds.length === 0) golds = [''];
    const prediction = lookup(ref.id);
    const em = prediction === undefined ? 0 : Math.max(...golds.map((g) => exactMatch(prediction, g)));
    const f1 = prediction === undefined ? 0 : Math.max(...golds.map((g) => tokenF1(prediction, g, version)));
    const bucket = ref.answers.length === 0 ? sums.no : sums.has;
    for (const s of [sums.all, bucket]) {
      s[0] += em;
      s[1] += f1;
      s[2]++;
    }
  }
  const scores = ([em, f1, n]: number[]): SquadScores => ({
    exactMatch: n === 0 ? 0 : (100 * em) / n,
    f1: n === 0 ? 0 : (100 * f1) / n,
    total: n,
  });
  const result: SquadEvaluation = scores(sums.all);
  if (version === 'v2.0') {
    result.hasAns = scores(sums.has);
    result.noAns = scores(sums.no);
  }
  return result;
}
