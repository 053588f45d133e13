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
 *
 * The pipeline below sends every (sequence, hypothesis) pair to the batcher in one submission;
 * as in HF only the sequence is cut to the model maximum, never the hypothesis.
 */
import { InvalidInputError } from '../errors/domain-error';
import { softmax } from './math';
import { encodeTruncating, TaskPipeline } from './pipeline';
import type { ZeroShotItem, ZeroShotParams } from './types';

export const DEFAULT_HYPOTHESIS_TEMPLATE = 'This example is {}.';

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

export const zeroShotPipeline: TaskPipeline<string, ZeroShotParams, ZeroShotItem> = {
  // Any NLI model serves zero-shot; the default model is the NLI default.
  requires: 'nli',

  check(sequences, params, limits) {
    limits.inputs(sequences.length);
    limits.texts(sequences.map((s, i): [string, string] => [`inputs[${i}]`, s]));
    limits.candidateLabels(params.candidate_labels ?? []);
    const template = params.hypothesis_template ?? DEFAULT_HYPOTHESIS_TEMPLATE;
    if (!template.includes('{}')) {
      throw new InvalidInputError(`hypothesis_template must contain "{}" where the label goes (got "${template}")`);
    }
  },

  async run(model, stages, sequences, params) {
    const nli = model.descriptor.nli!;
    const labels = params.candidate_labels;
    const template = params.hypothesis_template ?? DEFAULT_HYPOTHESIS_TEMPLATE;
    const hypotheses = labels.map((l) => hypothesisFor(template, l));
    const pairs = sequences.flatMap((s) => hypotheses.map((h) => [s, h] as [string, string]));
    const encoded = await stages.tokenize(() => encodeTruncating(model, pairs, 'only_first'));
    const outputs = await stages.run(encoded.map((e) => e.input));
    return sequences.map((sequence, s) => {
      const rows = labels.map((_, c) => outputs[s * labels.length + c].logits.data);
      const scores = zeroShotScores(rows, nli, params.multi_label ?? false);
      const truncated = labels.some((_, c) => encoded[s * labels.length + c].truncated);
      return { sequence, ...rankCandidates(labels, scores), truncated };
    });
  },
};
