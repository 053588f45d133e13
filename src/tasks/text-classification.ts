/**
 * Sequence classification post-processing, as Hugging Face's TextClassificationPipeline: the
 * function applied to the logits defaults to none for a regression model, sigmoid for one label
 * or multi-label problems and softmax otherwise (checked in that order, so a one-output regression
 * head returns its raw value); `top_k` 1 by default, null for every label; scores sorted best
 * first.
 *
 * The pipeline below: texts or text pairs, truncated to the model maximum (and said so), one
 * ranked label list per input.
 */
import type { ClassifyItem, ClassifyParams, LabelScore, TextInput } from './types';
import { FloatRow, sigmoid, softmax } from './math';
import { encodeTruncating, TaskPipeline } from './pipeline';

export type ClassificationFunction = 'softmax' | 'sigmoid' | 'none';

export function defaultFunctionToApply(numLabels: number, problemType?: string): ClassificationFunction {
  if (problemType === 'regression') return 'none';
  if (problemType === 'multi_label_classification' || numLabels === 1) return 'sigmoid';
  return 'softmax';
}

export function applyFunction(logits: FloatRow, fn: ClassificationFunction): number[] {
  if (fn === 'softmax') return softmax(logits);
  if (fn === 'sigmoid') return Array.from(logits, sigmoid);
  return Array.from(logits);
}

/** Labels with scores, best first; `topK` null → all. */
export function rankLabels(logits: FloatRow, labels: string[], fn: ClassificationFunction, topK: number | null): LabelScore[] {
  const scores = applyFunction(logits, fn);
  const ranked = scores.map((score, i) => ({ label: labels[i] ?? `LABEL_${i}`, score })).sort((a, b) => b.score - a.score);
  return topK === null ? ranked : ranked.slice(0, Math.max(0, topK));
}

/** The most labels a request may ask for (`null` asks for every label). */
const TOP_K_MAX = 100_000;

function textOrPair(input: TextInput): string | [string, string] {
  if (typeof input === 'string') return input;
  return input.text_pair === undefined ? input.text : [input.text, input.text_pair];
}

export const classifyPipeline: TaskPipeline<TextInput, ClassifyParams, ClassifyItem> = {
  requires: 'text-classification',

  check(inputs, params, limits) {
    limits.topK(params.top_k, TOP_K_MAX);
    limits.inputs(inputs.length);
    limits.texts(
      inputs.flatMap((input, i): Array<[string, string]> =>
        typeof input === 'string'
          ? [[`inputs[${i}]`, input]]
          : [
              [`inputs[${i}].text`, input.text],
              ...(input.text_pair !== undefined ? [[`inputs[${i}].text_pair`, input.text_pair] as [string, string]] : []),
            ],
      ),
    );
  },

  async run(model, stages, inputs, params) {
    const encoded = await stages.tokenize(() => encodeTruncating(model, inputs.map(textOrPair), 'longest_first'));
    const outputs = await stages.run(encoded.map((e) => e.input));
    const { config, labels } = model.descriptor;
    const fn = params.function_to_apply ?? defaultFunctionToApply(labels.length, config.problem_type);
    const topK = params.top_k === undefined ? 1 : params.top_k;
    return outputs.map((o, i) => ({ labels: rankLabels(o.logits.data, labels, fn, topK), truncated: encoded[i].truncated }));
  },
};
