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
import type { TrainEvent } from '../trainer/train';
import { FINISHED_STATUSES, JobError, JobStatus, StoredEvent, StoredJob, unixNow } from '../store';
import { FleetDriver, type FleetRuns } from './fleet-driver';
import { ProgressReporter } from './progress-reporter';
import { JOB_ERROR, type JobRunnerOptions } from './runner-contracts';
import { CANCELLED_CODE, TrainingRequest } from './training-executor';

export type { FineTuningObserver, JobLogger, JobRunnerOptions, Publisher, PublishResult } from './runner-contracts';
export { JOB_ERROR } from './runner-contracts';

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
  /** Fleet mode: claims, heartbeats, reaping and cancels through the fleet's queue. */
  private readonly fleet: FleetDriver | undefined;

  constructor(private readonly opts: JobRunnerOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.events.setMaxListeners(0);
    this.fleet = opts.fleet && new FleetDriver(opts.fleet, this.fleetRuns());
  }

  /** What the fleet driver may do with this runner's runs. */
  private fleetRuns(): FleetRuns {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read live by the driver's getter
    const runner = this;
    return {
      get stopped() {
        return runner.stopped;
      },
      hasFreeSlot: () => this.running.size < this.concurrency,
      runningIds: () => [...this.running.keys()],
      abort: (jobId, reason) => this.running.get(jobId)?.controller.abort(reason),
      runClaimed: (jobId) => void this.start(jobId, 'claimed'),
      log: (jobId, level, message) => this.log(jobId, level, message),
      failedElsewhere: async (jobId) => {
        const job = await this.opts.jobs.get(jobId);
        if (job?.error) await this.logFinal(jobId, 'failed', job.error);
      },
    };
  }

  /**
   * At boot: jobs left `running` by a crash or kill are failed with the reason and their work
   * directories removed; jobs that never started are queued again, in their original order, once
   * `ready` resolves (the models they start from are loaded by then).
   */
  async recover(ready: Promise<unknown> = Promise.resolve()): Promise<void> {
    if (this.opts.fleet) {
      // Running jobs belong to workers, alive or not: the heartbeat rule decides, not a restart here.
      await ready;
      if (!this.stopped) await this.fleet?.start();
      return;
    }
    for (const job of await this.opts.jobs.withStatus('running')) {
      this.removeWork(job.id);
      await this.finish(job.id, ['running'], 'failed', {
        code: JOB_ERROR.interrupted,
        message: 'the server stopped while this job was running; its partial output was removed. Create the job again to retry.',
        param: null,
      });
    }
    await ready;
    if (this.stopped) return;
    for (const job of await this.opts.jobs.withStatus('validating_files', 'queued')) await this.enqueue(job.id);
    await this.pump();
  }

  /**
   * Takes a freshly created job (status validating_files): checks its files are still there, then
   * queues it. Resolves once it is queued and, when a slot was free, its run has started.
   */
  async submit(jobId: string): Promise<void> {
    await this.enqueue(jobId);
    if (this.fleet) void this.fleet.claim();
    else await this.pump();
  }

  private async enqueue(jobId: string): Promise<void> {
    const job = await this.opts.jobs.get(jobId);
    if (!job) return;
    if (job.status === 'validating_files') {
      const missing = await this.missingFile(job);
      if (missing) {
        await this.finish(jobId, ['validating_files'], 'failed', missing);
        return;
      }
      if (!(await this.opts.jobs.transition(jobId, ['validating_files'], 'queued'))) return;
      await this.log(jobId, 'info', 'Files validated; job queued');
      await this.statusChanged(jobId);
    }
    // In a fleet the job now waits in the shared queue, announced to every worker.
    if (!this.opts.fleet && !this.queue.includes(jobId)) this.queue.push(jobId);
  }

  private async missingFile(job: StoredJob): Promise<JobError | undefined> {
    for (const [param, id] of [
      ['training_file', job.trainingFile],
      ['validation_file', job.validationFile],
    ] as const) {
      if (id === null) continue;
      const file = await this.opts.files.get(id);
      if (!file || !existsSync(file.path)) {
        return { code: JOB_ERROR.fileMissing, message: `${param} ${id} no longer exists (it was deleted)`, param };
      }
    }
    return undefined;
  }

  /** Cancels a job that has not finished. Queued jobs stop at once; a running one within a few seconds. */
  async cancel(jobId: string): Promise<StoredJob | undefined> {
    const job = await this.opts.jobs.get(jobId);
    if (!job || FINISHED_STATUSES.includes(job.status)) return job;
    const running = this.running.get(jobId);
    if (running) {
      await this.log(jobId, 'info', 'Cancellation requested; stopping the training run');
      running.controller.abort();
      return this.opts.jobs.get(jobId);
    }
    if (this.opts.fleet && job.status === 'running') {
      // Running on another worker of the fleet: it hears the request and stops within seconds.
      await this.log(jobId, 'info', 'Cancellation requested; stopping the training run');
      await this.fleet?.requestCancel(jobId);
      return this.opts.jobs.get(jobId);
    }
    const at = this.queue.indexOf(jobId);
    if (at >= 0) this.queue.splice(at, 1);
    await this.finish(jobId, ['validating_files', 'queued'], 'cancelled', null);
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
    this.fleet?.stop();
    for (const [, r] of this.running) r.controller.abort('shutdown');
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.fleet?.unregister();
  }

  /** Listens to a job's new events (server-sent events); returns the unsubscribe function. */
  subscribe(jobId: string, listener: (event: StoredEvent) => void): () => void {
    this.events.on(jobId, listener);
    return () => this.events.off(jobId, listener);
  }

  /**
   * Calls `listener` whenever something may have happened to the job (an event stored, a status
   * changed), here or, in a fleet, in any process; the caller reads the store for what. Returns
   * the unsubscribe function.
   */
  watch(jobId: string, listener: () => void): () => void {
    const local = (): void => listener();
    this.events.on(jobId, local);
    const remote = this.opts.fleet?.onJobChange(jobId, listener);
    return () => {
      this.events.off(jobId, local);
      remote?.();
    };
  }

  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** Starts queued jobs while slots are free; resolves once each started run has reached its trainer (or ended before). */
  private pump(): Promise<void> {
    const starts: Promise<void>[] = [];
    while (!this.stopped && this.running.size < this.concurrency && this.queue.length > 0) {
      starts.push(this.start(this.queue.shift() as string, 'queued'));
    }
    return Promise.all(starts).then(() => undefined);
  }

  /** Runs a job in a free slot; resolves once the run has reached its trainer (or ended before). */
  private start(jobId: string, from: 'queued' | 'claimed'): Promise<void> {
    const controller = new AbortController();
    let started!: () => void;
    const reached = new Promise<void>((resolve) => (started = resolve));
    const done = this.run(jobId, controller, started, from).catch(() => undefined);
    this.running.set(jobId, { controller, done });
    void done.finally(() => {
      started();
      this.running.delete(jobId);
      if (this.fleet) void this.fleet.claim();
      else void this.pump();
    });
    return reached;
  }

  /**
   * One run: from this process's queue (`queued`: it moves the job to `running` itself), or
   * claimed from the fleet's queue (`claimed`: the claim already made it `running` and this
   * worker's).
   */
  private async run(jobId: string, controller: AbortController, started: () => void, from: 'queued' | 'claimed'): Promise<void> {
    const status = from === 'queued' ? 'queued' : 'running';
    const job = await this.opts.jobs.get(jobId);
    if (!job || job.status !== status) return;
    const missing = await this.missingFile(job);
    if (missing) {
      await this.finish(jobId, [status], 'failed', missing);
      return;
    }
    const work = join(this.opts.workDir, jobId);
    let request: TrainingRequest;
    try {
      request = await this.requestFor(job, join(work, 'model'));
    } catch (e) {
      await this.finish(jobId, [status], 'failed', { code: JOB_ERROR.training, message: (e as Error).message, param: null });
      return;
    }
    if (from === 'queued' && !(await this.opts.jobs.transition(jobId, ['queued'], 'running', { startedAt: unixNow() }))) return;
    // The data names the version trained from (the base model's active one).
    const version = this.opts.modelVersion?.(job.model);
    await this.log(
      jobId,
      'info',
      `Fine-tuning started (${job.method} on ${job.model})`,
      version === undefined ? null : { model: job.model, version },
    );
    await this.statusChanged(jobId);

    const progress = new ProgressReporter(this, jobId);
    try {
      // Cancelled or shut down while it was starting: the trainer is never asked.
      if (controller.signal.aborted) throw cancelled();
      const training = this.opts.execute(request, { signal: controller.signal, onEvent: (e) => progress.on(e) });
      // What the trainer reported as it started is stored before the run counts as started (its
      // failure, or the trainer's, is handled below).
      training.catch(() => undefined);
      await progress.settled().catch(() => undefined);
      started();
      const outcome = await training;
      // Every progress report of the run is stored before what follows it.
      await progress.settled();
      if (controller.signal.aborted) throw cancelled();
      // A fleet may have declared this worker lost meanwhile (the job already failed): write nothing.
      const current = (await this.opts.jobs.get(jobId)) as StoredJob;
      if (current.status !== 'running') throw cancelled();
      const result = await this.opts.publish(current, outcome, (level, message, data) => this.log(jobId, level, message, data));
      await this.opts.jobs.update(jobId, {
        result: { metrics: outcome.metrics.selected, activated: result.activated, activation: result.reason },
      });
      await this.finish(jobId, ['running'], 'succeeded', null, { fineTunedModel: result.fineTunedModel, version: result.version });
    } catch (e) {
      await progress.settled().catch(() => undefined);
      const code = (e as { code?: unknown }).code;
      if (controller.signal.aborted && controller.signal.reason === 'shutdown') {
        await this.finish(jobId, ['running'], 'failed', {
          code: JOB_ERROR.shutdown,
          message: 'the server shut down while this job was running; no version was written',
          param: null,
        });
      } else if (controller.signal.aborted || code === CANCELLED_CODE) {
        await this.finish(jobId, ['running'], 'cancelled', null);
      } else {
        const publishing = (e as { publishing?: boolean }).publishing === true;
        await this.finish(jobId, ['running'], 'failed', {
          code: publishing ? JOB_ERROR.publish : JOB_ERROR.training,
          message: e instanceof Error ? e.message : String(e),
          param: null,
        });
      }
    } finally {
      this.removeWork(jobId);
    }
  }

  private async requestFor(job: StoredJob, outDir: string): Promise<TrainingRequest> {
    const file = async (id: string): Promise<string> => {
      const f = await this.opts.files.get(id);
      if (!f) throw new Error(`file ${id} no longer exists`);
      return f.path;
    };
    const options = (job.hyperparameters.options ?? {}) as Partial<TrainingRequest>;
    // A distilling job learns from its teacher model's active version at the time it runs.
    const transfer = job.hyperparameters.transfer_file;
    const teacher =
      job.method === 'distill'
        ? {
            teacherDir: this.opts.modelDir(String(job.hyperparameters.teacher)),
            ...(typeof transfer === 'string' ? { transferFile: await file(transfer) } : {}),
          }
        : undefined;
    return {
      ...options,
      ...(teacher ? { distill: { ...options.distill, ...teacher } } : {}),
      modelDir: this.opts.modelDir(job.model),
      task: job.task as TrainingRequest['task'],
      method: (job.method === 'distill' ? 'full' : job.method) as TrainingRequest['method'],
      trainFile: await file(job.trainingFile),
      validationFile: job.validationFile === null ? undefined : await file(job.validationFile),
      seed: job.seed,
      outDir,
      device: this.opts.device,
    };
  }

  private removeWork(jobId: string): void {
    rmSync(join(this.opts.workDir, jobId), { recursive: true, force: true });
  }

  private async finish(
    jobId: string,
    from: readonly JobStatus[],
    status: JobStatus,
    error: JobError | null,
    extra: { fineTunedModel?: string; version?: number } = {},
  ): Promise<void> {
    if (!(await this.opts.jobs.transition(jobId, from, status, { finishedAt: unixNow(), error, ...extra }))) return;
    await this.logFinal(jobId, status, error, extra);
  }

  /** The job's last event, which says how it ended (its `data.status` marks it final for streams). */
  private async logFinal(
    jobId: string,
    status: JobStatus,
    error: JobError | null,
    extra: { fineTunedModel?: string; version?: number } = {},
  ): Promise<void> {
    if (status === 'succeeded')
      await this.log(jobId, 'info', 'The job has successfully completed', {
        fine_tuned_model: extra.fineTunedModel,
        version: extra.version,
        status,
      });
    else if (status === 'cancelled') await this.log(jobId, 'info', 'Job cancelled; no model version was written', { status });
    else await this.log(jobId, 'error', `Job failed: ${error?.message ?? 'unknown error'}`, { ...error, status });
    await this.statusChanged(jobId);
  }

  private async statusChanged(jobId: string): Promise<void> {
    const job = await this.opts.jobs.get(jobId);
    if (job) await this.opts.onStatus?.(job);
  }

  /** Persists an event, then announces it to stream subscribers. */
  async log(
    jobId: string,
    level: 'info' | 'warn' | 'error',
    message: string,
    data: Record<string, unknown> | null = null,
    type: 'message' | 'metrics' = 'message',
  ): Promise<void> {
    const event = await this.opts.jobs.addEvent(jobId, level, message, data ?? null, type);
    this.events.emit(jobId, event);
  }

  /** @internal used by ProgressReporter */
  async progress(jobId: string, progress: Record<string, unknown>): Promise<void> {
    await this.opts.jobs.update(jobId, { progress });
  }

  /** @internal */
  async step(jobId: string, step: Extract<TrainEvent, { type: 'step' }>): Promise<void> {
    const job = await this.opts.jobs.get(jobId);
    if (job) this.opts.onStep?.(job, step);
  }

  /** @internal */
  async checkpoint(jobId: string, event: Extract<TrainEvent, { type: 'eval' }>): Promise<void> {
    await this.opts.jobs.addCheckpoint(jobId, event.step, event.epoch, { ...event.metrics }, event.best);
  }
}

function cancelled(): Error & { code: string } {
  return Object.assign(new Error('training was cancelled'), { code: CANCELLED_CODE });
}
