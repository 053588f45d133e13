/** What a training run reports and returns: its events, its result and its metrics.json. */
import { EngineError } from '../engine/errors';
import type { EvalMetrics } from './task-data';

export type TrainEvent =
  | {
      type: 'start';
      totalSteps: number;
      stepsPerEpoch: number;
      epochs: number;
      trainExamples: number;
      validationExamples: number;
      trainable: number;
      frozen: number;
      validation: string;
    }
  | {
      type: 'step';
      epoch: number;
      step: number;
      totalSteps: number;
      loss: number;
      learningRate: number;
      gradNorm: number;
      examplesPerSecond: number;
      elapsedSeconds: number;
    }
  | { type: 'eval'; epoch: number; step: number; metrics: EvalMetrics; best: boolean }
  /** One learning-rate trial of a sweep finished (before the full run's `start`). */
  | {
      type: 'trial';
      trial: number;
      trials: number;
      learningRate: number;
      score: number;
      scoreName: string;
      loss: number;
      diverged: boolean;
    }
  /** The sweep's choice: the full run trains at this learning rate. */
  | { type: 'sweep'; learningRate: number; score: number; scoreName: string }
  /** Validation did not improve for `patience` epochs: the run stops after `epoch`. */
  | { type: 'early-stop'; epoch: number; bestEpoch: number; patience: number }
  | { type: 'done'; outDir: string; selectedEpoch: number; wallSeconds: number };

export interface TrainHooks {
  /** Checked between steps; an abort ends the run with TrainingCancelledError and writes nothing. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainEvent) => void;
  /**
   * Also score the starting model on the validation rows before the first step, recorded as
   * metrics.json `baseline`, so a run shows what it gained on exactly the rows it is judged on.
   * Off by default: it costs one pass over the validation rows.
   */
  readonly evaluateBaseline?: boolean;
}

export class TrainingCancelledError extends EngineError {
  constructor() {
    super('TRAINING_CANCELLED', 'training was cancelled; no output was written');
  }
}

export interface TrainResult {
  readonly outDir: string;
  readonly files: string[];
  readonly metrics: TrainMetricsFile;
}

/** One learning-rate trial as metrics.json records it. */
export interface SweepTrial {
  readonly learning_rate: number;
  readonly score: number;
  readonly loss: number;
  readonly diverged: boolean;
}

/** metrics.json: what was trained, how, and how well. */
export interface TrainMetricsFile {
  readonly task: string;
  readonly method: string;
  readonly base_model: string;
  readonly hyperparameters: Record<string, unknown>;
  readonly data: { train: string; validation: string; train_examples: number; validation_examples: number; truncated: number };
  readonly parameters: { trainable: number; total: number };
  readonly train_loss: Array<{ step: number; epoch: number; loss: number; learning_rate: number; grad_norm: number }>;
  readonly eval: Array<{ epoch: number; step: number } & EvalMetrics>;
  /** The starting model's score on the same validation rows (only with `evaluateBaseline`). */
  readonly baseline?: EvalMetrics;
  /** The learning-rate sweep that chose `hyperparameters.learning_rate` (only with several candidates). */
  readonly learning_rate_sweep?: {
    readonly candidates: number[];
    readonly sample_rows: number;
    readonly validation_rows: number;
    readonly epochs: number;
    readonly score_name: string;
    readonly trials: SweepTrial[];
    readonly chosen: number;
  };
  /** Early stopping: the patience and the epoch the run stopped after (null when it ran every epoch). */
  readonly early_stopping?: { readonly patience: number; readonly stopped_after_epoch: number | null };
  /** Knowledge distillation: the teacher and the loss's settings. */
  readonly distillation?: {
    readonly teacher: string;
    readonly temperature: number;
    readonly alpha: number;
    readonly teacher_layers: number;
    readonly student_layers: number;
    /** Seconds spent computing the teacher's logits over the training rows (once, before the first step). */
    readonly teacher_seconds: number;
    /** The transfer set (unlabelled text the teacher labelled) and how many rows it added. */
    readonly transfer_file?: string;
    readonly transfer_rows?: number;
  };
  readonly selected: { select: string; epoch: number; step: number; metrics: EvalMetrics };
  readonly wall_seconds: number;
  readonly train_examples_per_second: number;
}
