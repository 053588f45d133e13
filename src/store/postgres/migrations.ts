/**
 * The PostgreSQL schema (fleet mode), versioned as SQLite's is: migrations run once each, in
 * order, each in its own transaction, recorded in `schema_migrations`. A released migration is
 * never edited: add the next one instead.
 *
 * Every process of a fleet migrates at boot, so two replicas may start together: the runner holds
 * a session-level advisory lock while it reads and applies, and the second one finds the work done.
 */
import type { Pool } from 'pg';
import { StoreError } from '../database';
import type { Migration } from '../migrations';

export type { Migration } from '../migrations';

/**
 * The advisory lock key that serialises migration runs (any fixed 64-bit number; this one spells
 * "berthmig" in ASCII). A lock held by a connection that dies is released by the server.
 */
export const MIGRATION_LOCK_KEY = '7090199032658487655';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'files, jobs, job events, checkpoints',
    // The tables of the embedded database (src/store/migrations.ts) in PostgreSQL types. `files`
    // gains `seq`, the insertion order SQLite's rowid gives, which breaks ties in listings.
    sql: `
      CREATE TABLE files (
        seq        bigserial UNIQUE,
        id         text PRIMARY KEY,
        filename   text NOT NULL,
        purpose    text NOT NULL,
        bytes      bigint NOT NULL,
        created_at bigint NOT NULL,
        path       text NOT NULL,
        task       text NOT NULL,
        format     text NOT NULL,
        stats      jsonb NOT NULL
      );
      CREATE INDEX files_listing ON files (created_at DESC, seq DESC);
      CREATE TABLE jobs (
        seq              bigserial PRIMARY KEY,
        id               text NOT NULL UNIQUE,
        created_at       bigint NOT NULL,
        started_at       bigint,
        finished_at      bigint,
        status           text NOT NULL,
        model            text NOT NULL,
        task             text NOT NULL,
        training_file    text NOT NULL,
        validation_file  text,
        method           text NOT NULL,
        hyperparameters  jsonb NOT NULL,
        seed             bigint NOT NULL,
        suffix           text,
        metadata         jsonb,
        auto_activate    boolean NOT NULL,
        target_model     text NOT NULL,
        fine_tuned_model text,
        version          integer,
        trained_tokens   bigint,
        error            jsonb,
        progress         jsonb,
        result           jsonb
      );
      CREATE INDEX jobs_status ON jobs (status, seq);
      CREATE TABLE job_events (
        seq        bigserial PRIMARY KEY,
        job_id     text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        level      text NOT NULL,
        type       text NOT NULL,
        message    text NOT NULL,
        data       jsonb
      );
      CREATE INDEX job_events_job ON job_events (job_id, seq);
      CREATE TABLE job_checkpoints (
        seq        bigserial PRIMARY KEY,
        id         text NOT NULL UNIQUE,
        job_id     text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        step       integer NOT NULL,
        epoch      integer NOT NULL,
        metrics    jsonb NOT NULL,
        selected   boolean NOT NULL DEFAULT false
      );
      CREATE INDEX job_checkpoints_job ON job_checkpoints (job_id, seq);
    `,
  },
  {
    version: 2,
    name: 'fleet: workers, job claims and cancels, model registry',
    sql: `
      ALTER TABLE jobs ADD COLUMN worker_id text;
      ALTER TABLE jobs ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
      CREATE TABLE workers (
        id           text PRIMARY KEY,
        host         text NOT NULL,
        pid          integer NOT NULL,
        device       text NOT NULL,
        started_at   timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        jobs_claimed integer NOT NULL DEFAULT 0
      );
      CREATE TABLE model_active (
        model        text PRIMARY KEY,
        version      integer NOT NULL,
        activated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE model_history (
        model       text NOT NULL,
        seq         bigserial PRIMARY KEY,
        version     integer NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX model_history_model ON model_history (model, seq);
    `,
  },
];

export interface MigrationRun {
  /** The schema version after the run. */
  readonly version: number;
  /** The versions this run applied (empty when the schema was already current). */
  readonly applied: number[];
}

/**
 * Applies the migrations not yet recorded, each in its own transaction, under the advisory lock.
 * Refuses a database whose schema is newer than the code knows (a newer Berth migrated it).
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<MigrationRun> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const known = Math.max(0, ...migrations.map((m) => m.version));
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new StoreError(`the database is at schema version ${newest}, newer than this server knows (${known}); upgrade Berth`);
      }
      const done: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            Math.floor(Date.now() / 1000),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new StoreError(`migration ${m.version} (${m.name}) failed: ${(error as Error).message}`);
        }
        done.push(m.version);
      }
      return { version: Math.max(newest, known), applied: done };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    // A connection that failed mid-way may still hold the lock or a transaction: never reuse it.
    broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The schema version recorded in the database (0 when it was never migrated). */
export async function schemaVersion(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!rows[0].present) return 0;
  const max = await pool.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return max.rows[0].version ?? 0;
}
