import { FormatError } from '../errors';
import { EncoderConfig } from '../formats/config';

/**
 * What distinguishes the members of the BERT family in the graph: parameter names and a few
 * small structural hooks. The graph is written once with BERT's module names inside the
 * encoder (`embeddings.*`, `encoder.layer.N.attention.self.query`, ...); `rename` maps them to
 * the family's own (identity for BERT, RoBERTa and XLM-R; DistilBERT's `transformer.layer.N.
 * attention.q_lin`, ...); ELECTRA adds an embedding projection; ALBERT projects its factorised
 * embeddings too and shares layer weights across depth (`layerSchedule`).
 *
 * Inside a layer the graph asks for `encoder.layer.{s}.…` where `s` is the stored layer, not the
 * depth: ALBERT's schedule applies stored layer 0 at every depth, so every application asks for
 * the same names, gets the same parameter values (the builder caches them by name), and the
 * gradients of all applications add up into the one weight.
 */
export interface FamilySpec {
  readonly modelType: string;
  /** The encoder's attribute name in the task model (`bert`, `roberta`). */
  readonly base: string;
  /** HF's class-name prefix (`Bert` of `BertForMaskedLM`, `XLMRoberta`, …). */
  readonly classPrefix: string;
  /** How position ids are formed. */
  readonly positions: 'absolute' | 'padding-offset';
  /** Whether `token_type_ids` is a graph input (the Optimum export has it iff type_vocab_size > 1 or the family always feeds it). */
  readonly tokenTypeInput: (typeVocabSize: number) => boolean;
  /**
   * BERT's name for an encoder parameter or module (relative to `base`) → the family's name.
   * Module names include the two PEFT adapter sites, `encoder.layer.N.attention.output` and
   * `encoder.layer.N.output`.
   */
  readonly rename: (bertName: string, config: EncoderConfig) => string;
  /**
   * The stored layer each application uses, in order (default: layer i at depth i). ALBERT: depth
   * i runs group ⌊i·G/L⌋, whose `inner_group_num` layers are stored as `group·inner + j`.
   */
  readonly layerSchedule?: (config: EncoderConfig) => readonly number[];
  /** Dropout after the FFN output dense (default true; ALBERT's layer has none). */
  readonly feedForwardDropout?: boolean;
  /**
   * Sequence classification head: BERT's pooler + classifier, RoBERTa's dense/tanh/out_proj,
   * or DistilBERT's pre_classifier/ReLU/classifier.
   */
  readonly sequenceHead: 'pooler' | 'dense-out-proj' | 'pre-classifier';
  /** The activation between `classifier.dense` and `classifier.out_proj` (dense-out-proj heads). */
  readonly classifierActivation?: 'tanh' | 'gelu';
  /**
   * Width of the embedding tables when it differs from hidden_size (ELECTRA's and ALBERT's
   * `embedding_size`), with the Linear (BERT name `embeddings_project`) that maps embeddings to
   * hidden states.
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
  classPrefix: 'Bert',
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
  classPrefix: 'Roberta',
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
  classPrefix: 'Electra',
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
  // The PEFT adapter sites, named after the Linear whose output they adapt.
  [/^encoder\.layer\.(\d+)\.attention\.output$/, 'transformer.layer.$1.attention.out_lin'],
  [/^encoder\.layer\.(\d+)\.output$/, 'transformer.layer.$1.ffn.lin2'],
];

/**
 * DistilBERT: no token types, no pooler, its own layer names, a pre_classifier/ReLU sequence
 * head and a vocab_transform/vocab_layer_norm/vocab_projector MLM head (decoder tied).
 */
export const DISTILBERT: FamilySpec = {
  modelType: 'distilbert',
  base: 'distilbert',
  classPrefix: 'DistilBert',
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

/** ALBERT's names inside one stored layer (`albert_layer_groups.G.albert_layers.J.…`), from BERT's. */
const ALBERT_LAYER: ReadonlyArray<[RegExp, string]> = [
  [/^attention\.self\.(query|key|value)\b/, 'attention.$1'],
  [/^attention\.output\.(dense|LayerNorm)\b/, 'attention.$1'],
  [/^intermediate\.dense\b/, 'ffn'],
  [/^output\.dense\b/, 'ffn_output'],
  [/^output\.LayerNorm\b/, 'full_layer_layer_norm'],
  // The PEFT adapter sites, named after the Linear whose output they adapt.
  [/^attention\.output$/, 'attention.dense'],
  [/^output$/, 'ffn_output'],
];

const positive = (value: unknown, fallback: number): number => (typeof value === 'number' && value > 0 ? value : fallback);

/** HF `AlbertTransformer`: depth i runs group ⌊i / (L / G)⌋, and each group runs its inner layers in turn. */
function albertSchedule(config: EncoderConfig): number[] {
  const layers = config.num_hidden_layers;
  const groups = positive(config.num_hidden_groups, 1);
  const inner = positive(config.inner_group_num, 1);
  const schedule: number[] = [];
  for (let i = 0; i < layers; i++) {
    const group = Math.floor(i / (layers / groups));
    for (let j = 0; j < inner; j++) schedule.push(group * inner + j);
  }
  return schedule;
}

/**
 * ALBERT: factorised embeddings (`embedding_size`) projected by `encoder.embedding_hidden_mapping_in`,
 * `num_hidden_groups` × `inner_group_num` stored layers applied over `num_hidden_layers` depths
 * (shared across depth), `gelu_new`, a pooler that is a plain Linear (`albert.pooler`), no dropout
 * after the FFN, and an MLM head named `predictions.*`.
 */
export const ALBERT: FamilySpec = {
  modelType: 'albert',
  base: 'albert',
  classPrefix: 'Albert',
  positions: 'absolute',
  tokenTypeInput: () => true,
  rename: (name, config) => {
    if (name.startsWith('embeddings_project')) return name.replace('embeddings_project', 'encoder.embedding_hidden_mapping_in');
    if (name.startsWith('pooler.dense')) return name.replace('pooler.dense', 'pooler');
    const layer = /^encoder\.layer\.(\d+)\.(.*)$/.exec(name);
    if (!layer) return name;
    const stored = Number(layer[1]);
    const inner = positive(config.inner_group_num, 1);
    let rest = layer[2];
    for (const [pattern, replacement] of ALBERT_LAYER) {
      if (pattern.test(rest)) {
        rest = rest.replace(pattern, replacement);
        break;
      }
    }
    return `encoder.albert_layer_groups.${Math.floor(stored / inner)}.albert_layers.${stored % inner}.${rest}`;
  },
  layerSchedule: albertSchedule,
  feedForwardDropout: false,
  sequenceHead: 'pooler',
  embeddingSize: (config) => (typeof config.embedding_size === 'number' ? config.embedding_size : undefined),
  mlm: { dense: 'predictions.dense', layerNorm: 'predictions.LayerNorm', bias: 'predictions.bias' },
};

/** The stored layer of each depth, in order: [0, 1, …, L−1] unless the family shares layers. */
export function layerSchedule(family: FamilySpec, config: EncoderConfig): readonly number[] {
  return family.layerSchedule?.(config) ?? Array.from({ length: config.num_hidden_layers }, (_, i) => i);
}

/** The encoder's name prefix in the checkpoint: `bert.` for task models, none for a bare BertModel. */
export function encoderPrefix(family: FamilySpec, has: (name: string) => boolean): string {
  if (!has(`${family.base}.embeddings.word_embeddings.weight`) && has('embeddings.word_embeddings.weight')) return '';
  return `${family.base}.`;
}

/** The distinct stored layers the schedule applies, ascending (those PEFT attaches to). */
export function scheduledLayers(family: FamilySpec, config: EncoderConfig): number[] {
  return [...new Set(layerSchedule(family, config))].sort((a, b) => a - b);
}

const FAMILIES: Readonly<Record<string, FamilySpec>> = {
  bert: BERT,
  roberta: ROBERTA,
  distilbert: DISTILBERT,
  albert: ALBERT,
  electra: ELECTRA,
  'xlm-roberta': { ...ROBERTA, modelType: 'xlm-roberta', classPrefix: 'XLMRoberta' },
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
