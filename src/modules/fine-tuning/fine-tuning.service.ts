import { Inject, Injectable, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DomainError, InvalidInputError, WrongTaskError } from '../../errors/domain-error';
import type { EventStreamSource } from '../../http/sse';
import { MODEL_NAME } from '../../http/validation';
import { FineTuningObserver, JobRunner } from '../../jobs/job-runner';
import { repositoryPublisher } from '../../jobs/publish';
import { postgresFleetQueue } from '../../jobs/fleet-queue';
import { TrainingExecutor } from '../../jobs/training-executor';
import { workerTrainingExecutor } from '../../jobs/worker-executor';
import type { ModelInfo } from '../../serving/contracts';
import { FINISHED_STATUSES, type Persistence, seqOfEventId, StoredFile, StoredJob } from '../../store';
import type { PostgresStore } from '../../store/postgres';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { FLEET_STORE } from '../core/fleet-store';
import { labelsOf } from '../files/dataset-inspection';
import { PERSISTENCE } from '../files/persistence.provider';
import type { CreateJobDto, JobCheckpointListDto, JobEventListDto, JobListDto, JobObjectDto } from './fine-tuning.dto';
import { checkpointObject, eventObject, isFinalEvent, jobObject } from './job-objects';
import { resolveMethod } from './job-request';

export const FINE_TUNING_OPTIONS = Symbol('FINE_TUNING_OPTIONS');

export interface FineTuningModuleOptions {
  /** How a job trains (default: the trainer in a worker thread, 1 ONNX Runtime thread). */
  readonly executor?: TrainingExecutor;
  /** Jobs trained at once (default 1). */
  readonly concurrency?: number;
  /** Metrics: job counts by status, training steps. */
  readonly observer?: FineTuningObserver;
}

export class JobNotFoundError extends DomainError {
  constructor(id: string) {
    super('NOT_FOUND', `no fine-tuning job with id "${id}"`, { job: id });
  }
}

/** Served tasks of pre-trained encoders: a text file continues their pre-training, a labelled file puts a task head on them. */
const ENCODER_TASKS: readonly string[] = ['fill-mask'];

/** The trainer task a model's head and a file imply. */
function taskFor(model: ModelInfo, file: StoredFile): string {
  if (ENCODER_TASKS.includes(model.task)) {
    if (file.task === 'text') return 'mlm';
    return file.task;
  }
  switch (model.task) {
    case 'text-classification':
      return model.nli && file.stats.pair === true ? 'nli' : 'classification';
    case 'token-classification':
      return 'ner';
    case 'question-answering':
      return 'qa';
    default:
      throw new WrongTaskError(model.name, model.task, 'a classification, NER or QA model');
  }
}

const FILE_TASK_OF: Record<string, string> = { classification: 'classification', nli: 'classification', ner: 'ner', qa: 'qa', mlm: 'text' };

/** How long a stream waits, after the job's status is final, for the event that says so. */
const FINAL_EVENT_GRACE_MS = 3000;

/**
 * Fine-tuning jobs: checks a request against the model and the files before anything is queued,
 * records the job, and hands it to the runner (which trains off the event loop).
 */
@Injectable()
export class FineTuningService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runner: JobRunner;

  constructor(
    @Inject(PERSISTENCE) private readonly persistence: Persistence,
    @Inject(CORE_HOST) private readonly host: CoreHost,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(FINE_TUNING_OPTIONS) private readonly options: FineTuningModuleOptions,
    @Inject(FLEET_STORE) fleetStore: PostgresStore | undefined,
  ) {
    const fleet = fleetStore
      ? postgresFleetQueue(fleetStore, {
          workerId: config.fleet.replicaId,
          trains: config.fleet.role !== 'api',
          heartbeatTimeoutMs: config.fleet.heartbeatTimeoutMs,
          device: config.device,
        })
      : undefined;
    this.runner = new JobRunner({
      fleet,
      device: config.device === 'cpu' ? 'cpu' : 'cuda',
      jobs: persistence.jobs,
      files: persistence.files,
      workDir: join(config.dataDir, 'jobs'),
      execute: options.executor ?? workerTrainingExecutor(),
      publish: repositoryPublisher(
        () => this.host.get(),
        async (id) => (await persistence.files.get(id))?.path,
      ),
      modelDir: (model) => this.activeDir(model),
      modelVersion: (model) => this.host.get().get(model).active_version,
      concurrency: options.concurrency,
      onStatus: () => this.countJobs(),
      onStep: (job, step) => options.observer?.trainingStep(job, step),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // No database yet: no job was ever created here, so none can have been interrupted.
    if (!this.persistence.exists()) return;
    // Queued jobs wait for the models: run before they load, they would fail for want of one.
    void this.runner.recover(this.host.whenStarted()).then(() => this.countJobs());
    await this.countJobs();
  }

  /** Reports the jobs per status (metrics), when anything observes them. */
  private async countJobs(): Promise<void> {
    const observer = this.options.observer;
    if (observer) observer.jobCounts(await this.persistence.jobs.countByStatus());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.shutdown();
  }

  private activeDir(model: string): string {
    const core = this.host.get();
    return core.versionDir(model, core.get(model).active_version);
  }

  private async file(id: string, param: string): Promise<StoredFile> {
    const file = await this.persistence.files.get(id);
    if (!file) throw new InvalidInputError(`${param}: no file with id "${id}"`, { param });
    return file;
  }

  async create(body: CreateJobDto): Promise<JobObjectDto> {
    if (
      body.integrations !== undefined &&
      body.integrations !== null &&
      (!Array.isArray(body.integrations) || body.integrations.length > 0)
    ) {
      throw new InvalidInputError('integrations: not supported; send none', { param: 'integrations' });
    }
    if (body.metadata !== undefined) {
      const entries = Object.entries(body.metadata);
      if (entries.length > 16 || entries.some(([k, v]) => typeof v !== 'string' || k.length > 64 || v.length > 512)) {
        throw new InvalidInputError('metadata: at most 16 string pairs (keys ≤ 64, values ≤ 512 characters)', { param: 'metadata' });
      }
    }
    if (!MODEL_NAME.test(body.model)) throw new InvalidInputError(`model: "${body.model}" is not a valid model name`, { param: 'model' });
    const model = this.host.get().get(body.model);
    if (!model.fine_tunable) {
      throw new InvalidInputError(
        `model "${body.model}" has no weights (model.safetensors or pytorch_model.bin): it can be served but not fine-tuned`,
        {
          param: 'model',
        },
      );
    }
    const training = await this.file(body.training_file, 'training_file');
    const validation = body.validation_file ? await this.file(body.validation_file, 'validation_file') : undefined;
    const task = taskFor(model, training);
    for (const [param, f] of [
      ['training_file', training],
      ['validation_file', validation],
    ] as const) {
      if (f && f.task !== FILE_TASK_OF[task]) {
        throw new InvalidInputError(
          `${param}: ${f.filename} holds ${f.task} data; model "${model.name}" (${model.task}) needs ${FILE_TASK_OF[task]} data`,
          { param },
        );
      }
    }
    // A labelled job on a pre-trained encoder gets a new task head (labels from the file) and makes a new model.
    const newHead = ENCODER_TASKS.includes(model.task) && task !== 'mlm';
    if (newHead && !body.suffix) {
      throw new InvalidInputError(
        `suffix: a ${task} job on the pre-trained encoder "${model.name}" makes a new model <model>-ft-<suffix>; give a suffix`,
        { param: 'suffix' },
      );
    }
    if (task === 'mlm' && !model.fine_tunable) throw new InvalidInputError(`model "${model.name}" cannot be trained`, { param: 'model' });
    if (!newHead && (task === 'classification' || task === 'nli' || task === 'ner')) {
      const trainLabels = labelsOf(training.stats);
      const unknown = trainLabels.filter((l) => !model.labels.includes(l));
      if (unknown.length > 0) {
        throw new InvalidInputError(
          `training_file: labels ${unknown.map((l) => `"${l}"`).join(', ')} are not labels of model "${model.name}" (${model.labels.join(', ')})`,
          {
            param: 'training_file',
            labels: unknown,
          },
        );
      }
      if (validation) {
        const extra = labelsOf(validation.stats).filter((l) => !trainLabels.includes(l));
        if (extra.length > 0) {
          throw new InvalidInputError(
            `validation_file: labels ${extra.map((l) => `"${l}"`).join(', ')} do not occur in the training file`,
            {
              param: 'validation_file',
              labels: extra,
            },
          );
        }
      }
    }
    const resolved = resolveMethod(body);
    if (resolved.teacher !== undefined) this.checkTeacher(model, resolved.teacher, task);
    if (resolved.transferFile !== undefined) {
      const param = 'method.distill.transfer_file';
      if (task !== 'classification' && task !== 'ner')
        throw new InvalidInputError(`${param}: a transfer set of plain text teaches classification or NER students, not ${task}`, {
          param,
        });
      const transfer = await this.file(resolved.transferFile, param);
      if (transfer.task !== 'text')
        throw new InvalidInputError(
          `${param}: ${transfer.filename} holds ${transfer.task} data; a transfer set is plain text, one text per line`,
          {
            param,
          },
        );
    }
    if (task === 'mlm' && resolved.method !== 'full') {
      throw new InvalidInputError(`method.type: continued pre-training on a text file trains every weight (full), not ${resolved.method}`, {
        param: 'method.type',
      });
    }
    const options = newHead
      ? { ...resolved.options, newHead: { labels: task === 'qa' ? [] : labelsOf(training.stats).sort() } }
      : resolved.options;
    const targetModel = body.suffix ? `${body.model}-ft-${body.suffix}` : body.model;
    if (!MODEL_NAME.test(targetModel))
      throw new InvalidInputError(`suffix: "${targetModel}" would be longer than a model name may be (64)`, { param: 'suffix' });

    const job = await this.persistence.jobs.create({
      model: body.model,
      task,
      trainingFile: training.id,
      validationFile: validation?.id ?? null,
      method: resolved.method,
      hyperparameters: { ...resolved.hyperparameters, options },
      seed: body.seed ?? 42,
      suffix: body.suffix ?? null,
      metadata: body.metadata ?? null,
      autoActivate: body.auto_activate ?? false,
      targetModel,
    });
    await this.runner.log(
      job.id,
      'info',
      `Validating training file: ${training.id}${validation ? ` and validation file: ${validation.id}` : ''}`,
    );
    await this.runner.log(job.id, 'info', `Created fine-tuning job: ${job.id}`);
    await this.runner.submit(job.id);
    return jobObject(await this.get(job.id));
  }

  /** A teacher must be a served, fine-tunable model of the student's task with its labels (the tokenizer is checked when the job runs). */
  private checkTeacher(student: ModelInfo, name: string, task: string): void {
    const param = 'method.distill.teacher';
    if (!MODEL_NAME.test(name)) throw new InvalidInputError(`${param}: "${name}" is not a valid model name`, { param });
    const teacher = this.host.get().get(name);
    if (!teacher.fine_tunable)
      throw new InvalidInputError(`${param}: model "${name}" has no weights (model.safetensors or pytorch_model.bin)`, { param });
    if (task === 'mlm' || teacher.task !== student.task)
      throw new InvalidInputError(`${param}: "${name}" is a ${teacher.task} model; the student "${student.name}" is ${student.task}`, {
        param,
      });
    if (teacher.labels.join('\u0000') !== student.labels.join('\u0000'))
      throw new InvalidInputError(
        `${param}: the labels of "${name}" (${teacher.labels.join(', ')}) differ from the student's (${student.labels.join(', ')})`,
        {
          param,
        },
      );
  }

  async get(id: string): Promise<StoredJob> {
    const job = await this.persistence.jobs.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  async list(limit: number, after?: string): Promise<JobListDto> {
    const page = await this.persistence.jobs.list({ limit, after });
    return { object: 'list', data: page.data.map(jobObject), has_more: page.hasMore };
  }

  async cancel(id: string): Promise<JobObjectDto> {
    const job = await this.get(id);
    if (FINISHED_STATUSES.includes(job.status)) {
      throw new DomainError('CONFLICT', `job ${id} has already ${job.status === 'cancelled' ? 'been cancelled' : job.status}`, {
        status: job.status,
      });
    }
    await this.runner.cancel(id);
    return jobObject(await this.get(id));
  }

  async events(id: string, limit: number, after?: string): Promise<JobEventListDto> {
    await this.get(id);
    const page = await this.persistence.jobs.listEvents(id, { limit, after });
    return { object: 'list', data: page.data.map(eventObject), has_more: page.hasMore };
  }

  /**
   * A job's events as a live stream: those after `after` oldest first, then new ones as they
   * happen; it ends with the job. An unknown job is refused here, before anything is streamed.
   */
  async eventStream(id: string, after?: string): Promise<EventStreamSource> {
    await this.get(id);
    return (emit, end) => {
      let last = (after && seqOfEventId(after)) || 0;
      let sawFinal = false;
      let finishedSince: number | undefined;
      const send = async (): Promise<void> => {
        for (const e of await this.persistence.jobs.eventsSince(id, last)) {
          last = e.seq;
          sawFinal ||= isFinalEvent(e);
          emit({ id: e.id, event: e.type, data: eventObject(e) });
        }
        // The stream ends with the job: once its status is final and its last event (which says how
        // it ended, and may be stored a moment after the status, by another process) is sent. A job
        // finished without one (by an older release) ends the stream after FINAL_EVENT_GRACE_MS.
        if (!FINISHED_STATUSES.includes((await this.get(id)).status)) return;
        finishedSince ??= Date.now();
        if (sawFinal || Date.now() - finishedSince >= FINAL_EVENT_GRACE_MS) end();
        else setTimeout(next, 100).unref();
      };
      // One read at a time, each after the one before, so no event is sent twice or out of order;
      // a stream whose reads fail ends.
      let sending = Promise.resolve();
      const next = (): void => {
        sending = sending.then(send).catch(end);
      };
      const unsubscribe = this.runner.watch(id, next);
      next();
      return unsubscribe;
    };
  }

  async checkpoints(id: string, limit: number, after?: string): Promise<JobCheckpointListDto> {
    const job = await this.get(id);
    const page = await this.persistence.jobs.listCheckpoints(id, { limit, after });
    const data = page.data.map((c) => checkpointObject(c, job));
    return { object: 'list', data, has_more: page.hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
}
