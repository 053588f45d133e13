import { FormatError } from '../errors';

/**
 * What distinguishes the members of the BERT family in the graph: parameter names and a few
 * small structural hooks. The graph is written once with BERT's module names inside the
 * encoder (`embeddings.*`, `encoder.layer.N.attention.self.query`, ...); `rename` maps them to
 * the family's own (identity for BERT, RoBERTa and XLM-R; DistilBERT's `transformer.layer.N.
 * attention.q_lin`, ...); ELECTRA adds an embedding projection. ALBERT (shared layers,
 * factorised embeddings) would add a hook for its layer sharing.
 */
export interface FamilySpec {
  readonly modelType: string;
  /** The encoder's attribute name in the task model (`bert`, `roberta`). */
  readonly base: string;
  /** How position ids are formed. */
  readonly positions: 'absolute' | 'padding-offset';
  /** Whether `token_type_ids` is a graph input (the Optimum export has it iff type_vocab_size > 1 or the family always feeds it). */
  readonly tokenTypeInput: (typeVocabSize: number) => boolean;
  /** BERT's name for an encoder parameter (relative to `base`) → the family's name. */
  readonly rename: (bertName: string) => string;
  /**
   * Sequence classification head: BERT's pooler + classifier, RoBERTa's dense/tanh/out_proj,
   * or DistilBERT's pre_classifier/ReLU/classifier.
   */
  readonly sequenceHead: 'pooler' | 'dense-out-proj' | 'pre-classifier';
  /** The activation between `classifier.dense` and `classifier.out_proj` (dense-out-proj heads). */
  readonly classifierActivation?: 'tanh' | 'gelu';
  /**
   * Width of the embedding tables when it differs from hidden_size (ELECTRA's `embedding_size`),
   * with the Linear (`{base}.embeddings_project`) that maps embeddings to hidden states.
   */
  readonly embeddingSize?: (config: Readonly<Record<string, unknown>>) => number | undefined;
  /** Dropout before the QA head (DistilBERT's `qa_dropout`); BERT has none. */
  readonly qaDropout?: (config: Readonly<Record<string, unknown>>) => number;
  /** MLM head parameter names (dense: hidden → embedding width, then LayerNorm, tied decoder). */
  readonly mlm: {
    readonly dense: string;
    readonly layerNorm: string;
    readonly bias: string;
  };
}

export const BERT: FamilySpec = {
  modelType: 'bert',
  base: 'bert',
  positions: 'absolute',
  tokenTypeInput: () => true,
  rename: (name) => name,
  sequenceHead: 'pooler',
  mlm: {
    dense: 'cls.predictions.transform.dense',
    layerNorm: 'cls.predictions.transform.LayerNorm',
    bias: 'cls.predictions.bias',
  },
};

/** RoBERTa: position ids count non-pad tokens from padding_idx + 1; a dense/out_proj classifier. */
export const ROBERTA: FamilySpec = {
  modelType: 'roberta',
  base: 'roberta',
  positions: 'padding-offset',
  tokenTypeInput: (typeVocabSize) => typeVocabSize > 1,
  rename: (name) => name,
  sequenceHead: 'dense-out-proj',
  mlm: { dense: 'lm_head.dense', layerNorm: 'lm_head.layer_norm', bias: 'lm_head.bias' },
};

/**
 * ELECTRA (discriminator or generator checkpoints): BERT's encoder names under `electra.`,
 * embeddings of width `embedding_size` projected to hidden_size, a GELU classification head,
 * and the generator's MLM head.
 */
export const ELECTRA: FamilySpec = {
  modelType: 'electra',
  base: 'electra',
  positions: 'absolute',
  tokenTypeInput: () => true,
  rename: (name) => name,
  sequenceHead: 'dense-out-proj',
  classifierActivation: 'gelu',
  embeddingSize: (config) => (typeof config.embedding_size === 'number' ? config.embedding_size : undefined),
  mlm: { dense: 'generator_predictions.dense', layerNorm: 'generator_predictions.LayerNorm', bias: 'generator_lm_head.bias' },
};

const DISTILBERT_LAYER: ReadonlyArray<[RegExp, string]> = [
  [/^encoder\.layer\.(\d+)\.attention\.self\.query\./, 'transformer.layer.$1.attention.q_lin.'],
  [/^encoder\.layer\.(\d+)\.attention\.self\.key\./, 'transformer.layer.$1.attention.k_lin.'],
  [/^encoder\.layer\.(\d+)\.attention\.self\.value\./, 'transformer.layer.$1.attention.v_lin.'],
  [/^encoder\.layer\.(\d+)\.attention\.self\.query$/, 'transformer.layer.$1.attention.q_lin'],
  [/^encoder\.layer\.(\d+)\.attention\.self\.key$/, 'transformer.layer.$1.attention.k_lin'],
  [/^encoder\.layer\.(\d+)\.attention\.self\.value$/, 'transformer.layer.$1.attention.v_lin'],
  [/^encoder\.layer\.(\d+)\.attention\.output\.dense/, 'transformer.layer.$1.attention.out_lin'],
  [/^encoder\.layer\.(\d+)\.attention\.output\.LayerNorm/, 'transformer.layer.$1.sa_layer_norm'],
  [/^encoder\.layer\.(\d+)\.intermediate\.dense/, 'transformer.layer.$1.ffn.lin1'],
  [/^encoder\.layer\.(\d+)\.output\.dense/, 'transformer.layer.$1.ffn.lin2'],
  [/^encoder\.layer\.(\d+)\.output\.LayerNorm/, 'transformer.layer.$1.output_layer_norm'],
];

/**
 * DistilBERT: no token types, no pooler, its own layer names, a pre_classifier/ReLU sequence
 * head and a vocab_transform/vocab_layer_norm/vocab_projector MLM head (decoder tied).
 */
export const DISTILBERT: FamilySpec = {
  modelType: 'distilbert',
  base: 'distilbert',
  positions: 'absolute',
  tokenTypeInput: () => false,
  rename: (name) => {
    for (const [pattern, replacement] of DISTILBERT_LAYER) {
      if (pattern.test(name)) return name.replace(pattern, replacement);
    }
    return name;
  },
  sequenceHead: 'pre-classifier',
  qaDropout: (config) => (typeof config.qa_dropout === 'number' ? config.qa_dropout : 0.1),
  mlm: { dense: 'vocab_transform', layerNorm: 'vocab_layer_norm', bias: 'vocab_projector.bias' },
};

const FAMILIES: Readonly<Record<string, FamilySpec>> = {
  bert: BERT,
  roberta: ROBERTA,
  distilbert: DISTILBERT,
  electra: ELECTRA,
  'xlm-roberta': { ...ROBERTA, modelType: 'xlm-roberta' },
};

/** The family of `model_type`; one the engine cannot build is a FormatError naming the config file. */
export function familySpec(modelType: string, configFile = 'config.json'): FamilySpec {
  const spec = FAMILIES[modelType];
  if (!spec) {
    throw new FormatError(
      configFile,
      `model_type "${modelType}" cannot be built; supported: ${Object.keys(FAMILIES).join(', ')}`,
      'UNSUPPORTED_MODEL',
    );
  }
  return spec;
}
