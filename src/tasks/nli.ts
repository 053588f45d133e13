/**
 * Natural language inference: premise/hypothesis pairs through an NLI sequence classifier (its
 * labels include entailment and contradiction), truncated to the model maximum (and said so);
 * every label with its softmax score, best first.
 */
import { encodeTruncating, TaskPipeline } from './pipeline';
import { rankLabels } from './text-classification';
import type { ClassifyItem, NliPair } from './types';

export const nliPipeline: TaskPipeline<NliPair, object, ClassifyItem> = {
  requires: 'nli',

  check(pairs, _params, limits) {
    limits.inputs(pairs.length);
    limits.texts(
      pairs.flatMap((p, i): Array<[string, string]> => [
        [`inputs[${i}].premise`, p.premise],
        [`inputs[${i}].hypothesis`, p.hypothesis],
      ]),
    );
  },

  async run(model, stages, pairs) {
    const encoded = await stages.tokenize(() =>
      encodeTruncating(
        model,
        pairs.map((p) => [p.premise, p.hypothesis] as [string, string]),
        'longest_first',
      ),
    );
    const outputs = await stages.run(encoded.map((e) => e.input));
    return outputs.map((o, i) => ({
      labels: rankLabels(o.logits.data, model.descriptor.labels, 'softmax', null),
      truncated: encoded[i].truncated,
    }));
  },
};
