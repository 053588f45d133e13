import type { TrainEvent, TrainMetricsFile } from '../trainer/train';
import type { TrainOptionsInput } from '../trainer/options';

/** What the runner asks of a training run: the trainer's own options (plain data, cloneable). */
export type TrainingRequest = TrainOptionsInput;

export interface TrainingOutcome {
  readonly outDir: string;
  readonly metrics: TrainMetricsFile;
}

export interface TrainingHooks {
  readonly signal: AbortSignal;
  readonly onEvent: (event: TrainEvent) => void;
}

/**
 * Runs one training to completion. Resolves when `request.outDir` holds the finished model;
 * rejects with `TrainingCancelledError` (code TRAINING_CANCELLED) after `signal` aborts, writing
 * nothing. The production executor runs the trainer in a worker thread; tests inject fakes.
 */
export type TrainingExecutor = (request: TrainingRequest, hooks: TrainingHooks) => Promise<TrainingOutcome>;

export const CANCELLED_CODE = 'TRAINING_CANCELLED';
