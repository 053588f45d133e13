/**
 * The fleet's job queue on PostgreSQL: claims (each job to exactly one worker), heartbeats and the
 * reaping of jobs whose worker stopped beating, cancel requests, the metrics it reports, and the
 * notifications the queue and the job store send. Separate pools stand for separate processes.
 */
import type { Pool } from 'pg';
import { StoreError } from '../../src/store';
import type { NewJob } from '../../src/store';
import { createPool } from '../../src/store/postgres/connection';
import { PgJobStore } from '../../src/store/postgres/job-store';
import { migrate } from '../../src/store/postgres/migrations';
import { PgNotifier } from '../../src/store/postgres/notifier';
import type { NotificationKind } from '../../src/store/postgres/notifier';
import { PgJobQueue, workerLostError } from '../../src/store/postgres/queue';
import { freshDatabase, waitFor } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

const job: NewJob = {
  model: 'sentiment',
  task: 'classification',
  trainingFile: 'file-train',
  validationFile: null,
  method: 'head',
  hyperparameters: { epochs: 1 },
  seed: 1,
  suffix: null,
  metadata: null,
  autoActivate: false,
  targetModel: 'sentiment',
};

describeWithPostgres('PgJobQueue', () => {
  let server: TestPostgres;
  let url: string;
  let pools: Pool[];
  let jobs: PgJobStore;
  beforeAll(async () => {
    server = await startPostgres();
  });
  beforeEach(async () => {
    pools = [];
    url = await freshDatabase(server);
    const admin = pool();
    await migrate(admin);
    jobs = new PgJobStore(admin);
  });
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.end()));
  });
  afterAll(() => server?.destroy());

  function pool(): Pool {
    const p = createPool(url, { max: 4 });
    pools.push(p);
    return p;
  }

  /** A worker process: its own pool and queue, registered. */
  async function worker(id: string): Promise<PgJobQueue> {
    const queue = new PgJobQueue(pool());
    await queue.registerWorker({ id, host: 'test-host', pid: 4242, device: 'cpu' });
    return queue;
  }

  const row = async (id: string): Promise<{ status: string; worker_id: string | null }> =>
    (await pools[0].query<{ status: string; worker_id: string | null }>('SELECT status, worker_id FROM jobs WHERE id = $1', [id])).rows[0];

  it('claims the oldest queued job first, nothing when none waits, and only for a registered worker', async () => {
    const q = await worker('w1');
    const pending = await jobs.create(job); // validating_files: not claimable yet
    const [first, second] = [await jobs.create(job, 'queued'), await jobs.create(job, 'queued')];
    const claimed = await q.claim('w1');
    expect(claimed).toMatchObject({ id: first.id, status: 'running' });
    expect(claimed!.startedAt).toEqual(expect.any(Number));
    expect(await row(first.id)).toEqual({ status: 'running', worker_id: 'w1' });
    expect((await q.claim('w1'))?.id).toBe(second.id);
    expect(await q.claim('w1')).toBeUndefined();
    expect(await row(pending.id)).toEqual({ status: 'validating_files', worker_id: null });
    await expect(q.claim('w-unknown')).rejects.toThrow(StoreError);
    expect(await q.heartbeatAges()).toEqual([{ workerId: 'w1', seconds: expect.any(Number), jobsClaimed: 2 }]);
  });

  it('gives each job to exactly one of two concurrent claimers, round after round', async () => {
    const [a, b] = [await worker('wa'), await worker('wb')];
    const rounds = 10;
    const perRound = 20;
    const claimedBy = new Map<string, string[]>();
    for (let round = 0; round < rounds; round++) {
      const queued: string[] = [];
      for (let i = 0; i < perRound; i++) queued.push((await jobs.create(job, 'queued')).id);
      const drain = async (q: PgJobQueue, id: string): Promise<string[]> => {
        const got: string[] = [];
        for (let next = await q.claim(id); next; next = await q.claim(id)) got.push(next.id);
        return got;
      };
      const [byA, byB] = await Promise.all([drain(a, 'wa'), drain(b, 'wb')]);
      expect([...byA, ...byB].sort()).toEqual([...queued].sort());
      for (const id of byA) claimedBy.set(id, [...(claimedBy.get(id) ?? []), 'wa']);
      for (const id of byB) claimedBy.set(id, [...(claimedBy.get(id) ?? []), 'wb']);
    }
    expect(claimedBy.size).toBe(rounds * perRound);
    expect([...claimedBy.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    // The database agrees on each job's owner, and on each worker's count.
    const owners = (await pools[0].query<{ id: string; worker_id: string }>("SELECT id, worker_id FROM jobs WHERE status = 'running'"))
      .rows;
    expect(owners).toHaveLength(rounds * perRound);
    for (const r of owners) expect(claimedBy.get(r.id)).toEqual([r.worker_id]);
    const counts = Object.fromEntries((await a.heartbeatAges()).map((h) => [h.workerId, h.jobsClaimed]));
    expect(counts).toEqual({
      wa: owners.filter((r) => r.worker_id === 'wa').length,
      wb: owners.filter((r) => r.worker_id === 'wb').length,
    });
    expect(await a.depth()).toBe(0);
  });

  it('fails a running job whose worker stopped beating only once the timeout has passed', async () => {
    const [lost, alive] = [await worker('w-lost'), await worker('w-alive')];
    await jobs.create(job, 'queued');
    await jobs.create(job, 'queued');
    const lostJob = (await lost.claim('w-lost'))!;
    const aliveJob = (await alive.claim('w-alive'))!;
    // The lost worker's last heartbeat was 10 s ago.
    await pools[0].query("UPDATE workers SET heartbeat_at = now() - interval '10 seconds' WHERE id = 'w-lost'");

    expect(await alive.reapLost(20_000)).toEqual([]);
    expect(await row(lostJob.id)).toEqual({ status: 'running', worker_id: 'w-lost' });

    expect(await alive.reapLost(5_000)).toEqual([lostJob.id]);
    const failed = await jobs.get(lostJob.id);
    expect(failed).toMatchObject({ status: 'failed', error: workerLostError(5_000) });
    expect(failed!.error!.message).toBe('the worker running this job stopped responding (no heartbeat for 5 s); no version was written');
    expect(failed!.finishedAt).toEqual(expect.any(Number));
    expect(await row(aliveJob.id)).toEqual({ status: 'running', worker_id: 'w-alive' });
    // The lost worker's row is gone: its next heartbeat tells it so, and it may not claim.
    expect(await lost.heartbeat('w-lost')).toBe(false);
    await expect(lost.claim('w-lost')).rejects.toThrow(/not registered/);
    expect(await alive.heartbeat('w-alive')).toBe(true);
    expect(await alive.reapLost(5_000)).toEqual([]);
  });

  it('reaps in real time: a worker that stops beating loses its job after the timeout, one that beats keeps it', async () => {
    const timeoutMs = 1_000;
    const [lost, alive] = [await worker('w-lost'), await worker('w-alive')];
    await jobs.create(job, 'queued');
    await jobs.create(job, 'queued');
    const lostJob = (await lost.claim('w-lost'))!;
    const aliveJob = (await alive.claim('w-alive'))!;
    await lost.heartbeat('w-lost');
    expect(await alive.reapLost(timeoutMs)).toEqual([]);

    // `w-lost` beats no more; `w-alive` beats just before each look.
    await waitFor('w-lost to be silent for longer than the timeout', async () => {
      const ages = await alive.heartbeatAges();
      return ages.find((h) => h.workerId === 'w-lost')!.seconds * 1000 > timeoutMs;
    });
    await alive.heartbeat('w-alive');
    expect(await alive.reapLost(timeoutMs)).toEqual([lostJob.id]);
    expect(await jobs.get(lostJob.id)).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    expect((await jobs.get(aliveJob.id))?.status).toBe('running');
  });

  it('reaps running jobs whose worker row is gone; concurrent reapers fail each job once', async () => {
    const [a, b] = [await worker('wa'), await worker('wb')];
    for (let i = 0; i < 6; i++) await jobs.create(job, 'queued');
    const byA = [(await a.claim('wa'))!.id, (await a.claim('wa'))!.id, (await a.claim('wa'))!.id];
    const byB = [(await b.claim('wb'))!.id, (await b.claim('wb'))!.id];
    await a.unregisterWorker('wa');
    // A running job that names no worker is lost too.
    const orphan = (await jobs.create(job, 'running')).id;

    const reapers = [new PgJobQueue(pool()), new PgJobQueue(pool()), new PgJobQueue(pool())];
    const reaped = await Promise.all(reapers.map((r) => r.reapLost(60_000)));
    expect(reaped.flat().sort()).toEqual([...byA, orphan].sort());
    expect(new Set(reaped.flat()).size).toBe(reaped.flat().length);
    for (const id of byB) expect((await jobs.get(id))?.status).toBe('running');
    // A finished job is never reaped again.
    expect(await b.reapLost(60_000)).toEqual([]);
  });

  it('carries a cancel request to the worker; only for unfinished jobs', async () => {
    const q = await worker('w1');
    const queued = await jobs.create(job, 'queued');
    const running = (await q.claim('w1'))!;
    expect(running.id).toBe(queued.id);
    expect(await q.isCancelRequested(running.id)).toBe(false);
    expect(await q.requestCancel(running.id)).toBe(true);
    expect(await q.isCancelRequested(running.id)).toBe(true);

    const done = await jobs.create(job, 'succeeded');
    expect(await q.requestCancel(done.id)).toBe(false);
    expect(await q.isCancelRequested(done.id)).toBe(false);
    expect(await q.requestCancel('ftjob-unknown')).toBe(false);
    expect(await q.isCancelRequested('ftjob-unknown')).toBe(false);
  });

  it('reports the queue depth and each worker heartbeat age and claims', async () => {
    const [a, b] = [await worker('wa'), await worker('wb')];
    expect(await a.depth()).toBe(0);
    for (let i = 0; i < 3; i++) await jobs.create(job, 'queued');
    await jobs.create(job, 'running');
    expect(await a.depth()).toBe(3);
    await a.claim('wa');
    expect(await a.depth()).toBe(2);
    await pools[0].query("UPDATE workers SET heartbeat_at = now() - interval '42 seconds' WHERE id = 'wb'");
    const ages = await b.heartbeatAges();
    expect(ages.map((h) => [h.workerId, h.jobsClaimed])).toEqual([
      ['wa', 1],
      ['wb', 0],
    ]);
    expect(ages[0].seconds).toBeGreaterThanOrEqual(0);
    expect(ages[1].seconds).toBeGreaterThanOrEqual(42);
    await b.heartbeat('wb');
    expect((await b.heartbeatAges())[1].seconds).toBeLessThan(42);
    await b.unregisterWorker('wb');
    expect((await b.heartbeatAges()).map((h) => h.workerId)).toEqual(['wa']);
  });

  it('tells the fleet: job_status on claim, transition and reap, job_event per event, job_cancel on request', async () => {
    const listenerPool = pool();
    const publisherPool = pool();
    const listener = new PgNotifier({ url, pool: listenerPool });
    const publisher = new PgNotifier({ url, pool: publisherPool });
    await listener.start();
    await publisher.start();
    try {
      const heard: Array<[NotificationKind, unknown]> = [];
      for (const kind of ['job_status', 'job_event', 'job_cancel'] as const) listener.subscribe(kind, (p) => heard.push([kind, p]));
      const store = new PgJobStore(publisherPool, publisher);
      const queue = new PgJobQueue(publisherPool, publisher);
      await queue.registerWorker({ id: 'w1', host: 'h', pid: 1, device: 'cpu' });

      const { id } = await store.create(job);
      expect(await store.transition(id, ['running'], 'queued')).toBe(false); // did not move: nothing sent
      expect(await store.transition(id, ['validating_files'], 'queued')).toBe(true);
      await queue.claim('w1');
      const event = await store.addEvent(id, 'info', 'Step 1/10');
      await queue.requestCancel(id);
      await queue.unregisterWorker('w1');
      await queue.reapLost(60_000);

      // One session's notifications arrive in order: a stray one (the transition that did not move) would show first.
      await waitFor('five notifications', () => heard.length >= 5);
      expect(heard).toEqual([
        ['job_status', { jobId: id, status: 'queued' }],
        ['job_status', { jobId: id, status: 'running' }],
        ['job_event', { jobId: id, seq: event.seq }],
        ['job_cancel', { jobId: id }],
        ['job_status', { jobId: id, status: 'failed' }],
      ]);
    } finally {
      await listener.close();
      await publisher.close();
    }
  });
});
