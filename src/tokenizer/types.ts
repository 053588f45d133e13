/** What the tokenizer wrapper hands out: encodings with offsets, windows and special ids. */

export interface TokenizedInput {
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  tokens: string[];
  /** Code points, exactly as HF reports them; [0, 0] for special tokens. */
  offsets: Array<[number, number]>;
  wordIds: Array<number | null>;
  sequenceIds: Array<number | null>;
  specialTokensMask: number[];
}

/**
 * One window of a (question, context) pair, as the overflow windowing (`returnOverflowing` with
 * `only_second` truncation and a stride) cuts it: what question-answering post-processing reads.
 */
export interface QaWindow {
  /** Per token: 0 = question, 1 = context, null = special or padding. */
  sequenceIds: Array<number | null>;
  /** Code-point offsets into the sequence the token came from. */
  offsets: Array<[number, number]>;
  /** Word index within its own sequence (null for special tokens). */
  wordIds: Array<number | null>;
  /** Index of the [CLS] token, which stays selectable as the "no answer" position; -1 if none. */
  clsIndex: number;
}

export type TruncationMode = 'longest_first' | 'only_first' | 'only_second' | false;

export interface EncodeOptions {
  /** Default true. */
  addSpecialTokens?: boolean;
  /** Default: the tokenizer's maxLength. */
  maxLength?: number;
  /** Default 'longest_first'. For a single text every strategy truncates that text. */
  truncation?: TruncationMode;
  /** Tokens shared by consecutive overflow windows. */
  stride?: number;
  /** true → every window, the first being the main encoding. */
  returnOverflowing?: boolean;
}

export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
  mask?: number;
  unk: number;
}

export type TokenizerInput = string | [string, string];
