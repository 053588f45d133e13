/**
 * Zero-shot classification through an NLI model, Hugging Face's rule: each candidate label
 * becomes a hypothesis (`template` with `{}` replaced by the label) paired with the sequence.
 * One label at a time wins (single-label): softmax of the entailment logits across candidates.
 * Several may hold (multi_label, or a single candidate): for each candidate, softmax over
 * [contradiction, entailment] and keep the entailment probability.
 *
 * Both ids come from the model's label2id. (HF reads the entailment id from label2id but takes
 * the contradiction id as "0, or the last label when entailment is 0"; for the usual label
 * orders — entailment/neutral/contradiction and contradiction/neutral/entailment — that is the
 * same label.)
 */
import { softmax } from './math';

export interface NliIds {
  entailment: number;
  contradiction: number;
}

/** The hypothesis for one label; HF formats the template with Python's str.format. */
export function hypothesisFor(template: string, label: string): string {
  return template.replace(/\{\}/g, label);
}

/** `pairLogits[c]` are the NLI logits of (sequence, hypothesis of candidate c). */
export function zeroShotScores(pairLogits: ArrayLike<number>[], ids: NliIds, multiLabel: boolean): number[] {
  if (multiLabel || pairLogits.length === 1) {
    return pairLogits.map((row) => softmax([row[ids.contradiction], row[ids.entailment]])[1]);
  }
  return softmax(pairLogits.map((row) => row[ids.entailment]));
}

/** Labels and scores sorted best first. */
export function rankCandidates(labels: string[], scores: number[]): { labels: string[]; scores: number[] } {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return { labels: order.map((i) => labels[i]), scores: order.map((i) => scores[i]) };
}
