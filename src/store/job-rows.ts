/** What both databases share about a job's row: its decoded shape, how it becomes a StoredJob, which columns an update sets. */
import type { JobError, JobStatus, JobUpdate, StoredJob } from './job-repository';

/** A job row with its JSON columns decoded and its flag a boolean (PostgreSQL gives it so; SQLite rows are decoded first). */
export interface JobRow {
  id: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  status: string;
  model: string;
  task: string;
  training_file: string;
  validation_file: string | null;
  method: string;
  hyperparameters: Record<string, unknown>;
  seed: number;
  suffix: string | null;
  metadata: Record<string, string> | null;
  auto_activate: boolean;
  target_model: string;
  fine_tuned_model: string | null;
  version: number | null;
  trained_tokens: number | null;
  error: JobError | null;
  progress: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
}

/** The columns a `StoredJob` is read from (fleet columns such as `worker_id` stay out of it). */
export const JOB_COLUMNS =
  'id, created_at, started_at, finished_at, status, model, task, training_file, validation_file, method, hyperparameters, seed, suffix, ' +
  'metadata, auto_activate, target_model, fine_tuned_model, version, trained_tokens, error, progress, result';

export const jobFromRow = (r: JobRow): StoredJob => ({
  id: r.id,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  status: r.status as JobStatus,
  model: r.model,
  task: r.task,
  trainingFile: r.training_file,
  validationFile: r.validation_file,
  method: r.method,
  hyperparameters: r.hyperparameters,
  seed: r.seed,
  suffix: r.suffix,
  metadata: r.metadata,
  autoActivate: r.auto_activate,
  targetModel: r.target_model,
  fineTunedModel: r.fine_tuned_model,
  version: r.version,
  trainedTokens: r.trained_tokens,
  error: r.error,
  progress: r.progress,
  result: r.result,
});

/** The column each updatable field is stored in. */
export const JOB_UPDATE_COLUMNS: Record<keyof JobUpdate, string> = {
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  fineTunedModel: 'fine_tuned_model',
  version: 'version',
  trainedTokens: 'trained_tokens',
  error: 'error',
  progress: 'progress',
  result: 'result',
};

/** Updatable fields stored as JSON. */
export const JOB_JSON_FIELDS = new Set<keyof JobUpdate>(['error', 'progress', 'result']);
