/**
 * Embeddings from an encoder's `last_hidden_state` [tokens, hidden]: the [CLS] vector, the mean
 * over real tokens (the attention mask decides which; padding never counts), or every token
 * vector; optionally L2-normalised (per vector).
 *
 * The pipeline below truncates to the model maximum (and says so); with pooling `none` it also
 * returns the tokens.
 */
import { l2Normalize, sliceRow } from './math';
import { encodeTruncating, TaskPipeline } from './pipeline';
import type { EmbeddingItem, EmbeddingParams } from './types';

export type Pooling = 'cls' | 'mean' | 'none';

export function poolHiddenStates(
  hidden: ArrayLike<number>,
  attentionMask: ArrayLike<number>,
  hiddenSize: number,
  pooling: Pooling,
  normalize: boolean,
): number[] | number[][] {
  const tokens = attentionMask.length;
  const finish = (v: number[]) => (normalize ? l2Normalize(v) : v);
  if (pooling === 'cls') return finish(sliceRow(hidden, 0, hiddenSize));
  if (pooling === 'none') {
    const rows: number[][] = [];
    for (let t = 0; t < tokens; t++) if (attentionMask[t]) rows.push(finish(sliceRow(hidden, t * hiddenSize, hiddenSize)));
    return rows;
  }
  const sum = new Array<number>(hiddenSize).fill(0);
  let count = 0;
  for (let t = 0; t < tokens; t++) {
    if (!attentionMask[t]) continue;
    count++;
    for (let h = 0; h < hiddenSize; h++) sum[h] += hidden[t * hiddenSize + h];
  }
  // As sentence-transformers: the count is clamped so an all-padding row divides by 1e-9, not 0.
  const denom = Math.max(count, 1e-9);
  return finish(sum.map((v) => v / denom));
}

export const embeddingsPipeline: TaskPipeline<string, EmbeddingParams, EmbeddingItem> = {
  requires: 'feature-extraction',

  check(texts, _params, limits) {
    limits.inputs(texts.length);
    limits.texts(texts.map((s, i): [string, string] => [`inputs[${i}]`, s]));
  },

  async run(model, stages, texts, params) {
    const encoded = await stages.tokenize(() => encodeTruncating(model, texts, 'longest_first'));
    const outputs = await stages.run(encoded.map((e) => e.input));
    const pooling = params.pooling ?? 'mean';
    return outputs.map((o, i) => {
      const hidden = o.last_hidden_state;
      const main = encoded[i].input;
      const item: EmbeddingItem = {
        embedding: poolHiddenStates(
          hidden.data,
          main.attentionMask,
          hidden.dims[hidden.dims.length - 1],
          pooling,
          params.normalize ?? false,
        ),
        truncated: encoded[i].truncated,
      };
      if (pooling === 'none') item.tokens = main.tokens;
      return item;
    });
  },
};
