import type { BerthTokenizer } from '../../tokenizer/tokenizer';

/** What data preparation needs from a tokenizer (BerthTokenizer provides it). */
export type DataTokenizer = Pick<BerthTokenizer, 'encodeBatch' | 'encodeWords' | 'specialIds' | 'vocabSize'>;

/** Label id that the losses ignore ([CLS], [SEP], padding, unscored sub-words), as in PyTorch. */
export const IGNORE_INDEX = -100;

/** One tokenized row, before padding: every token is real (attention mask 1). */
export interface EncodedRow {
  inputIds: number[];
  tokenTypeIds: number[];
}

/** A row the batcher can pad and stack; which targets are present decides the batch's label tensors. */
export interface TrainingFeature extends EncodedRow {
  /** Sequence classification: the class id. */
  label?: number;
  /** Token classification and MLM: one label per token, IGNORE_INDEX where not scored. */
  labels?: number[];
  /** Extractive QA: token positions of the answer ([CLS] = 0 when absent). */
  startPosition?: number;
  endPosition?: number;
}

export interface SequenceClassificationFeature extends EncodedRow {
  label: number;
  /** Index of the example it came from. */
  example: number;
}

export interface TokenClassificationFeature extends EncodedRow {
  labels: number[];
  example: number;
  /** Word index of every token (null for special tokens): the evaluation view. */
  wordIds: Array<number | null>;
  /** Per word of the example: the token index of its first piece, or -1 when no piece is in the row. */
  firstTokenOfWord: number[];
}

export interface QaTrainingFeature extends EncodedRow {
  startPosition: number;
  endPosition: number;
  example: number;
}

/** A window of a question for evaluation: offsets into the context, null outside it. */
export interface QaEvaluationFeature extends EncodedRow {
  exampleId: string;
  example: number;
  offsets: Array<readonly [number, number] | null>;
}

export interface MlmFeature extends EncodedRow {
  /** 1 for special tokens, which are never masked. */
  specialTokensMask: number[];
  /** Word index per token, unique within the row (null for special tokens), for whole-word and span masking. */
  wordIds: Array<number | null>;
}

/** Encodes in slices so that a large dataset never has all its encodings in flight at once. */
export const ENCODE_CHUNK = 512;
