/**
 * Hugging Face `config.json` for BERT-family encoders.
 *
 * The config keeps HF's own field names so that a directory Berth writes loads in `transformers`
 * unchanged; fields Berth does not use are kept and written back untouched. DistilBERT's own names
 * (`dim`, `n_layers`, ...) are mapped onto the BERT names when read and back when written, so the
 * rest of the engine sees one shape of config for every family. ALBERT's `classifier_dropout_prob`
 * is read as `classifier_dropout` the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { FormatError } from '../errors';

export type HeadKind = 'sequence-classification' | 'token-classification' | 'question-answering' | 'masked-lm' | 'base';

export type ModelFamily = 'bert' | 'roberta' | 'distilbert' | 'albert' | 'electra' | 'deberta' | 'deberta-v2' | 'xlm-roberta';

/** HF field names, as in config.json. */
export interface EncoderConfig {
  model_type: string;
  architectures: string[];
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  classifier_dropout: number | null;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
  problem_type?: string;
  position_embedding_type?: string;
  /** ELECTRA and ALBERT: the width of the embedding tables, projected to hidden_size. */
  embedding_size?: number;
  /** ALBERT: groups of stored layers, shared across the num_hidden_layers depths. */
  num_hidden_groups?: number;
  /** ALBERT: layers per group, applied in turn at each depth. */
  inner_group_num?: number;
  /** Everything else is kept and written back untouched. */
  [key: string]: unknown;
}

const DEFAULT_CONFIG_FILE = 'config.json';

const MODEL_FAMILIES: readonly ModelFamily[] = [
  'bert',
  'roberta',
  'distilbert',
  'albert',
  'electra',
  'deberta',
  'deberta-v2',
  'xlm-roberta',
];

/** DistilBERT name → BERT name. */
const DISTILBERT_ALIASES: ReadonlyArray<[string, keyof EncoderConfig]> = [
  ['dim', 'hidden_size'],
  ['n_layers', 'num_hidden_layers'],
  ['n_heads', 'num_attention_heads'],
  ['hidden_dim', 'intermediate_size'],
  ['dropout', 'hidden_dropout_prob'],
  ['attention_dropout', 'attention_probs_dropout_prob'],
  ['activation', 'hidden_act'],
];

/**
 * Defaults are those of `transformers.BertConfig` (and of the family's config class where it
 * differs), used only when a field is absent, as `from_pretrained` would.
 */
function familyDefaults(modelType: string): Partial<EncoderConfig> {
  const bert: Partial<EncoderConfig> = {
    hidden_act: 'gelu',
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
  };
  switch (modelType) {
    case 'roberta':
    case 'xlm-roberta':
      // RobertaConfig's own default eps is BERT's 1e-12; released checkpoints set 1e-5 explicitly.
      return { ...bert, pad_token_id: 1 };
    case 'distilbert':
      // DistilBERT has no token type embeddings and a fixed LayerNorm eps.
      return { ...bert, type_vocab_size: 0, layer_norm_eps: 1e-12 };
    case 'deberta':
    case 'deberta-v2':
      return { ...bert, type_vocab_size: 0, layer_norm_eps: 1e-7 };
    case 'albert':
      // AlbertConfig's defaults (albert-base-v2 sets its own sizes explicitly).
      return {
        ...bert,
        hidden_act: 'gelu_new',
        hidden_dropout_prob: 0,
        attention_probs_dropout_prob: 0,
        embedding_size: 128,
        num_hidden_groups: 1,
        inner_group_num: 1,
      };
    default:
      return bert;
  }
}

// --- validation helpers ---------------------------------------------------------------------

function fail(file: string, field: string, problem: string): never {
  throw new FormatError(file, `field "${field}" ${problem}`);
}

function positiveInt(raw: Record<string, unknown>, field: string, file: string): number {
  const value = raw[field];
  if (value === undefined) fail(file, field, 'is missing');
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    fail(file, field, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function optionalNonNegativeInt(raw: Record<string, unknown>, field: string, file: string): void {
  const value = raw[field];
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    fail(file, field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
}

function optionalProbability(raw: Record<string, unknown>, field: string, file: string, nullable = false): void {
  const value = raw[field];
  if (value === undefined || (nullable && value === null)) return;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    fail(file, field, `must be a number in [0, 1)${nullable ? ' or null' : ''}, got ${JSON.stringify(value)}`);
  }
}

function optionalString(raw: Record<string, unknown>, field: string, file: string): void {
  const value = raw[field];
  if (value !== undefined && typeof value !== 'string') {
    fail(file, field, `must be a string, got ${JSON.stringify(value)}`);
  }
}

function parseId2Label(raw: unknown, file: string): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, 'id2label', 'must be an object');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) fail(file, 'id2label', `has key ${JSON.stringify(key)}, expected a label id`);
    if (typeof value !== 'string') fail(file, 'id2label', `entry "${key}" must be a string`);
    out[key] = value;
  }
  return out;
}

function parseLabel2Id(raw: unknown, file: string): Record<string, number> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, 'label2id', 'must be an object');
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      fail(file, 'label2id', `entry ${JSON.stringify(key)} must be a non-negative integer`);
    }
    out[key] = value as number;
  }
  return out;
}

// --- reading --------------------------------------------------------------------------------

export function parseConfig(json: string, file: string): EncoderConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new FormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FormatError(file, 'must hold a JSON object');
  }
  const raw: Record<string, unknown> = { ...(parsed as Record<string, unknown>) };

  if (typeof raw.model_type !== 'string' || raw.model_type.length === 0) {
    fail(file, 'model_type', raw.model_type === undefined ? 'is missing' : 'must be a non-empty string');
  }
  const modelType = raw.model_type;

  if (modelType === 'distilbert') {
    for (const [alias, name] of DISTILBERT_ALIASES) {
      if (raw[name as string] === undefined && raw[alias] !== undefined) raw[name as string] = raw[alias];
    }
    if (raw.classifier_dropout === undefined && raw.seq_classif_dropout !== undefined) {
      raw.classifier_dropout = raw.seq_classif_dropout;
    }
  }

  if (modelType === 'albert' && raw.classifier_dropout === undefined) {
    // AlbertConfig's classifier_dropout_prob (default 0.1) is the head dropout HF applies.
    raw.classifier_dropout = raw.classifier_dropout_prob === undefined ? 0.1 : raw.classifier_dropout_prob;
  }

  if (raw.architectures === undefined || raw.architectures === null) raw.architectures = [];
  if (!Array.isArray(raw.architectures) || !raw.architectures.every((a) => typeof a === 'string')) {
    fail(file, 'architectures', 'must be an array of strings');
  }

  positiveInt(raw, 'vocab_size', file);
  const hidden = positiveInt(raw, 'hidden_size', file);
  positiveInt(raw, 'num_hidden_layers', file);
  const heads = positiveInt(raw, 'num_attention_heads', file);
  positiveInt(raw, 'intermediate_size', file);
  if (hidden % heads !== 0) {
    fail(file, 'num_attention_heads', `(${heads}) must divide hidden_size (${hidden})`);
  }

  const defaults = familyDefaults(modelType);
  for (const [key, value] of Object.entries(defaults)) {
    if (raw[key] === undefined) raw[key] = value;
  }
  optionalString(raw, 'hidden_act', file);
  positiveInt(raw, 'max_position_embeddings', file);
  optionalNonNegativeInt(raw, 'type_vocab_size', file);
  optionalNonNegativeInt(raw, 'pad_token_id', file);
  if (typeof raw.layer_norm_eps !== 'number' || !(raw.layer_norm_eps > 0)) {
    fail(file, 'layer_norm_eps', `must be a positive number, got ${JSON.stringify(raw.layer_norm_eps)}`);
  }
  optionalProbability(raw, 'hidden_dropout_prob', file);
  optionalProbability(raw, 'attention_probs_dropout_prob', file);
  optionalProbability(raw, 'classifier_dropout', file, true);
  optionalString(raw, 'problem_type', file);
  for (const field of ['embedding_size', 'num_hidden_groups', 'inner_group_num']) {
    if (raw[field] !== undefined) positiveInt(raw, field, file);
  }
  optionalString(raw, 'position_embedding_type', file);

  const id2label = raw.id2label === undefined ? undefined : parseId2Label(raw.id2label, file);
  const label2id = raw.label2id === undefined ? undefined : parseLabel2Id(raw.label2id, file);
  if (id2label) {
    raw.id2label = id2label;
    raw.label2id = label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, label]) => [label, Number(id)]));
  } else if (label2id) {
    raw.label2id = label2id;
    raw.id2label = Object.fromEntries(Object.entries(label2id).map(([label, id]) => [String(id), label]));
  } else {
    const numLabels = raw.num_labels;
    const n = Number.isSafeInteger(numLabels) && (numLabels as number) > 0 ? (numLabels as number) : 0;
    raw.id2label = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]));
    raw.label2id = Object.fromEntries(Array.from({ length: n }, (_, i) => [`LABEL_${i}`, i]));
  }

  return raw as EncoderConfig;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${(e as Error).message})`);
  }
}

/** Reads and validates config.json; a missing or malformed field is a FormatError naming the file and the field. */
export function readConfig(file: string): EncoderConfig {
  return parseConfig(readText(file), file);
}

// --- writing --------------------------------------------------------------------------------

/** The JSON text writeConfig writes: 2-space indent, sorted keys, id2label in id order, final newline. */
export function serializeConfig(config: EncoderConfig): string {
  const out: Record<string, unknown> = { ...config };
  if (config.model_type === 'distilbert') {
    // Write DistilBERT's own names, which its config class reads back.
    for (const [alias, name] of DISTILBERT_ALIASES) {
      if (out[name as string] !== undefined) out[alias] = out[name as string];
      delete out[name as string];
    }
  }
  if (config.model_type === 'albert' && out.classifier_dropout !== undefined) {
    // Read from classifier_dropout_prob; written back under the name AlbertConfig reads.
    out.classifier_dropout_prob = out.classifier_dropout;
    delete out.classifier_dropout;
  }
  const labels = labelsOf(config);
  if (labels.length > 0) {
    out.id2label = Object.fromEntries(labels.map((label, i) => [String(i), label]));
    out.label2id = Object.fromEntries(labels.map((label, i) => [label, i]));
  } else {
    // An empty id2label would make HF set num_labels = 0, which breaks heads sized by it
    // (BertForQuestionAnswering's qa_outputs uses num_labels, default 2).
    delete out.id2label;
    delete out.label2id;
  }
  const sorted = Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((key) => [key, out[key]]),
  );
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** 2-space JSON with string keys in id2label, as HF writes it. */
export function writeConfig(file: string, config: EncoderConfig): void {
  writeFileSync(file, serializeConfig(config));
}

// --- reading the model out of the config ----------------------------------------------------

const HEAD_SUFFIXES: ReadonlyArray<[string, HeadKind]> = [
  ['ForSequenceClassification', 'sequence-classification'],
  ['ForTokenClassification', 'token-classification'],
  ['ForQuestionAnswering', 'question-answering'],
  ['ForMaskedLM', 'masked-lm'],
  // The masked-LM head plus NSP or SOP; its masked-LM head is served and trained as *ForMaskedLM's.
  ['ForPreTraining', 'masked-lm'],
  ['Model', 'base'],
];

/**
 * The task head, from the suffix of `architectures[0]` (HF's own convention). A config without
 * architectures describes a bare encoder. Anything else (multiple choice, causal LM, ...) is a
 * FormatError with code UNSUPPORTED_MODEL naming the architecture.
 */
export function headOf(config: EncoderConfig, file = DEFAULT_CONFIG_FILE): HeadKind {
  const architecture = config.architectures[0];
  if (architecture === undefined) return 'base';
  for (const [suffix, head] of HEAD_SUFFIXES) {
    if (architecture.endsWith(suffix) && architecture.length > suffix.length) return head;
  }
  throw new FormatError(
    file,
    `architecture "${architecture}" is not supported; expected *ForSequenceClassification, *ForTokenClassification, *ForQuestionAnswering, *ForMaskedLM, *ForPreTraining or *Model`,
    'UNSUPPORTED_MODEL',
  );
}

/** The model family from `model_type`; an unknown family is a FormatError with code UNSUPPORTED_MODEL. */
export function familyOf(config: EncoderConfig, file = DEFAULT_CONFIG_FILE): ModelFamily {
  const family = MODEL_FAMILIES.find((f) => f === config.model_type);
  if (!family) {
    throw new FormatError(
      file,
      `model_type "${config.model_type}" is not supported; expected one of ${MODEL_FAMILIES.join(', ')}`,
      'UNSUPPORTED_MODEL',
    );
  }
  return family;
}

/** id2label in id order; ids with no entry get HF's default name `LABEL_i`. */
export function labelsOf(config: EncoderConfig): string[] {
  const ids = Object.keys(config.id2label).map(Number);
  const count = ids.length === 0 ? 0 : Math.max(...ids) + 1;
  return Array.from({ length: count }, (_, i) => config.id2label[String(i)] ?? `LABEL_${i}`);
}

/** The entailment and contradiction ids of an NLI model (label names matched case-insensitively), else null. */
export function isNliConfig(config: EncoderConfig): { entailment: number; contradiction: number } | null {
  const labels = labelsOf(config).map((label) => label.toLowerCase());
  const entailment = labels.indexOf('entailment');
  const contradiction = labels.indexOf('contradiction');
  return entailment >= 0 && contradiction >= 0 ? { entailment, contradiction } : null;
}
