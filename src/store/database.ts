/**
 * The embedded database (SQLite through better-sqlite3): job records, their events, checkpoints
 * and uploaded files live in `<dataDir>/berth.sqlite`. Write-ahead logging lets the HTTP layer
 * read while a job's events are written; migrations run once each, in order, recorded in
 * `schema_migrations`, so a data directory from an older release is upgraded at boot.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../errors/domain-error';
import { MIGRATIONS, Migration } from './migrations';

export type Db = Database.Database;

export const DATABASE_FILE = 'berth.sqlite';

/** The database cannot be used (unwritable or full data directory, newer schema): a server fault, said plainly. */
export class StoreError extends DomainError {
  constructor(message: string) {
    super('INTERNAL', message);
  }
}

/** Opens (creating when absent) the database in `dataDir` and brings its schema up to date. */
export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (e) {
    throw new StoreError(`data directory ${dataDir} cannot be created: ${(e as Error).message}`);
  }
  let db: Db;
  try {
    db = new Database(join(dataDir, DATABASE_FILE));
  } catch (e) {
    throw new StoreError(`database ${join(dataDir, DATABASE_FILE)} cannot be opened: ${(e as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // A second process (the CLI, a restarted server) waits for a lock instead of failing at once.
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

/** Applies the migrations not yet recorded, each in its own transaction. Returns the schema version. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new StoreError(`the database is at schema version ${newest}, newer than this server knows (${known}); upgrade Berth`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Math.floor(Date.now() / 1000));
    })();
  }
  return Math.max(newest, known);
}
