import { EngineError } from '../errors';
import { EncoderConfig } from '../formats/config';
import { GraphBuilder } from '../graph/builder';
import { dropout, layerNorm, linear } from '../graph/composites';
import { Value } from '../graph/value';
import { activation } from './bert';
import { WeightSource } from './weights';

/**
 * The pre-training heads that sit beside masked-LM:
 * - BERT's next-sentence prediction (NSP) and ALBERT's sentence-order prediction (SOP): a binary
 *   classifier on the pooled [CLS] (`tanh(pooler(h[:, 0]))`), named as Hugging Face names them
 *   (`cls.seq_relationship`, `sop_classifier.classifier`) so checkpoints round-trip;
 * - SpanBERT's span boundary objective (SBO): each masked token predicted from the outputs at the
 *   two tokens around its span and a relative position embedding, through two Linear → GeLU →
 *   LayerNorm layers and the decoder tied to the word embeddings (SpanBERT's
 *   `BertPairTargetPredictionHead`, whose parameter names are kept).
 */

export type SentenceObjective = 'nsp' | 'sop';

export interface PretrainingHeads {
  readonly sentence?: SentenceObjective;
  /** SBO, with a relative-position table of `maxSpanLength` rows (offsets past it use the last row). */
  readonly spanBoundary?: { readonly maxSpanLength: number };
}

/** The label input of each sentence objective (HF's argument names). */
export const SENTENCE_LABEL: Readonly<Record<SentenceObjective, string>> = {
  nsp: 'next_sentence_label',
  sop: 'sentence_order_label',
};

/** The logits output of each sentence objective (HF's output names). */
export const SENTENCE_LOGITS: Readonly<Record<SentenceObjective, string>> = {
  nsp: 'seq_relationship_logits',
  sop: 'sop_logits',
};

/** The classifier of each sentence objective. */
const SENTENCE_CLASSIFIER: Readonly<Record<SentenceObjective, string>> = {
  nsp: 'cls.seq_relationship',
  sop: 'sop_classifier.classifier',
};

/**
 * SBO's inputs, one entry per masked position (in `masked_positions` order): the row-major
 * positions of the token left of its span and right of it, and its offset inside the span.
 */
export const SPAN_LEFT = 'span_left';
export const SPAN_RIGHT = 'span_right';
export const SPAN_OFFSET = 'span_offset';
export const SBO_LOGITS = 'sbo_logits';
export const SBO_PREFIX = 'cls.pair_target_predictions';

/** Names of the head parameters, for the checkpoint writer and for callers that check what a model holds. */
export function sentenceClassifierName(objective: SentenceObjective): string {
  return SENTENCE_CLASSIFIER[objective];
}

function dense(g: GraphBuilder, weights: WeightSource, name: string, inFeatures: number, outFeatures: number): { w: Value; b: Value } {
  return {
    w: g.paramTransposed(`${name}.weight`, weights.take(`${name}.weight`, [outFeatures, inFeatures])),
    b: g.param(`${name}.bias`, weights.take(`${name}.bias`, [outFeatures])),
  };
}

/** `[B, 2]` logits of the sentence objective from the last hidden state `h` [B, L, H]. */
export function sentenceLogits(
  g: GraphBuilder,
  config: EncoderConfig,
  weights: WeightSource,
  h: Value,
  named: (bertName: string) => string,
  objective: SentenceObjective,
): Value {
  return g.scope(objective, () => {
    const hidden = config.hidden_size;
    const first = g.op.Gather(h, g.constant(0, 'int64'), 1);
    const pooler = dense(g, weights, named('pooler.dense'), hidden, hidden);
    const pooled = g.op.Tanh(linear(g, first, pooler.w, pooler.b));
    // HF's NSP head applies no dropout; ALBERT's SOP head drops out with classifier_dropout_prob.
    const drop = objective === 'sop' ? sopDropout(config) : 0;
    const c = dense(g, weights, SENTENCE_CLASSIFIER[objective], hidden, 2);
    return linear(g, dropout(g, pooled, drop), c.w, c.b);
  });
}

function sopDropout(config: EncoderConfig): number {
  const p = config.classifier_dropout_prob;
  return typeof p === 'number' ? p : (config.hidden_dropout_prob ?? 0);
}

/**
 * SBO logits `[M, vocab]`: `y = LN2(act(dense2(LN(act(dense([h_left; h_right; p_offset])))))`, then
 * the tied decoder plus the head's own output bias. `left`, `right`, `offset` are int64 [M].
 */
export function spanBoundaryLogits(
  g: GraphBuilder,
  config: EncoderConfig,
  weights: WeightSource,
  h: Value,
  wordEmbeddingsName: string,
  span: { left: Value; right: Value; offset: Value; maxSpanLength: number },
): Value {
  const hidden = config.hidden_size;
  const width = typeof config.embedding_size === 'number' ? config.embedding_size : hidden;
  if (width !== hidden) throw new EngineError('UNSUPPORTED_HEAD', 'the span boundary head needs embedding_size equal to hidden_size');
  return g.scope('sbo', () => {
    const flat = g.op.Reshape(h, [-1, hidden]);
    const table = g.param(
      `${SBO_PREFIX}.position_embeddings.weight`,
      weights.take(`${SBO_PREFIX}.position_embeddings.weight`, [span.maxSpanLength, hidden]),
    );
    const x = g.op.Concat([g.op.Gather(flat, span.left, 0), g.op.Gather(flat, span.right, 0), g.op.Gather(table, span.offset, 0)], -1);
    const mlp = `${SBO_PREFIX}.mlp_layer_norm`;
    const ln = (name: string, y: Value): Value =>
      layerNorm(
        g,
        y,
        g.param(`${mlp}.${name}.weight`, weights.take(`${mlp}.${name}.weight`, [hidden])),
        g.param(`${mlp}.${name}.bias`, weights.take(`${mlp}.${name}.bias`, [hidden])),
        config.layer_norm_eps,
      );
    const d1 = dense(g, weights, `${mlp}.dense`, 3 * hidden, hidden);
    const h1 = ln('LayerNorm', activation(g, config.hidden_act, linear(g, x, d1.w, d1.b)));
    const d2 = dense(g, weights, `${mlp}.dense2`, hidden, hidden);
    const h2 = ln('LayerNorm2', activation(g, config.hidden_act, linear(g, h1, d2.w, d2.b)));
    // Tied decoder: the word-embedding table is the same graph value the encoder and MLM head use.
    const word = g.param(wordEmbeddingsName, weights.take(wordEmbeddingsName, [config.vocab_size, hidden]));
    const bias = g.param(`${SBO_PREFIX}.bias`, weights.take(`${SBO_PREFIX}.bias`, [config.vocab_size]));
    return g.op.Add(g.op.MatMul(h2, g.op.Transpose(word, [1, 0])), bias);
  });
}
