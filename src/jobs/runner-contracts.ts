/** The job runner's contracts: what it is given, what it reports, and why a job fails. */
import type { FileStore, JobStatus, JobStore, StoredJob } from '../store';
import type { TrainEvent, TrainMetricsFile } from '../trainer/train';
import type { FleetQueue } from './fleet-queue';
import type { TrainingExecutor } from './training-executor';

export interface PublishResult {
  readonly fineTunedModel: string;
  readonly version: number;
  readonly activated: boolean;
  readonly reason: string;
}

/** Registers a finished model directory as a version (and decides activation); throws to fail the job. */
export type Publisher = (job: StoredJob, outcome: { outDir: string; metrics: TrainMetricsFile }, log: JobLogger) => Promise<PublishResult>;

/** Telemetry hooks for fine-tuning (SPEC §7); the metrics layer implements them with prom-client. */
export interface FineTuningObserver {
  /** Jobs per status, after every status change. */
  jobCounts(counts: Readonly<Record<JobStatus, number>>): void;
  /** One optimizer step of a running job. */
  trainingStep(
    job: { id: string; model: string; method: string },
    step: { step: number; loss: number; learningRate: number; examplesPerSecond: number },
  ): void;
}

/** Records a job event; resolves once it is stored and announced. */
export type JobLogger = (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => Promise<void>;

export interface JobRunnerOptions {
  readonly jobs: JobStore;
  readonly files: FileStore;
  /** `<dataDir>/jobs`: one work directory per running job. */
  readonly workDir: string;
  readonly execute: TrainingExecutor;
  readonly publish: Publisher;
  /** The HF directory a job trains from (the base model's active version). */
  readonly modelDir: (model: string) => string;
  /** The version `modelDir` gives (the base model's active version), named in the job's events. */
  readonly modelVersion?: (model: string) => number;
  /** Where training sessions run (BERTH_DEVICE; TensorRT serves, so a TensorRT host trains on CUDA). */
  readonly device?: 'cpu' | 'cuda';
  /** Jobs trained at the same time (default 1). */
  readonly concurrency?: number;
  /** Called after every status change (metrics); the runner waits for it. */
  readonly onStatus?: (job: StoredJob) => void | Promise<void>;
  /** Called for every training step (metrics). */
  readonly onStep?: (job: StoredJob, step: Extract<TrainEvent, { type: 'step' }>) => void;
  /**
   * Fleet mode: jobs wait in the fleet's queue, and a process that trains claims them one at a
   * time; this process's own queue stays empty. See fleet-queue.ts.
   */
  readonly fleet?: FleetQueue;
}

/** Reasons a job fails, as OpenAI-style `error.code`s. */
export const JOB_ERROR = {
  interrupted: 'server_restarted',
  shutdown: 'server_shutdown',
  fileMissing: 'invalid_training_file',
  training: 'training_failed',
  publish: 'publish_failed',
} as const;
