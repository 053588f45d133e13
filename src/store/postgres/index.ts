/**
 * Fleet mode's persistence (`BERTH_DATABASE_URL=postgres://…`): files, jobs and their events, the
 * job queue, the model registry and the notifications between processes, all in one PostgreSQL
 * database. Only the composition root imports this; the embedded default never loads `pg`.
 */
import type { Pool } from 'pg';
import { StoreError } from '../database';
import { PgActivationLog } from './activation-log';
import { failingAsUnavailable } from './availability';
import { createPool } from './connection';
import type { PoolOptions } from './connection';
import { PgFileStore } from './file-store';
import { PgJobStore } from './job-store';
import { migrate } from './migrations';
import type { MigrationRun } from './migrations';
import { PgNotifier } from './notifier';
import type { NotifierLogger } from './notifier';
import { PgJobQueue } from './queue';

export { PgActivationLog, MAX_HISTORY } from './activation-log';
export { failingAsUnavailable, isConnectionError } from './availability';
export type { ActivationLog } from './activation-log';
export { createPool, inTransaction } from './connection';
export type { PoolOptions, Queryable } from './connection';
export { PgFileStore } from './file-store';
export { PgJobStore } from './job-store';
export { MIGRATION_LOCK_KEY, PG_MIGRATIONS, migrate, schemaVersion } from './migrations';
export type { MigrationRun } from './migrations';
export { CHANNEL, MAX_PAYLOAD_BYTES, NOTIFICATION_KINDS, PgNotifier, publishOn } from './notifier';
export type { NotificationKind, NotificationPayloads, NotifierLogger, NotifierOptions, Publisher } from './notifier';
export { PgJobQueue, workerLostError } from './queue';
export type { WorkerHeartbeat, WorkerInfo } from './queue';

export interface PostgresStoreOptions extends PoolOptions {
  readonly logger?: NotifierLogger;
  /** The notifier's reconnection backoff bounds, in ms. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** `postgres://user:password@host/db` with the password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparseable database URL)';
  }
}

/** Brings the schema up to date and says where it stands. Connection failures say which database. */
export async function migrateDatabase(url: string): Promise<MigrationRun> {
  const pool = createPool(url, { max: 1 });
  try {
    return await migrate(pool);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot migrate ${redactUrl(url)}: ${(error as Error).message}`);
  } finally {
    await pool.end();
  }
}

/** One pool, the migrated schema, and the stores over it, per process. */
export class PostgresStore {
  readonly files: PgFileStore;
  readonly jobs: PgJobStore;
  readonly queue: PgJobQueue;

  private constructor(
    readonly pool: Pool,
    readonly notifier: PgNotifier,
    readonly schema: MigrationRun,
  ) {
    this.files = failingAsUnavailable(new PgFileStore(pool));
    this.jobs = failingAsUnavailable(new PgJobStore(pool, notifier));
    this.queue = failingAsUnavailable(new PgJobQueue(pool, notifier));
  }

  /** Connects, migrates (under the advisory lock) and starts listening; fails when the database cannot be reached. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = createPool(url, {
      ...options,
      onIdleError: options.onIdleError ?? ((error) => options.logger?.warn({ err: error.message }, 'an idle database connection failed')),
    });
    let notifier: PgNotifier | undefined;
    try {
      const schema = await migrate(pool);
      notifier = new PgNotifier({
        url,
        pool,
        logger: options.logger,
        minBackoffMs: options.minBackoffMs,
        maxBackoffMs: options.maxBackoffMs,
      });
      await notifier.start();
      return new PostgresStore(pool, notifier, schema);
    } catch (error) {
      await notifier?.close();
      await pool.end().catch(() => undefined);
      if (error instanceof StoreError) throw error;
      throw new StoreError(`database ${redactUrl(url)} cannot be used: ${(error as Error).message}`);
    }
  }

  /** The model registry; `versionsOf(name)` lists the version numbers on the shared volume. */
  activationLog(versionsOf: (name: string) => readonly number[]): PgActivationLog {
    return failingAsUnavailable(new PgActivationLog(this.pool, versionsOf, this.notifier));
  }

  async close(): Promise<void> {
    await this.notifier.close();
    await this.pool.end();
  }
}
