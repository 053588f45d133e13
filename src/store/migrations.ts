/** Schema changes, in order. A released migration is never edited: add the next one instead. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'files, jobs, job events, checkpoints',
    sql: `
      CREATE TABLE files (
        id         TEXT PRIMARY KEY,
        filename   TEXT NOT NULL,
        purpose    TEXT NOT NULL,
        bytes      INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        path       TEXT NOT NULL,
        task       TEXT NOT NULL,
        format     TEXT NOT NULL,
        stats      TEXT NOT NULL
      );
      CREATE TABLE jobs (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        id              TEXT NOT NULL UNIQUE,
        created_at      INTEGER NOT NULL,
        started_at      INTEGER,
        finished_at     INTEGER,
        status          TEXT NOT NULL,
        model           TEXT NOT NULL,
        task            TEXT NOT NULL,
        training_file   TEXT NOT NULL,
        validation_file TEXT,
        method          TEXT NOT NULL,
        hyperparameters TEXT NOT NULL,
        seed            INTEGER NOT NULL,
        suffix          TEXT,
        metadata        TEXT,
        auto_activate   INTEGER NOT NULL,
        target_model    TEXT NOT NULL,
        fine_tuned_model TEXT,
        version         INTEGER,
        trained_tokens  INTEGER,
        error           TEXT,
        progress        TEXT,
        result          TEXT
      );
      CREATE INDEX jobs_status ON jobs (status);
      CREATE TABLE job_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        level      TEXT NOT NULL,
        type       TEXT NOT NULL,
        message    TEXT NOT NULL,
        data       TEXT
      );
      CREATE INDEX job_events_job ON job_events (job_id, seq);
      CREATE TABLE job_checkpoints (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        step       INTEGER NOT NULL,
        epoch      INTEGER NOT NULL,
        metrics    TEXT NOT NULL,
        selected   INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX job_checkpoints_job ON job_checkpoints (job_id, seq);
    `,
  },
];
