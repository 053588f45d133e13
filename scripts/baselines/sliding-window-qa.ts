/**
 * The sliding-window baseline of the SQuAD paper (Rajpurkar et al. 2016, §5), which picks an
 * answer span without learning anything:
 *
 * 1. Candidates. The paper takes the constituents of a parse tree; without a parser, every run of
 *    1..maxSpanWords words inside one sentence is a candidate, provided its first and last words
 *    are not stop words.
 * 2. Overlap. For each candidate, the unigram + bigram overlap between the question and the
 *    candidate's sentence with the candidate removed: |U(sentence∖candidate) ∩ U(question)| +
 *    |B(sentence∖candidate) ∩ B(question)|, over lowercased words, stop words left out of the
 *    unigrams, bigrams taken on either side of the removed candidate. Only candidates with the
 *    maximal overlap are kept.
 * 3. Sliding window with the distance extension (Richardson et al. 2013, MCTest, "SW+D"), with the
 *    candidate's sentence as the passage P, as the SQuAD paper does:
 *    S = words(question) ∪ words(candidate); IC(w) = ln(1 + 1/count_P(w));
 *    sw = max over windows of |S| words of P of Σ IC(word) for the window's words in S;
 *    d = (min distance in P between a question word and a candidate word not in the question,
 *    stop words excluded) / (|P| − 1), or 1 when either set is empty; score = sw − d.
 *    Highest score wins; remaining ties go to the shorter, then the earlier span.
 *
 * Words are runs of letters and digits (joined across inner ' ’ . , - as in "1,000" or "ex-wife");
 * sentences end at . ! ? (and closing quotes or brackets) followed by white space.
 */

export interface SlidingWindowOptions {
  /** Longest candidate, in words (default 3). */
  maxSpanWords?: number;
}

export interface SpanAnswer {
  text: string;
  /** UTF-16 offsets into the context, end exclusive. */
  start: number;
  end: number;
}

interface Word {
  /** Lowercased. */
  form: string;
  start: number;
  end: number;
}

const WORD = /[\p{L}\p{N}]+(?:['’.,-][\p{L}\p{N}]+)*/gu;
const SENTENCE_END = /[.!?]+["'”’)\]]*(?=\s)/g;

/** English function words (and question words), never a candidate's first or last word. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but nor so yet of in on at to from by for with about as into onto upon over under ' +
    'between through during before after above below up down out off than then too very can could will ' +
    'would shall should may might must do does did done doing be is are was were been being am have has ' +
    'had having i me my mine we us our ours you your yours he him his she her hers it its they them their ' +
    'theirs this that these those there here what which who whom whose when where why how whether if not ' +
    'no all any both each few more most other some such only own same just also s t'
  ).split(' '),
);

function words(text: string, offset = 0): Word[] {
  const out: Word[] = [];
  for (const match of text.matchAll(WORD)) {
    out.push({ form: match[0].toLowerCase(), start: offset + match.index!, end: offset + match.index! + match[0].length });
  }
  return out;
}

/** Sentences of a context as [start, end) character ranges. */
export function sentenceRanges(context: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (const match of context.matchAll(SENTENCE_END)) {
    const end = match.index! + match[0].length;
    ranges.push([start, end]);
    start = end;
  }
  if (context.slice(start).trim() !== '') ranges.push([start, context.length]);
  return ranges;
}

function bigrams(forms: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < forms.length; i++) out.push(`${forms[i]} ${forms[i + 1]}`);
  return out;
}

function countIn<T>(items: readonly T[], set: ReadonlySet<T>): number {
  let n = 0;
  for (const item of new Set(items)) if (set.has(item)) n++;
  return n;
}

interface Candidate {
  sentence: Word[];
  /** Word indices in the sentence, inclusive. */
  first: number;
  last: number;
  overlap: number;
}

/** Richardson et al.'s sliding-window score minus their distance penalty, over one sentence. */
export function slidingWindowScore(sentence: readonly string[], questionForms: readonly string[], answerForms: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const w of sentence) counts.set(w, (counts.get(w) ?? 0) + 1);
  const ic = (w: string): number => Math.log(1 + 1 / counts.get(w)!);
  const target = new Set([...questionForms, ...answerForms]);
  const size = target.size;
  let best = 0;
  for (let start = 0; start < sentence.length; start++) {
    let sum = 0;
    for (let i = start; i < Math.min(sentence.length, start + size); i++) if (target.has(sentence[i])) sum += ic(sentence[i]);
    best = Math.max(best, sum);
    if (start + size >= sentence.length) break;
  }

  const questionSet = new Set(questionForms);
  const questionWords = new Set(questionForms.filter((w) => !STOP_WORDS.has(w) && counts.has(w)));
  const answerWords = new Set(answerForms.filter((w) => !STOP_WORDS.has(w) && counts.has(w) && !questionSet.has(w)));
  let distance = 1;
  if (questionWords.size > 0 && answerWords.size > 0 && sentence.length > 1) {
    let nearest = Infinity;
    sentence.forEach((q, i) => {
      if (!questionWords.has(q)) return;
      sentence.forEach((a, j) => {
        if (answerWords.has(a)) nearest = Math.min(nearest, Math.abs(i - j));
      });
    });
    distance = nearest / (sentence.length - 1);
  }
  return best - distance;
}

/** The baseline's answer to one question, or undefined when the context has no candidate. */
export function answerBySlidingWindow(question: string, context: string, options: SlidingWindowOptions = {}): SpanAnswer | undefined {
  const maxSpan = options.maxSpanWords ?? 3;
  const questionForms = words(question).map((w) => w.form);
  const questionUnigrams = new Set(questionForms.filter((w) => !STOP_WORDS.has(w)));
  const questionBigrams = new Set(bigrams(questionForms));

  let kept: Candidate[] = [];
  let bestOverlap = -1;
  for (const [start, end] of sentenceRanges(context)) {
    const sentence = words(context.slice(start, end), start);
    const forms = sentence.map((w) => w.form);
    for (let first = 0; first < sentence.length; first++) {
      if (STOP_WORDS.has(forms[first])) continue;
      for (let last = first; last < Math.min(sentence.length, first + maxSpan); last++) {
        if (STOP_WORDS.has(forms[last])) continue;
        const before = forms.slice(0, first);
        const after = forms.slice(last + 1);
        const overlap =
          countIn([...before, ...after], questionUnigrams) + countIn([...bigrams(before), ...bigrams(after)], questionBigrams);
        if (overlap > bestOverlap) {
          bestOverlap = overlap;
          kept = [];
        }
        if (overlap === bestOverlap) kept.push({ sentence, first, last, overlap });
      }
    }
  }
  if (kept.length === 0) return undefined;

  let best: { candidate: Candidate; score: number } | undefined;
  for (const candidate of kept) {
    const forms = candidate.sentence.map((w) => w.form);
    const score = slidingWindowScore(forms, questionForms, forms.slice(candidate.first, candidate.last + 1));
    const length = candidate.last - candidate.first;
    // Candidates come in text order, so on equal score and length the earlier one stays.
    if (!best || score > best.score || (score === best.score && length < best.candidate.last - best.candidate.first)) {
      best = { candidate, score };
    }
  }
  const { sentence, first, last } = best!.candidate;
  const start = sentence[first].start;
  const end = sentence[last].end;
  return { text: context.slice(start, end), start, end };
}
