/**
 * What every task pipeline is made of, after transformers.js's pipelines: one small unit per task
 * that checks its request, tokenizes, runs the model and post-processes, on a model it is handed.
 * Plain TypeScript: the serving core resolves the model, holds its version for the request and
 * times the stages; a pipeline knows nothing of versions, queues or HTTP.
 */
import type { SequenceOutputs } from '../runtime/onnx-session';
import type { BerthTokenizer, TokenizedInput } from '../tokenizer/tokenizer';
import type { RequestLimits } from './limits';

/** What a model must serve for a pipeline to run on it (and which default model a request gets). */
export type ModelRequirement =
  'text-classification' | 'nli' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';

/** What a pipeline reads from the model it runs on (a loaded version gives all of it). */
export interface TaskModel {
  readonly name: string;
  readonly tokenizer: BerthTokenizer;
  /** The longest sequence the model takes, in tokens. */
  readonly maxLength: number;
  readonly descriptor: {
    /** id2label in id order. */
    readonly labels: string[];
    /** The entailment and contradiction ids of an NLI model; null otherwise. */
    readonly nli: { entailment: number; contradiction: number } | null;
    readonly config: { problem_type?: string };
  };
  /** The tokenizer model's `continuing_subword_prefix` ("##" for WordPiece). */
  readonly continuingSubwordPrefix: string | undefined;
  /** The Metaspace replacement ("▁") of a SentencePiece-style tokenizer; undefined otherwise. */
  readonly wordStartMark: string | undefined;
}

/** A request's stages, timed by the core: tokenization, and the model run through its batcher. */
export interface Stages {
  tokenize<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs the sequences (in one submission to the batcher); outputs in the same order. */
  run(sequences: TokenizedInput[]): Promise<SequenceOutputs[]>;
}

/** One task: inputs of type `I` with parameters `P` give one result `R` per input. */
export interface TaskPipeline<I, P, R> {
  readonly requires: ModelRequirement;
  /** Everything about the request that needs no model (parameters, then the limits); runs before the model is resolved. */
  check(inputs: I[], params: P, limits: RequestLimits): void;
  /** Tokenize → run → post-process. */
  run(model: TaskModel, stages: Stages, inputs: I[], params: P): Promise<R[]>;
}

/**
 * Encodes without truncation first, so that truncation is known rather than guessed; only the
 * inputs that do not fit are encoded again, cut to the model's maximum with `strategy`.
 */
export async function encodeTruncating(
  model: TaskModel,
  inputs: Array<string | [string, string]>,
  strategy: 'longest_first' | 'only_first',
): Promise<Array<{ input: TokenizedInput; truncated: boolean }>> {
  const whole = await model.tokenizer.encodeBatch(inputs, { truncation: false });
  const tooLong = whole.map((w, i) => (w[0].ids.length > model.maxLength ? i : -1)).filter((i) => i >= 0);
  const cut =
    tooLong.length > 0
      ? await model.tokenizer.encodeBatch(
          tooLong.map((i) => inputs[i]),
          { truncation: strategy },
        )
      : [];
  const result = whole.map((w) => ({ input: w[0], truncated: false }));
  tooLong.forEach((i, k) => (result[i] = { input: cut[k][0], truncated: true }));
  return result;
}
