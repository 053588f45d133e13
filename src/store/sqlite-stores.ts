/**
 * The embedded database behind the async contracts: thin wrappers over the synchronous SQLite
 * repositories. Each method is `async`, so a repository that throws (a closed store, a full disk)
 * rejects the promise instead of throwing at the call site, as the PostgreSQL stores do.
 *
 * A source is anything that hands out the repository when asked (`BerthStore` does, opening the
 * database on first use), so a lazy store stays lazy behind its wrapper.
 */
import type { FileStore, JobStore, Persistence } from './contracts';
import type { FileRepository, ListPage, StoredFile } from './file-repository';
import type {
  EventLevel,
  EventType,
  JobRepository,
  JobStatus,
  JobUpdate,
  NewJob,
  StoredCheckpoint,
  StoredEvent,
  StoredJob,
} from './job-repository';

export class SqliteFileStore implements FileStore {
  constructor(private readonly source: { readonly files: FileRepository }) {}

  async insert(file: StoredFile): Promise<void> {
    this.source.files.insert(file);
  }

  async get(id: string): Promise<StoredFile | undefined> {
    return this.source.files.get(id);
  }

  async list(options: { limit: number; after?: string; purpose?: string }): Promise<ListPage<StoredFile>> {
    return this.source.files.list(options);
  }

  async delete(id: string): Promise<boolean> {
    return this.source.files.delete(id);
  }
}

export class SqliteJobStore implements JobStore {
  constructor(private readonly source: { readonly jobs: JobRepository }) {}

  async create(job: NewJob, status?: JobStatus): Promise<StoredJob> {
    return this.source.jobs.create(job, status);
  }

  async get(id: string): Promise<StoredJob | undefined> {
    return this.source.jobs.get(id);
  }

  async list(options: { limit: number; after?: string }): Promise<ListPage<StoredJob>> {
    return this.source.jobs.list(options);
  }

  async withStatus(...statuses: JobStatus[]): Promise<StoredJob[]> {
    return this.source.jobs.withStatus(...statuses);
  }

  async countByStatus(): Promise<Record<JobStatus, number>> {
    return this.source.jobs.countByStatus();
  }

  async transition(id: string, from: readonly JobStatus[], status: JobStatus, update?: JobUpdate): Promise<boolean> {
    return this.source.jobs.transition(id, from, status, update);
  }

  async update(id: string, update: JobUpdate): Promise<void> {
    this.source.jobs.update(id, update);
  }

  async addEvent(
    jobId: string,
    level: EventLevel,
    message: string,
    data?: Record<string, unknown> | null,
    type?: EventType,
  ): Promise<StoredEvent> {
    return this.source.jobs.addEvent(jobId, level, message, data, type);
  }

  async listEvents(jobId: string, options: { limit: number; after?: string }): Promise<ListPage<StoredEvent>> {
    return this.source.jobs.listEvents(jobId, options);
  }

  async eventsSince(jobId: string, seq: number): Promise<StoredEvent[]> {
    return this.source.jobs.eventsSince(jobId, seq);
  }

  async addCheckpoint(
    jobId: string,
    step: number,
    epoch: number,
    metrics: Record<string, unknown>,
    selected: boolean,
  ): Promise<StoredCheckpoint> {
    return this.source.jobs.addCheckpoint(jobId, step, epoch, metrics, selected);
  }

  async listCheckpoints(jobId: string, options: { limit: number; after?: string }): Promise<ListPage<StoredCheckpoint>> {
    return this.source.jobs.listCheckpoints(jobId, options);
  }
}

/**
 * The embedded database as a process's persistence. `source` is a `BerthStore`: a lazy one opens
 * the database on the first read or write, not here.
 */
export function sqlitePersistence(source: {
  readonly files: FileRepository;
  readonly jobs: JobRepository;
  exists(): boolean;
  close(): void;
}): Persistence {
  return {
    files: new SqliteFileStore(source),
    jobs: new SqliteJobStore(source),
    exists: () => source.exists(),
    close: async () => source.close(),
  };
}
