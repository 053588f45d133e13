/** What `pretrain()` takes, reports and returns, and the files it writes. */
import { EngineError } from '../../engine/errors';
import type { ValidationScore } from './batches';
import type { Objective } from './objectives';
export const LEARNING_CURVE_FILE = 'learning-curve.jsonl';
export const MODEL_SUBDIR = 'model';
/** Validation MLM loss and perplexity at every checkpoint. */
export const VALIDATION_CURVE_FILE = 'validation-curve.jsonl';

export interface PretrainOptions {
  /** HF layout directory of a BertForMaskedLM (e.g. from `berth init-model`). */
  readonly modelDir: string;
  /** A .txt file or a directory of them (one document per non-empty line). */
  readonly dataPath: string;
  readonly outDir: string;
  /** Held-out text for the final validation loss; excluded from the training files when inside `dataPath`. */
  readonly validationFile?: string;
  /** Blocks of the validation file scored (its first ones). */
  readonly validationBlocks: number;
  readonly maxSeqLength: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly warmupRatio: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** Total optimizer steps; when absent, `epochs` full passes over the blocks. */
  readonly steps?: number;
  readonly epochs?: number;
  /** What is learnt beside (or instead of plain) masked-LM; `mlm` by default (`objectives.ts`). */
  readonly objective: Objective;
  readonly wholeWordMask: boolean;
  readonly maskProbability: number;
  readonly seed: number;
  /** Steps between checkpoints (0: none before the end). */
  readonly checkpointEvery: number;
  readonly resume: boolean;
  /** Steps between progress events. */
  readonly logEvery: number;
  readonly threads?: number;
}

export const PRETRAIN_DEFAULTS = {
  validationBlocks: 256,
  maxSeqLength: 128,
  batchSize: 32,
  learningRate: 5e-4,
  warmupRatio: 0.06,
  weightDecay: 0.01,
  maxGradNorm: 1.0,
  objective: 'mlm',
  wholeWordMask: false,
  maskProbability: 0.15,
  seed: 42,
  checkpointEvery: 0,
  resume: false,
  logEvery: 10,
} as const;

export type PretrainEvent =
  | { type: 'data'; files: number; documents: number; tokens: number; blocks: number; validationBlocks: number; seconds: number }
  | { type: 'start'; totalSteps: number; startStep: number; tokensPerStep: number; parameters: number; resumedFrom?: string }
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSecond: number;
      etaSeconds: number;
      tokensSeen: number;
    }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'eval'; step: number; loss: number; perplexity: number; maskedTokens: number }
  | { type: 'done'; outDir: string; wallSeconds: number };

export interface PretrainHooks {
  /** Checked between steps: the run stops (its last checkpoint stays) with PretrainingStoppedError. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: PretrainEvent) => void;
}

export class PretrainingStoppedError extends EngineError {
  constructor(step: number, checkpointStep: number | undefined) {
    super(
      'PRETRAINING_STOPPED',
      `pre-training stopped at step ${step}; ${checkpointStep === undefined ? 'no checkpoint was written' : `the last checkpoint is at step ${checkpointStep}: rerun with --resume`}`,
    );
  }
}

export interface PretrainMetrics {
  readonly base_model: string;
  readonly data: {
    files: string[];
    documents: number;
    tokens: number;
    blocks: number;
    validation_file: string | null;
    validation_blocks: number;
  };
  readonly hyperparameters: Record<string, unknown>;
  readonly parameters: number;
  readonly steps: number;
  readonly tokens_seen: number;
  /** This invocation, data preparation and validation included. */
  readonly wall_seconds: number;
  /** Time inside optimizer steps, summed over every invocation of a resumed run. */
  readonly train_seconds: number;
  readonly train_tokens_per_second: number;
  /** Mean training loss over the last min(100, steps) steps. */
  readonly final_train_loss: number;
  readonly validation: ValidationScore | null;
}

export interface PretrainResult {
  readonly modelDir: string;
  readonly metrics: PretrainMetrics;
}
