/**
 * What each task takes and gives: the request parameters and result shapes the task pipelines and
 * their post-processing work with. Field names follow the Hugging Face pipelines, so the same words
 * mean the same thing in the pipelines, the serving contract and the HTTP layer.
 *
 * Offsets (`start`, `end`) are indices into the caller's original string counted in Unicode code
 * points, as Hugging Face (Python) reports them.
 */

// ---- text classification --------------------------------------------------------------------

export type TextInput = string | { text: string; text_pair?: string };

export interface ClassifyParams {
  /** null → every label; default 1 (as the HF pipeline). */
  top_k?: number | null;
  function_to_apply?: 'softmax' | 'sigmoid' | 'none';
}

export interface LabelScore {
  label: string;
  score: number;
}

export interface ClassifyItem {
  labels: LabelScore[];
  /** True when the input was longer than the model allows and was cut. */
  truncated: boolean;
}

// ---- NLI and zero-shot ------------------------------------------------------------------------

export interface NliPair {
  premise: string;
  hypothesis: string;
}

export interface ZeroShotParams {
  candidate_labels: string[];
  hypothesis_template?: string; // default 'This example is {}.'
  multi_label?: boolean;
}

export interface ZeroShotItem {
  sequence: string;
  labels: string[];
  scores: number[];
  truncated: boolean;
}

// ---- token classification ---------------------------------------------------------------------

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

/**
 * Berth's own NER default: whole words, each tagged as its first sub-token is (the token the
 * training loss scores), so an entity never ends inside a word ("Ada Lovel").
 */
export const NER_AGGREGATION_DEFAULT: AggregationStrategy = 'first';
/** The Hugging Face Inference API's token-classification default, kept on its compatible route. */
export const HF_NER_AGGREGATION_DEFAULT: AggregationStrategy = 'simple';

export interface NerParams {
  aggregation_strategy?: AggregationStrategy; // default NER_AGGREGATION_DEFAULT
  ignore_labels?: string[]; // default ['O']
  /** Overlap, in tokens, between windows of a long text. */
  stride?: number;
}

export interface Entity {
  /** Present with aggregation `none` (the raw tag, e.g. B-PER). */
  entity?: string;
  /** Always present (with `none` it is the tag without its B-/I- prefix). */
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
  /** Token index, present with aggregation `none`. */
  index?: number;
}

// ---- question answering ------------------------------------------------------------------------

export interface QaInput {
  question: string;
  context: string;
}

export interface QaParams {
  top_k?: number;
  doc_stride?: number;
  max_answer_len?: number;
  max_seq_len?: number;
  max_question_len?: number;
  handle_impossible_answer?: boolean;
}

export interface Answer {
  answer: string;
  score: number;
  start: number;
  end: number;
}

// ---- embeddings and fill-mask -------------------------------------------------------------------

export interface EmbeddingParams {
  /** 'none' returns one vector per token. */
  pooling?: 'cls' | 'mean' | 'none';
  normalize?: boolean;
}

export interface EmbeddingItem {
  /** [dim] when pooled, [tokens][dim] with pooling 'none'. */
  embedding: number[] | number[][];
  tokens?: string[];
  truncated: boolean;
}

export interface FillMaskParams {
  top_k?: number; // default 5
}

export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
  /** Which mask (0-based, in text order) this candidate fills; present only when the text has several. */
  mask_index?: number;
}
