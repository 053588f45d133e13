/**
 * The FileStore and JobStore contracts (src/store/contracts.ts), one set of cases run against
 * both implementations: the embedded SQLite database and PostgreSQL (fleet mode). Expected values
 * come from the contract: newest-first listings with `after` cursors as the OpenAI API pages
 * them, compare-and-set transitions, event ids `ftevent-<seq>`, one selected checkpoint per job.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthStore, JOB_STATUSES, SqliteFileStore, SqliteJobStore, eventId, seqOfEventId } from '../../src/store';
import type { FileStore, JobStore, NewJob, StoredFile } from '../../src/store';
import { createPool } from '../../src/store/postgres/connection';
import { PgFileStore } from '../../src/store/postgres/file-store';
import { PgJobStore } from '../../src/store/postgres/job-store';
import { migrate } from '../../src/store/postgres/migrations';
import { freshDatabase } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

interface Stores {
  files: FileStore;
  jobs: JobStore;
  close(): Promise<void>;
}

const job: NewJob = {
  model: 'sentiment',
  task: 'classification',
  trainingFile: 'file-train',
  validationFile: null,
  method: 'lora',
  hyperparameters: { epochs: 2, learning_rate: 0.0002, lora: { r: 8, targets: ['query', 'value'] } },
  seed: 42,
  suffix: 'v1',
  metadata: { team: 'search' },
  autoActivate: true,
  targetModel: 'sentiment-ft-v1',
};

const file = (id: string, createdAt: number, purpose = 'fine-tune'): StoredFile => ({
  id,
  filename: `${id}.csv`,
  purpose,
  bytes: 1234,
  createdAt,
  path: `/data/files/${id}`,
  task: 'classification',
  format: 'csv',
  stats: { rows: 3, labels: { pos: 2, neg: 1 }, lengths: [1, 2, 3] },
});

function contractCases(open: () => Promise<Stores>): void {
  let s: Stores;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(() => s.close());

  it('files: insert, get, delete', async () => {
    await s.files.insert(file('file-a', 100));
    expect(await s.files.get('file-a')).toEqual(file('file-a', 100));
    expect(await s.files.get('file-none')).toBeUndefined();
    expect(await s.files.delete('file-a')).toBe(true);
    expect(await s.files.delete('file-a')).toBe(false);
    expect(await s.files.get('file-a')).toBeUndefined();
  });

  it('files: newest first, ties by insertion, with cursors and a purpose filter', async () => {
    await s.files.insert(file('file-0', 10));
    await s.files.insert(file('file-1', 10));
    await s.files.insert(file('file-2', 11, 'other'));
    await s.files.insert(file('file-3', 9));
    const ids = async (o: { limit: number; after?: string; purpose?: string }) => {
      const page = await s.files.list(o);
      return [page.data.map((f) => f.id), page.hasMore];
    };
    expect(await ids({ limit: 10 })).toEqual([['file-2', 'file-1', 'file-0', 'file-3'], false]);
    expect(await ids({ limit: 2 })).toEqual([['file-2', 'file-1'], true]);
    expect(await ids({ limit: 2, after: 'file-1' })).toEqual([['file-0', 'file-3'], false]);
    expect(await ids({ limit: 1, after: 'file-1' })).toEqual([['file-0'], true]);
    expect(await ids({ limit: 10, purpose: 'fine-tune' })).toEqual([['file-1', 'file-0', 'file-3'], false]);
    expect(await ids({ limit: 1, purpose: 'fine-tune', after: 'file-1' })).toEqual([['file-0'], true]);
    expect(await ids({ limit: 10, purpose: 'nothing' })).toEqual([[], false]);
    expect(await ids({ limit: 10, after: 'file-unknown' })).toEqual([[], false]);
  });

  it('jobs: create and get keep every field', async () => {
    const created = await s.jobs.create(job);
    expect(created.id).toMatch(/^ftjob-[A-Za-z0-9]{24}$/);
    expect(created).toEqual({
      ...job,
      id: created.id,
      createdAt: created.createdAt,
      startedAt: null,
      finishedAt: null,
      status: 'validating_files',
      fineTunedModel: null,
      version: null,
      trainedTokens: null,
      error: null,
      progress: null,
      result: null,
    });
    expect(Math.abs(created.createdAt - Date.now() / 1000)).toBeLessThan(3600);
    expect(await s.jobs.get(created.id)).toEqual(created);
    expect(await s.jobs.get('ftjob-none')).toBeUndefined();
    const plain = await s.jobs.create({ ...job, metadata: null, suffix: null, autoActivate: false }, 'queued');
    expect(plain).toMatchObject({ status: 'queued', metadata: null, suffix: null, autoActivate: false });
  });

  it('jobs: newest first with cursors; withStatus oldest first; counts per status', async () => {
    const ids: string[] = [];
    for (const status of ['queued', 'running', 'queued', 'failed', 'queued'] as const) ids.push((await s.jobs.create(job, status)).id);
    const first = await s.jobs.list({ limit: 2 });
    expect([first.data.map((j) => j.id), first.hasMore]).toEqual([[ids[4], ids[3]], true]);
    const rest = await s.jobs.list({ limit: 3, after: ids[3] });
    expect([rest.data.map((j) => j.id), rest.hasMore]).toEqual([[ids[2], ids[1], ids[0]], false]);
    expect((await s.jobs.list({ limit: 3, after: 'ftjob-unknown' })).data).toEqual([]);

    expect((await s.jobs.withStatus('queued')).map((j) => j.id)).toEqual([ids[0], ids[2], ids[4]]);
    expect((await s.jobs.withStatus('running', 'failed')).map((j) => j.id)).toEqual([ids[1], ids[3]]);
    expect(await s.jobs.withStatus('cancelled')).toEqual([]);
    expect(await s.jobs.countByStatus()).toEqual({
      ...Object.fromEntries(JOB_STATUSES.map((k) => [k, 0])),
      queued: 3,
      running: 1,
      failed: 1,
    });
  });

  it('jobs: transitions are compare-and-set and carry their update', async () => {
    const { id } = await s.jobs.create(job);
    expect(await s.jobs.transition(id, ['validating_files'], 'queued')).toBe(true);
    expect(await s.jobs.transition(id, ['validating_files'], 'running')).toBe(false);
    expect(await s.jobs.transition(id, ['queued'], 'running', { startedAt: 1000, progress: { step: 0, total: 10 } })).toBe(true);
    const error = { code: 'boom', message: 'it broke', param: null };
    expect(await s.jobs.transition(id, ['queued', 'running'], 'failed', { finishedAt: 1010, error })).toBe(true);
    expect(await s.jobs.transition(id, ['queued', 'running'], 'succeeded')).toBe(false);
    expect(await s.jobs.transition(id, [], 'succeeded')).toBe(false);
    expect(await s.jobs.transition('ftjob-none', ['failed'], 'queued')).toBe(false);
    expect(await s.jobs.get(id)).toMatchObject({
      status: 'failed',
      startedAt: 1000,
      finishedAt: 1010,
      error,
      progress: { step: 0, total: 10 },
    });
  });

  it('jobs: update sets the given fields and clears those given as null', async () => {
    const { id } = await s.jobs.create(job, 'running');
    await s.jobs.update(id, { progress: { step: 5, loss: 0.25 }, trainedTokens: 12345, result: { accuracy: 0.9 } });
    await s.jobs.update(id, { fineTunedModel: 'sentiment-ft-v1', version: 3 });
    await s.jobs.update(id, {});
    expect(await s.jobs.get(id)).toMatchObject({
      status: 'running',
      progress: { step: 5, loss: 0.25 },
      trainedTokens: 12345,
      result: { accuracy: 0.9 },
      fineTunedModel: 'sentiment-ft-v1',
      version: 3,
    });
    await s.jobs.update(id, { result: null, version: null });
    expect(await s.jobs.get(id)).toMatchObject({ result: null, version: null, trainedTokens: 12345 });
  });

  it('events: ids carry the sequence; newest first with `after`; eventsSince oldest first', async () => {
    const a = (await s.jobs.create(job)).id;
    const b = (await s.jobs.create(job)).id;
    const e0 = await s.jobs.addEvent(a, 'info', 'Validating training file');
    const other = await s.jobs.addEvent(b, 'warn', 'elsewhere');
    const e1 = await s.jobs.addEvent(a, 'info', 'Step 10/100', { step: 10, loss: 0.5 }, 'metrics');
    const e2 = await s.jobs.addEvent(a, 'error', 'failed');
    expect([e0.seq < other.seq, other.seq < e1.seq, e1.seq < e2.seq]).toEqual([true, true, true]);
    for (const e of [e0, e1, e2]) expect(e.id).toBe(eventId(e.seq));
    expect(e1.id).toMatch(/^ftevent-\d{12}$/);
    expect(seqOfEventId(e1.id)).toBe(e1.seq);
    expect(e1).toMatchObject({ jobId: a, level: 'info', type: 'metrics', message: 'Step 10/100', data: { step: 10, loss: 0.5 } });
    expect(e0).toMatchObject({ type: 'message', data: null });

    const page = await s.jobs.listEvents(a, { limit: 2 });
    expect(page.data).toEqual([e2, e1]);
    expect(page.hasMore).toBe(true);
    expect(await s.jobs.listEvents(a, { limit: 2, after: e1.id })).toEqual({ data: [e0], hasMore: false });
    expect(await s.jobs.listEvents(a, { limit: 1, after: 'not-an-event' })).toEqual({ data: [e2], hasMore: true });
    expect(await s.jobs.eventsSince(a, e0.seq)).toEqual([e1, e2]);
    expect(await s.jobs.eventsSince(a, 0)).toEqual([e0, e1, e2]);
    expect(await s.jobs.eventsSince(a, e2.seq)).toEqual([]);
    expect(await s.jobs.eventsSince(b, 0)).toEqual([other]);
  });

  it('checkpoints: newest first with `after`, and only one selected per job', async () => {
    const a = (await s.jobs.create(job)).id;
    const b = (await s.jobs.create(job)).id;
    const c10 = await s.jobs.addCheckpoint(a, 10, 1, { accuracy: 0.6 }, true);
    const other = await s.jobs.addCheckpoint(b, 5, 1, { accuracy: 0.1 }, true);
    const c20 = await s.jobs.addCheckpoint(a, 20, 2, { accuracy: 0.5 }, false);
    const c30 = await s.jobs.addCheckpoint(a, 30, 3, { accuracy: 0.7 }, true);
    expect(c30.id).toMatch(/^ftckpt-[A-Za-z0-9]{24}$/);
    expect(c30).toMatchObject({ jobId: a, step: 30, epoch: 3, metrics: { accuracy: 0.7 }, selected: true });

    const all = await s.jobs.listCheckpoints(a, { limit: 10 });
    expect(all.data.map((c) => [c.id, c.step, c.selected])).toEqual([
      [c30.id, 30, true],
      [c20.id, 20, false],
      [c10.id, 10, false],
    ]);
    expect(all.data[0]).toEqual(c30);
    expect(all.hasMore).toBe(false);
    const first = await s.jobs.listCheckpoints(a, { limit: 1 });
    expect([first.data.map((c) => c.id), first.hasMore]).toEqual([[c30.id], true]);
    const next = await s.jobs.listCheckpoints(a, { limit: 5, after: c30.id });
    expect(next.data.map((c) => c.id)).toEqual([c20.id, c10.id]);
    expect(await s.jobs.listCheckpoints(a, { limit: 5, after: 'ftckpt-unknown' })).toEqual({ data: [], hasMore: false });
    // Another job's selection is its own.
    expect((await s.jobs.listCheckpoints(b, { limit: 5 })).data).toEqual([other]);
  });
}

describe('store contract', () => {
  describe('SQLite (SqliteFileStore, SqliteJobStore)', () => {
    contractCases(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'berth-contract-'));
      const store = BerthStore.open(dir);
      return {
        files: new SqliteFileStore(store),
        jobs: new SqliteJobStore(store),
        close: async () => {
          store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    });
  });

  describeWithPostgres('PostgreSQL (PgFileStore, PgJobStore)', () => {
    let server: TestPostgres;
    beforeAll(async () => {
      server = await startPostgres();
    });
    afterAll(() => server?.destroy());

    contractCases(async () => {
      const pool = createPool(await freshDatabase(server));
      await migrate(pool);
      return { files: new PgFileStore(pool), jobs: new PgJobStore(pool), close: () => pool.end() };
    });
  });
});
