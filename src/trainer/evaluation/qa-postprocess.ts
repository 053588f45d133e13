/**
 * Turns start/end logits over the windows of each question into a text answer, as Hugging Face's
 * run_qa.py (utils_qa.postprocess_qa_predictions) does: the n best start and n best end positions of
 * every window are paired; a pair is kept when both tokens lie in the context, start ≤ end and the
 * span is at most maxAnswerLength tokens; the best score start_logit + end_logit wins. With
 * no-answer allowed (SQuAD v2), the lowest [CLS] score over the windows competes, and the answer is
 * "" when null score − best span score exceeds the threshold.
 */

/**
 * One window of a question as QA evaluation keeps it: its example, and per token the context
 * offsets (run_qa.py's offset_mapping with every non-context token set to None). The serving
 * pipeline reads the tokenizer's fuller view of a window, `QaWindow` in `src/tokenizer`.
 */
export interface QaContextOffsets {
  exampleId: string;
  /** Per token: [start, end) in code points of the context, or null outside the context. */
  offsets: ReadonlyArray<readonly [number, number] | null>;
}

export interface QaContext {
  id: string;
  context: string;
}

export interface QaPostprocessOptions {
  /** Candidates considered per window and per side, and answers kept (HF default 20). */
  nBest?: number;
  /** Longest answer, in tokens (HF default 30). */
  maxAnswerLength?: number;
  /** SQuAD v2: the model may answer "no answer" (HF version_2_with_negative). */
  allowNoAnswer?: boolean;
  /** SQuAD v2: answer "" when null score − best span score is above this (HF default 0). */
  nullScoreDiffThreshold?: number;
}

export interface QaCandidate {
  text: string;
  /** Character span in code points of the context ([0, 0) for the null answer). */
  start: number;
  end: number;
  startLogit: number;
  endLogit: number;
  score: number;
  /** Softmax of the scores over the kept candidates. */
  probability: number;
}

export interface QaPrediction {
  id: string;
  /** The answer text ("" for no answer). */
  text: string;
  /** Best candidates first. */
  candidates: QaCandidate[];
  /** SQuAD v2 only: null score − best non-null score (positive favours "no answer"). */
  nullScoreDiff?: number;
}

/** Indices of the n largest values, largest first (later index first on ties). */
function topIndices(values: ArrayLike<number>, n: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || b - a);
  return order.slice(0, n);
}

export function postprocessQaPredictions(
  examples: readonly QaContext[],
  windows: readonly QaContextOffsets[],
  startLogits: readonly ArrayLike<number>[],
  endLogits: readonly ArrayLike<number>[],
  options: QaPostprocessOptions = {},
): Map<string, QaPrediction> {
  const nBest = options.nBest ?? 20;
  const maxAnswerLength = options.maxAnswerLength ?? 30;
  const allowNoAnswer = options.allowNoAnswer ?? false;
  const threshold = options.nullScoreDiffThreshold ?? 0;
  if (startLogits.length !== windows.length || endLogits.length !== windows.length) {
    throw new RangeError(`${windows.length} windows but ${startLogits.length} start and ${endLogits.length} end logit rows`);
  }
  const windowsOf = new Map<string, number[]>();
  windows.forEach((w, i) => {
    const list = windowsOf.get(w.exampleId) ?? [];
    list.push(i);
    windowsOf.set(w.exampleId, list);
  });

  type Raw = Omit<QaCandidate, 'text' | 'probability'>;
  const predictions = new Map<string, QaPrediction>();
  for (const example of examples) {
    const codePoints = Array.from(example.context);
    let nullCandidate: Raw | undefined;
    const raw: Raw[] = [];
    for (const w of windowsOf.get(example.id) ?? []) {
      const starts = startLogits[w];
      const ends = endLogits[w];
      const offsets = windows[w].offsets;
      const nullScore = starts[0] + ends[0];
      if (nullCandidate === undefined || nullCandidate.score > nullScore) {
        nullCandidate = { start: 0, end: 0, startLogit: starts[0], endLogit: ends[0], score: nullScore };
      }
      for (const s of topIndices(starts, nBest)) {
        for (const e of topIndices(ends, nBest)) {
          const so = s < offsets.length ? offsets[s] : null;
          const eo = e < offsets.length ? offsets[e] : null;
          if (so === null || eo === null) continue;
          if (e < s || e - s + 1 > maxAnswerLength) continue;
          raw.push({ start: so[0], end: eo[1], startLogit: starts[s], endLogit: ends[e], score: starts[s] + ends[e] });
        }
      }
    }
    if (allowNoAnswer && nullCandidate !== undefined) raw.push(nullCandidate);
    const kept = raw.sort((a, b) => b.score - a.score).slice(0, nBest);
    if (allowNoAnswer && nullCandidate !== undefined && !kept.some((c) => c.start === 0 && c.end === 0)) {
      kept.push(nullCandidate);
    }
    let withText = kept.map((c) => ({ ...c, text: codePoints.slice(c.start, c.end).join('') }));
    // As run_qa.py: with nothing usable, answer the literal "empty" at score 0 so argmax is defined.
    if (withText.length === 0 || (withText.length === 1 && withText[0].text === '')) {
      withText = [{ text: 'empty', start: 0, end: 0, startLogit: 0, endLogit: 0, score: 0 }, ...withText];
    }
    const maxScore = Math.max(...withText.map((c) => c.score));
    const exps = withText.map((c) => Math.exp(c.score - maxScore));
    const total = exps.reduce((a, b) => a + b, 0);
    const candidates: QaCandidate[] = withText.map((c, i) => ({ ...c, probability: exps[i] / total }));

    if (!allowNoAnswer || nullCandidate === undefined) {
      predictions.set(example.id, { id: example.id, text: candidates[0].text, candidates });
      continue;
    }
    const best = candidates.find((c) => c.text !== '') ?? candidates[0];
    const nullScoreDiff = nullCandidate.score - best.startLogit - best.endLogit;
    predictions.set(example.id, {
      id: example.id,
      text: nullScoreDiff > threshold ? '' : best.text,
      candidates,
      nullScoreDiff,
    });
  }
  return predictions;
}
