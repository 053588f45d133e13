import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthStore, DATABASE_FILE, MIGRATIONS, StoreError, migrate, openDatabase, seqOfEventId } from '.';

describe('store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const job = {
    model: 'sentiment',
    task: 'classification',
    trainingFile: 'file-a',
    validationFile: null,
    method: 'lora',
    hyperparameters: { epochs: 1 },
    seed: 7,
    suffix: null,
    metadata: { team: 'x' },
    autoActivate: false,
    targetModel: 'sentiment',
  };

  it('creates the database in WAL mode with every migration recorded once', () => {
    const db = openDatabase(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // Re-opening applies nothing twice.
    db.close();
    const again = openDatabase(dir);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    again.close();
  });

  it('applies only new migrations, and refuses a database newer than the code', () => {
    const db = new Database(join(dir, DATABASE_FILE));
    expect(migrate(db, [{ version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' }])).toBe(1);
    expect(
      migrate(db, [
        { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' },
        { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER)' },
      ]),
    ).toBe(2);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b') ORDER BY name").all()).toEqual([
      { name: 'a' },
      { name: 'b' },
    ]);
    expect(() => migrate(db, [{ version: 1, name: 'one', sql: '' }])).toThrow(StoreError);
    db.close();
  });

  it('rolls back a failing migration entirely', () => {
    const db = new Database(join(dir, DATABASE_FILE));
    expect(() => migrate(db, [{ version: 1, name: 'bad', sql: 'CREATE TABLE c (x INTEGER); SELECT * FROM nowhere;' }])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").all()).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 0 });
    db.close();
  });

  it('keeps jobs, events and files across a reopen', () => {
    const store = BerthStore.open(dir);
    const created = store.jobs.create(job);
    expect(created).toMatchObject({ status: 'validating_files', metadata: { team: 'x' }, autoActivate: false, error: null });
    expect(created.id).toMatch(/^ftjob-[A-Za-z0-9]{24}$/);
    store.jobs.addEvent(created.id, 'info', 'Validating training file');
    store.files.insert({
      id: 'file-1',
      filename: 'a.csv',
      purpose: 'fine-tune',
      bytes: 10,
      createdAt: 5,
      path: '/x',
      task: 'classification',
      format: 'csv',
      stats: { rows: 2 },
    });
    store.close();

    const reopened = BerthStore.open(dir);
    expect(reopened.jobs.get(created.id)?.hyperparameters).toEqual({ epochs: 1 });
    expect(reopened.jobs.listEvents(created.id, { limit: 10 }).data.map((e) => e.message)).toEqual(['Validating training file']);
    expect(reopened.files.get('file-1')?.stats).toEqual({ rows: 2 });
    reopened.close();
  });

  it('moves a job only from an expected status (compare-and-set)', () => {
    const store = BerthStore.open(dir);
    const { id } = store.jobs.create(job);
    expect(store.jobs.transition(id, ['validating_files'], 'queued')).toBe(true);
    expect(store.jobs.transition(id, ['validating_files'], 'running')).toBe(false);
    expect(store.jobs.transition(id, ['queued'], 'cancelled', { finishedAt: 9, error: null })).toBe(true);
    expect(store.jobs.transition(id, ['queued', 'running'], 'succeeded')).toBe(false);
    expect(store.jobs.get(id)).toMatchObject({ status: 'cancelled', finishedAt: 9 });
    expect(store.jobs.countByStatus()).toMatchObject({ cancelled: 1, queued: 0 });
    store.close();
  });

  it('pages jobs, files and events newest first with `after` cursors', () => {
    const store = BerthStore.open(dir);
    const ids = [0, 1, 2, 3, 4].map(() => store.jobs.create(job).id);
    const first = store.jobs.list({ limit: 2 });
    expect(first.data.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first.hasMore).toBe(true);
    const last = store.jobs.list({ limit: 3, after: ids[3] });
    expect(last.data.map((j) => j.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(last.hasMore).toBe(false);

    const events = [0, 1, 2].map((i) => store.jobs.addEvent(ids[0], 'info', `e${i}`));
    const page = store.jobs.listEvents(ids[0], { limit: 2 });
    expect(page.data.map((e) => e.message)).toEqual(['e2', 'e1']);
    expect(page.hasMore).toBe(true);
    expect(store.jobs.listEvents(ids[0], { limit: 2, after: page.data[1].id }).data.map((e) => e.message)).toEqual(['e0']);
    expect(store.jobs.eventsSince(ids[0], events[0].seq).map((e) => e.message)).toEqual(['e1', 'e2']);
    expect(seqOfEventId(events[2].id)).toBe(events[2].seq);
    expect(seqOfEventId('nonsense')).toBeUndefined();

    for (const [i, t] of [10, 10, 11].entries()) {
      store.files.insert({
        id: `file-${i}`,
        filename: 'a',
        purpose: 'fine-tune',
        bytes: 1,
        createdAt: t,
        path: '/x',
        task: 'ner',
        format: 'conll',
        stats: {},
      });
    }
    expect(store.files.list({ limit: 10 }).data.map((f) => f.id)).toEqual(['file-2', 'file-1', 'file-0']);
    expect(store.files.list({ limit: 1, after: 'file-1' })).toEqual({ data: [expect.objectContaining({ id: 'file-0' })], hasMore: false });
    expect(store.files.delete('file-1')).toBe(true);
    expect(store.files.delete('file-1')).toBe(false);
    store.close();
  });

  it('keeps one selected checkpoint per job', () => {
    const store = BerthStore.open(dir);
    const { id } = store.jobs.create(job);
    store.jobs.addCheckpoint(id, 10, 1, { accuracy: 0.6 }, true);
    store.jobs.addCheckpoint(id, 20, 2, { accuracy: 0.5 }, false);
    store.jobs.addCheckpoint(id, 30, 3, { accuracy: 0.7 }, true);
    const all = store.jobs.listCheckpoints(id, { limit: 10 }).data;
    expect(all.map((c) => [c.step, c.selected])).toEqual([
      [30, true],
      [20, false],
      [10, false],
    ]);
    store.close();
  });

  it('says clearly when the data directory cannot be created', () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    expect(() => openDatabase(join(blocker, 'data'))).toThrow(/data directory .* cannot be created/);
  });

  it('opens a lazy store only on first use', () => {
    const lazy = BerthStore.lazy(join(dir, 'data'));
    expect(lazy.exists()).toBe(false);
    expect(existsSync(join(dir, 'data', DATABASE_FILE))).toBe(false);
    expect(lazy.jobs.list({ limit: 1 }).data).toEqual([]);
    expect(lazy.exists()).toBe(true);
    lazy.close();
    expect(() => lazy.files).toThrow(StoreError);
  });
});
