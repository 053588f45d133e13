/**
 * What the services need from persistence, whichever database holds it: the embedded SQLite
 * database (one process) or PostgreSQL (fleet mode, `BERTH_DATABASE_URL`). Every method returns a
 * promise so that both implementations fit; the SQLite one answers at once.
 */
import type { FileTask, ListPage, StoredFile } from './file-repository';
import type { EventLevel, EventType, JobStatus, JobUpdate, NewJob, StoredCheckpoint, StoredEvent, StoredJob } from './job-repository';

export type {
  FileTask,
  ListPage,
  StoredFile,
  EventLevel,
  EventType,
  JobStatus,
  JobUpdate,
  NewJob,
  StoredCheckpoint,
  StoredEvent,
  StoredJob,
};

/** Uploaded datasets' records (their content lives on the data volume). */
export interface FileStore {
  insert(file: StoredFile): Promise<void>;
  get(id: string): Promise<StoredFile | undefined>;
  /** Newest first; `after` is the id of the last file already seen. */
  list(options: { limit: number; after?: string; purpose?: string }): Promise<ListPage<StoredFile>>;
  delete(id: string): Promise<boolean>;
}

/** Fine-tuning jobs, their events and their checkpoints. */
export interface JobStore {
  create(job: NewJob, status?: JobStatus): Promise<StoredJob>;
  get(id: string): Promise<StoredJob | undefined>;
  /** Newest first; `after` is the id of the last job already seen. */
  list(options: { limit: number; after?: string }): Promise<ListPage<StoredJob>>;
  /** Oldest first. */
  withStatus(...statuses: JobStatus[]): Promise<StoredJob[]>;
  countByStatus(): Promise<Record<JobStatus, number>>;
  /** Compare-and-set: moves the job to `status` only from one of `from`; whether it moved. */
  transition(id: string, from: readonly JobStatus[], status: JobStatus, update?: JobUpdate): Promise<boolean>;
  update(id: string, update: JobUpdate): Promise<void>;
  addEvent(
    jobId: string,
    level: EventLevel,
    message: string,
    data?: Record<string, unknown> | null,
    type?: EventType,
  ): Promise<StoredEvent>;
  /** Newest first; `after` is the id of the last event already seen. */
  listEvents(jobId: string, options: { limit: number; after?: string }): Promise<ListPage<StoredEvent>>;
  /** Oldest first, strictly after `seq` (for streams that resume). */
  eventsSince(jobId: string, seq: number): Promise<StoredEvent[]>;
  /** Only one checkpoint of a job is `selected` (the best so far). */
  addCheckpoint(jobId: string, step: number, epoch: number, metrics: Record<string, unknown>, selected: boolean): Promise<StoredCheckpoint>;
  listCheckpoints(jobId: string, options: { limit: number; after?: string }): Promise<ListPage<StoredCheckpoint>>;
}

/**
 * The files and jobs of one process, whichever database holds them: what the services are given.
 * `exists()` says whether anything can be stored yet (an embedded database that was never created
 * holds no job to recover); `close()` releases the database once nothing writes to it any more.
 */
export interface Persistence {
  readonly files: FileStore;
  readonly jobs: JobStore;
  exists(): boolean;
  close(): Promise<void>;
}
