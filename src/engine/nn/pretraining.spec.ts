import { tensor64 } from '../../../test/support/float64-evaluator';
import { batchFeeds, finiteDifferenceCheck, sparseFeeds, specFor } from '../../../test/support/training-graph-check';
import { withPretrainingHeads } from '../init';
import { Rng } from '../random';
import { buildEvalGraph, buildTrainingGraph, gradName } from '../training/training-graph';
import { PretrainingHeads, SBO_PREFIX } from './pretraining';

/** The micro MLM with the heads added, their biases and LayerNorms moved off 0 and 1 so none is trivially fixed. */
function specWith(heads: PretrainingHeads, sparse: boolean): ReturnType<typeof specFor> {
  const base = specFor('masked-lm');
  const before = new Set(base.weights.keys());
  const weights = withPretrainingHeads(base.config, base.weights, heads, 9);
  const rng = new Rng(13, 'splitmix32');
  for (const [name, t] of weights) {
    if (before.has(name)) continue;
    for (let i = 0; i < t.data.length; i++) t.data[i] += 0.3 * rng.normal();
  }
  return { ...base, weights, pretraining: heads, maskedPositionsOnly: sparse };
}

/** Sparse feeds (masked positions 1, 3, 6 of the micro batch) plus the heads' inputs. */
function feedsWith(heads: PretrainingHeads, sparse: boolean): ReturnType<typeof batchFeeds> {
  const feeds = sparse ? sparseFeeds() : batchFeeds('masked-lm');
  if (heads.spanBoundary) {
    // Positions 1 and 3 of row 0, 6 (row 1, position 1): boundaries around each, offsets 0..2.
    feeds.set('span_left', tensor64('int64', [3], [0, 2, 5]));
    feeds.set('span_right', tensor64('int64', [3], [2, 4, 7]));
    feeds.set('span_offset', tensor64('int64', [3], [0, 1, 2]));
  }
  if (heads.sentence === 'nsp') feeds.set('next_sentence_label', tensor64('int64', [2], [0, 1]));
  if (heads.sentence === 'sop') feeds.set('sentence_order_label', tensor64('int64', [2], [1, 0]));
  return feeds;
}

describe('pre-training heads: gradients through the whole model against finite differences (float64)', () => {
  it.each([
    ['NSP, dense MLM labels', { sentence: 'nsp' }, false],
    ['NSP, masked positions only', { sentence: 'nsp' }, true],
    ['SOP', { sentence: 'sop' }, true],
    ['SBO', { spanBoundary: { maxSpanLength: 3 } }, true],
    ['SBO + SOP', { sentence: 'sop', spanBoundary: { maxSpanLength: 3 } }, true],
  ] as Array<[string, PretrainingHeads, boolean]>)('%s', (_name, heads, sparse) => {
    const spec = specWith(heads, sparse);
    const { graph, trained } = finiteDifferenceCheck(spec, feedsWith(heads, sparse));
    const expected = [
      ...(heads.sentence
        ? ['bert.pooler.dense.weight', heads.sentence === 'nsp' ? 'cls.seq_relationship.weight' : 'sop_classifier.classifier.weight']
        : []),
      ...(heads.spanBoundary
        ? [`${SBO_PREFIX}.position_embeddings.weight`, `${SBO_PREFIX}.mlp_layer_norm.dense2.weight`, `${SBO_PREFIX}.bias`]
        : []),
    ];
    for (const name of expected) {
      expect(graph.trainable).toContain(name);
      expect(Array.from(trained.get(gradName(name))!.data).some((v) => v !== 0)).toBe(true);
    }
  });

  it('batch inputs: MLM labels, then the span inputs, then the sentence label; eval outputs the heads’ logits', () => {
    const heads: PretrainingHeads = { sentence: 'sop', spanBoundary: { maxSpanLength: 3 } };
    const spec = specWith(heads, true);
    expect(buildTrainingGraph(spec).batchInputs).toEqual([
      'input_ids',
      'attention_mask',
      'token_type_ids',
      'masked_positions',
      'labels',
      'span_left',
      'span_right',
      'span_offset',
      'sentence_order_label',
    ]);
    expect(buildEvalGraph(spec).outputs).toEqual(['loss', 'logits', 'sbo_logits', 'sop_logits']);
  });

  it('refuses SBO without masked positions, and heads beside a non-MLM head', () => {
    expect(() => buildTrainingGraph(specWith({ spanBoundary: { maxSpanLength: 3 } }, false))).toThrow(/maskedPositionsOnly/);
    expect(() => buildTrainingGraph({ ...specFor('sequence-classification'), pretraining: { sentence: 'nsp' } })).toThrow(/masked-LM/);
  });
});
