/** Stored jobs, events and checkpoints as the OpenAI-compatible objects the API returns. */
import { FINISHED_STATUSES, StoredCheckpoint, StoredEvent, StoredJob } from '../../store';
import type { JobCheckpointDto, JobEventDto, JobObjectDto } from './fine-tuning.dto';

export function jobObject(job: StoredJob): JobObjectDto {
  const { options: _trainerOptions, ...hyperparameters } = job.hyperparameters;
  const progress = job.progress as { eta_seconds?: number } | null;
  return {
    id: job.id,
    object: 'fine_tuning.job',
    created_at: job.createdAt,
    finished_at: job.finishedAt,
    model: job.model,
    fine_tuned_model: job.fineTunedModel,
    organization_id: 'berth',
    status: job.status,
    training_file: job.trainingFile,
    validation_file: job.validationFile,
    hyperparameters: {
      n_epochs: job.hyperparameters.n_epochs,
      batch_size: job.hyperparameters.batch_size,
      learning_rate_multiplier: job.hyperparameters.learning_rate_multiplier,
    },
    method: { type: job.method, [job.method]: { hyperparameters } },
    trained_tokens: job.trainedTokens,
    error: job.error,
    result_files: [],
    seed: job.seed,
    suffix: job.suffix,
    metadata: job.metadata,
    estimated_finish:
      job.status === 'running' && typeof progress?.eta_seconds === 'number' ? Math.floor(Date.now() / 1000) + progress.eta_seconds : null,
    integrations: null,
    berth: {
      task: job.task,
      auto_activate: job.autoActivate,
      target_model: job.targetModel,
      version: job.version,
      progress: job.progress,
      result: job.result,
    },
  };
}

/** The job's last event: the runner marks it with the final status (see JobRunner.logFinal). */
export function isFinalEvent(e: StoredEvent): boolean {
  const status = e.data?.status;
  return typeof status === 'string' && FINISHED_STATUSES.includes(status as StoredJob['status']);
}

export function eventObject(e: StoredEvent): JobEventDto {
  return {
    id: e.id,
    object: 'fine_tuning.job.event',
    created_at: e.createdAt,
    level: e.level,
    message: e.message,
    type: e.type,
    data: e.data,
  };
}

export function checkpointObject(c: StoredCheckpoint, job: StoredJob): JobCheckpointDto {
  return {
    id: c.id,
    object: 'fine_tuning.job.checkpoint',
    created_at: c.createdAt,
    fine_tuned_model_checkpoint: c.selected && job.version !== null ? `${job.fineTunedModel}:${job.version}` : null,
    fine_tuning_job_id: c.jobId,
    metrics: { step: c.step, epoch: c.epoch, ...c.metrics, selected: c.selected },
    step_number: c.step,
  };
}
