/** Persistence: the embedded SQLite database and the repositories over it. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, Db, StoreError, openDatabase } from './database';
import { FileRepository } from './file-repository';
import { JobRepository } from './job-repository';

export { DATABASE_FILE, StoreError, migrate, openDatabase } from './database';
export type { Db } from './database';
export { MIGRATIONS } from './migrations';
export type { Migration } from './migrations';
export { FileRepository } from './file-repository';
export type { FileTask, ListPage, StoredFile } from './file-repository';
export { FINISHED_STATUSES, JOB_STATUSES, JobRepository, eventId, seqOfEventId } from './job-repository';
export type {
  EventLevel,
  EventType,
  JobError,
  JobStatus,
  JobUpdate,
  NewJob,
  StoredCheckpoint,
  StoredEvent,
  StoredJob,
} from './job-repository';
export { newId, unixNow } from './ids';
export type { FileStore, JobStore, Persistence } from './contracts';
export { SqliteFileStore, SqliteJobStore, sqlitePersistence } from './sqlite-stores';

/**
 * One database and its repositories per process. `open` opens it at once; `lazy` on first use,
 * so a server that never sees a file or a job never creates the database.
 */
export class BerthStore {
  private handle: { db: Db; files: FileRepository; jobs: JobRepository } | undefined;
  private closed = false;

  private constructor(readonly dataDir: string) {}

  static open(dataDir: string): BerthStore {
    const store = new BerthStore(dataDir);
    store.connection();
    return store;
  }

  static lazy(dataDir: string): BerthStore {
    return new BerthStore(dataDir);
  }

  /** Whether the database file exists (a lazy store has nothing to recover before it does). */
  exists(): boolean {
    return this.handle !== undefined || existsSync(join(this.dataDir, DATABASE_FILE));
  }

  private connection(): { db: Db; files: FileRepository; jobs: JobRepository } {
    if (this.closed) throw new StoreError('the database is closed');
    if (!this.handle) {
      const db = openDatabase(this.dataDir);
      this.handle = { db, files: new FileRepository(db), jobs: new JobRepository(db) };
    }
    return this.handle;
  }

  get db(): Db {
    return this.connection().db;
  }

  get files(): FileRepository {
    return this.connection().files;
  }

  get jobs(): JobRepository {
    return this.connection().jobs;
  }

  close(): void {
    this.closed = true;
    if (this.handle?.db.open) this.handle.db.close();
    this.handle = undefined;
  }
}
