import { EncoderConfig } from '../formats/config';
import { TensorF32 } from '../formats/safetensors';
import { initWeights } from '../init';
import { Rng } from '../random';
import { TrainableHead } from './training-graph';

/**
 * A very small BERT (vocab 12, hidden 8, one layer) with non-trivial weights and a padded batch,
 * so training graphs can be checked exhaustively in tests (float64 interpretation, finite
 * differences) in well under a second per graph.
 */
export function microConfig(head: TrainableHead, dropout = 0): EncoderConfig {
  const labels = { 'sequence-classification': 3, 'token-classification': 4, 'question-answering': 2, 'masked-lm': 2 }[head];
  const architecture = {
    'sequence-classification': 'BertForSequenceClassification',
    'token-classification': 'BertForTokenClassification',
    'question-answering': 'BertForQuestionAnswering',
    'masked-lm': 'BertForMaskedLM',
  }[head];
  return {
    model_type: 'bert',
    architectures: [architecture],
    vocab_size: 12,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 12,
    hidden_act: 'gelu',
    max_position_embeddings: 10,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    hidden_dropout_prob: dropout,
    attention_probs_dropout_prob: dropout,
    classifier_dropout: null,
    initializer_range: 0.5,
    id2label: Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `L${i}`])),
    label2id: Object.fromEntries(Array.from({ length: labels }, (_, i) => [`L${i}`, i])),
  };
}

/** Weights with random (not HF-initial) biases and LayerNorm parameters, so none is trivially 0 or 1. */
export function microWeights(config: EncoderConfig, head: TrainableHead, seed = 5): Map<string, TensorF32> {
  const weights = initWeights(config, head, seed);
  const rng = new Rng(seed + 1, 'splitmix32');
  for (const [name, t] of weights) {
    if (name.endsWith('bias') || /LayerNorm/.test(name)) {
      const base = name.endsWith('weight') ? 1 : 0;
      for (let i = 0; i < t.data.length; i++) t.data[i] = base + 0.3 * rng.normal();
    }
  }
  return weights;
}

/** Two rows of length 5, the second padded with [PAD] = 0; labels per head (−100 where ignored). */
export function microBatch(head: TrainableHead): {
  size: number;
  seqLength: number;
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  labels?: number[];
  labelShape?: number[];
  startPositions?: number[];
  endPositions?: number[];
} {
  const base = {
    size: 2,
    seqLength: 5,
    inputIds: [1, 5, 7, 5, 2, 1, 9, 2, 0, 0],
    attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    tokenTypeIds: [0, 0, 0, 1, 1, 0, 0, 0, 0, 0],
  };
  switch (head) {
    case 'sequence-classification':
      return { ...base, labels: [2, 0], labelShape: [2] };
    case 'token-classification':
      return { ...base, labels: [-100, 1, 3, 0, -100, -100, 2, -100, -100, -100], labelShape: [2, 5] };
    case 'masked-lm':
      return {
        ...base,
        inputIds: [1, 3, 7, 3, 2, 1, 9, 2, 0, 0],
        labels: [-100, 5, -100, 11, -100, -100, 9, -100, -100, -100],
        labelShape: [2, 5],
      };
    case 'question-answering':
      return { ...base, startPositions: [3, 0], endPositions: [4, 0] };
  }
}
