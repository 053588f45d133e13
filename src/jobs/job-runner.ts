/**
 * The fine-tuning job runner: a FIFO queue drained one job at a time (by default), each job run
 * by a TrainingExecutor (a worker thread in production) so the HTTP event loop never trains.
 * Every status change and progress report is persisted as a job event before it is announced.
 *
 * Work directories live under `<workDir>/<job id>`; the trainer writes its output there
 * atomically, the publisher copies it in as a model version, and the directory is removed
 * whatever the outcome. A job found `running` at boot was interrupted: it is marked failed and its
 * directory removed, so no partial output survives a crash.
 */
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainEvent, TrainMetricsFile } from '../trainer/train';
import { FINISHED_STATUSES, FileRepository, JobError, JobRepository, JobStatus, StoredEvent, StoredJob, unixNow } from '../store';
import { CANCELLED_CODE, TrainingExecutor, TrainingRequest } from './training-executor';

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

export type JobLogger = (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;

export interface JobRunnerOptions {
  readonly jobs: JobRepository;
  readonly files: FileRepository;
  /** `<dataDir>/jobs`: one work directory per running job. */
  readonly workDir: string;
  readonly execute: TrainingExecutor;
  readonly publish: Publisher;
  /** The HF directory a job trains from (the base model's active version). */
  readonly modelDir: (model: string) => string;
  /** Jobs trained at the same time (default 1). */
  readonly concurrency?: number;
  /** Called after every status change (metrics). */
  readonly onStatus?: (job: StoredJob) => void;
  /** Called for every training step (metrics). */
  readonly onStep?: (job: StoredJob, step: Extract<TrainEvent, { type: 'step' }>) => void;
}

/** Reasons a job fails, as OpenAI-style `error.code`s. */
export const JOB_ERROR = {
  interrupted: 'server_restarted',
  shutdown: 'server_shutdown',
  fileMissing: 'invalid_training_file',
  training: 'training_failed',
  publish: 'publish_failed',
} as const;

/** How many step events are persisted for a run (the job's progress field always has the latest). */
const STEP_EVENTS = 100;

interface Running {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class JobRunner {
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private readonly events = new EventEmitter();
  private stopped = false;
  private readonly concurrency: number;

  constructor(private readonly opts: JobRunnerOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.events.setMaxListeners(0);
  }

  /**
   * At boot: jobs left `running` by a crash or kill are failed with the reason and their work
   * directories removed; jobs that never started are queued again, in their original order, once
   * `ready` resolves (the models they start from are loaded by then).
   */
  async recover(ready: Promise<unknown> = Promise.resolve()): Promise<void> {
    for (const job of this.opts.jobs.withStatus('running')) {
      this.removeWork(job.id);
      this.finish(job.id, ['running'], 'failed', {
        code: JOB_ERROR.interrupted,
        message: 'the server stopped while this job was running; its partial output was removed. Create the job again to retry.',
        param: null,
      });
    }
    await ready;
    if (this.stopped) return;
    for (const job of this.opts.jobs.withStatus('validating_files', 'queued')) this.enqueue(job.id);
    this.pump();
  }

  /** Takes a freshly created job (status validating_files): checks its files are still there, then queues it. */
  submit(jobId: string): void {
    this.enqueue(jobId);
    this.pump();
  }

  private enqueue(jobId: string): void {
    const job = this.opts.jobs.get(jobId);
    if (!job) return;
    if (job.status === 'validating_files') {
      const missing = this.missingFile(job);
      if (missing) {
        this.finish(jobId, ['validating_files'], 'failed', missing);
        return;
      }
      if (!this.opts.jobs.transition(jobId, ['validating_files'], 'queued')) return;
      this.log(jobId, 'info', 'Files validated; job queued');
      this.statusChanged(jobId);
    }
    if (!this.queue.includes(jobId)) this.queue.push(jobId);
  }

  private missingFile(job: StoredJob): JobError | undefined {
    for (const [param, id] of [
      ['training_file', job.trainingFile],
      ['validation_file', job.validationFile],
    ] as const) {
      if (id === null) continue;
      const file = this.opts.files.get(id);
      if (!file || !existsSync(file.path)) {
        return { code: JOB_ERROR.fileMissing, message: `${param} ${id} no longer exists (it was deleted)`, param };
      }
    }
    return undefined;
  }

  /** Cancels a job that has not finished. Queued jobs stop at once; a running one within a few seconds. */
  cancel(jobId: string): StoredJob | undefined {
    const job = this.opts.jobs.get(jobId);
    if (!job || FINISHED_STATUSES.includes(job.status)) return job;
    const running = this.running.get(jobId);
    if (running) {
      this.log(jobId, 'info', 'Cancellation requested; stopping the training run');
      running.controller.abort();
      return this.opts.jobs.get(jobId);
    }
    const at = this.queue.indexOf(jobId);
    if (at >= 0) this.queue.splice(at, 1);
    this.finish(jobId, ['validating_files', 'queued'], 'cancelled', null);
    return this.opts.jobs.get(jobId);
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || (this.queue.length > 0 && !this.stopped)) {
      const tick = new Promise<void>((r) => setTimeout(r, 20));
      await Promise.race([...[...this.running.values()].map((r) => r.done), tick]);
    }
  }

  /** Stops taking jobs and cancels the running ones (each ends failed: the server shut down). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const [, r] of this.running) r.controller.abort('shutdown');
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Listens to a job's new events (server-sent events); returns the unsubscribe function. */
  subscribe(jobId: string, listener: (event: StoredEvent) => void): () => void {
    this.events.on(jobId, listener);
    return () => this.events.off(jobId, listener);
  }

  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.queue.length > 0) {
      const jobId = this.queue.shift() as string;
      const controller = new AbortController();
      const done = this.run(jobId, controller).catch(() => undefined);
      this.running.set(jobId, { controller, done });
      void done.finally(() => {
        this.running.delete(jobId);
        this.pump();
      });
    }
  }

  private async run(jobId: string, controller: AbortController): Promise<void> {
    const job = this.opts.jobs.get(jobId);
    if (!job || job.status !== 'queued') return;
    const missing = this.missingFile(job);
    if (missing) {
      this.finish(jobId, ['queued'], 'failed', missing);
      return;
    }
    const work = join(this.opts.workDir, jobId);
    let request: TrainingRequest;
    try {
      request = this.requestFor(job, join(work, 'model'));
    } catch (e) {
      this.finish(jobId, ['queued'], 'failed', { code: JOB_ERROR.training, message: (e as Error).message, param: null });
      return;
    }
    if (!this.opts.jobs.transition(jobId, ['queued'], 'running', { startedAt: unixNow() })) return;
    this.log(jobId, 'info', `Fine-tuning started (${job.method} on ${job.model})`);
    this.statusChanged(jobId);

    const progress = new ProgressReporter(this, jobId);
    try {
      const outcome = await this.opts.execute(request, { signal: controller.signal, onEvent: (e) => progress.on(e) });
      if (controller.signal.aborted) throw cancelled();
      const result = await this.opts.publish(this.opts.jobs.get(jobId) as StoredJob, outcome, (level, message, data) =>
        this.log(jobId, level, message, data),
      );
      this.opts.jobs.update(jobId, {
        result: { metrics: outcome.metrics.selected, activated: result.activated, activation: result.reason },
      });
      this.finish(jobId, ['running'], 'succeeded', null, { fineTunedModel: result.fineTunedModel, version: result.version });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (controller.signal.aborted && controller.signal.reason === 'shutdown') {
        this.finish(jobId, ['running'], 'failed', {
          code: JOB_ERROR.shutdown,
          message: 'the server shut down while this job was running; no version was written',
          param: null,
        });
      } else if (controller.signal.aborted || code === CANCELLED_CODE) {
        this.finish(jobId, ['running'], 'cancelled', null);
      } else {
        const publishing = (e as { publishing?: boolean }).publishing === true;
        this.finish(jobId, ['running'], 'failed', {
          code: publishing ? JOB_ERROR.publish : JOB_ERROR.training,
          message: e instanceof Error ? e.message : String(e),
          param: null,
        });
      }
    } finally {
      this.removeWork(jobId);
    }
  }

  private requestFor(job: StoredJob, outDir: string): TrainingRequest {
    const file = (id: string) => {
      const f = this.opts.files.get(id);
      if (!f) throw new Error(`file ${id} no longer exists`);
      return f.path;
    };
    return {
      ...((job.hyperparameters.options ?? {}) as Partial<TrainingRequest>),
      modelDir: this.opts.modelDir(job.model),
      task: job.task as TrainingRequest['task'],
      method: job.method as TrainingRequest['method'],
      trainFile: file(job.trainingFile),
      validationFile: job.validationFile === null ? undefined : file(job.validationFile),
      seed: job.seed,
      outDir,
    };
  }

  private removeWork(jobId: string): void {
    rmSync(join(this.opts.workDir, jobId), { recursive: true, force: true });
  }

  private finish(
    jobId: string,
    from: readonly JobStatus[],
    status: JobStatus,
    error: JobError | null,
    extra: { fineTunedModel?: string; version?: number } = {},
  ): void {
    if (!this.opts.jobs.transition(jobId, from, status, { finishedAt: unixNow(), error, ...extra })) return;
    if (status === 'succeeded')
      this.log(jobId, 'info', 'The job has successfully completed', { fine_tuned_model: extra.fineTunedModel, version: extra.version });
    else if (status === 'cancelled') this.log(jobId, 'info', 'Job cancelled; no model version was written');
    else this.log(jobId, 'error', `Job failed: ${error?.message ?? 'unknown error'}`, error ? { ...error } : null);
    this.statusChanged(jobId);
  }

  private statusChanged(jobId: string): void {
    const job = this.opts.jobs.get(jobId);
    if (job) this.opts.onStatus?.(job);
  }

  /** Persists an event, then announces it to stream subscribers. */
  log(
    jobId: string,
    level: 'info' | 'warn' | 'error',
    message: string,
    data: Record<string, unknown> | null = null,
    type: 'message' | 'metrics' = 'message',
  ): void {
    const event = this.opts.jobs.addEvent(jobId, level, message, data ?? null, type);
    this.events.emit(jobId, event);
  }

  /** @internal used by ProgressReporter */
  progress(jobId: string, progress: Record<string, unknown>): void {
    this.opts.jobs.update(jobId, { progress });
  }

  /** @internal */
  step(jobId: string, step: Extract<TrainEvent, { type: 'step' }>): void {
    const job = this.opts.jobs.get(jobId);
    if (job) this.opts.onStep?.(job, step);
  }

  /** @internal */
  checkpoint(jobId: string, event: Extract<TrainEvent, { type: 'eval' }>): void {
    this.opts.jobs.addCheckpoint(jobId, event.step, event.epoch, { ...event.metrics }, event.best);
  }
}

function cancelled(): Error & { code: string } {
  return Object.assign(new Error('training was cancelled'), { code: CANCELLED_CODE });
}

/** Turns trainer events into job events, progress and checkpoints. */
class ProgressReporter {
  private every = 1;

  constructor(
    private readonly runner: JobRunner,
    private readonly jobId: string,
  ) {}

  on(event: TrainEvent): void {
    switch (event.type) {
      case 'start':
        this.every = Math.max(1, Math.ceil(event.totalSteps / STEP_EVENTS));
        this.runner.log(
          this.jobId,
          'info',
          `Training ${event.trainExamples} examples for ${event.epochs} epochs (${event.totalSteps} steps); validating on ${event.validationExamples} (${event.validation})`,
          {
            total_steps: event.totalSteps,
            epochs: event.epochs,
            train_examples: event.trainExamples,
            validation_examples: event.validationExamples,
            trainable_parameters: event.trainable,
          },
        );
        this.runner.progress(this.jobId, { step: 0, total_steps: event.totalSteps, epoch: 0 });
        return;
      case 'step': {
        const perStep = event.elapsedSeconds / event.step;
        const eta = Math.max(0, Math.round(perStep * (event.totalSteps - event.step)));
        const data = {
          step: event.step,
          total_steps: event.totalSteps,
          epoch: event.epoch,
          train_loss: event.loss,
          learning_rate: event.learningRate,
          examples_per_second: event.examplesPerSecond,
          eta_seconds: eta,
        };
        this.runner.progress(this.jobId, data);
        this.runner.step(this.jobId, event);
        if (event.step % this.every === 0 || event.step === event.totalSteps) {
          this.runner.log(
            this.jobId,
            'info',
            `Step ${event.step}/${event.totalSteps}: training loss=${event.loss.toFixed(4)}`,
            data,
            'metrics',
          );
        }
        return;
      }
      case 'eval': {
        this.runner.checkpoint(this.jobId, event);
        const m = event.metrics;
        this.runner.log(
          this.jobId,
          'info',
          `Epoch ${event.epoch} evaluation: ${m.scoreName}=${Number(m.score).toFixed(4)}, validation loss=${Number(m.loss).toFixed(4)}${event.best ? ' (best so far)' : ''}`,
          { step: event.step, epoch: event.epoch, ...m, best: event.best },
          'metrics',
        );
        return;
      }
      case 'done':
        this.runner.log(this.jobId, 'info', `Training finished in ${event.wallSeconds.toFixed(1)} s; keeping epoch ${event.selectedEpoch}`);
    }
  }
}
