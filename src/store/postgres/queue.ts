/**
 * The fine-tuning job queue of a fleet, in the `jobs` table itself: a `queued` job is waiting,
 * a worker claims the oldest one, keeps a heartbeat while it runs it, and a job whose worker stops
 * beating is failed by whichever process reaps first.
 *
 * Why here and not a queue library (SPEC §10 asks for a well-kept one; these two were weighed):
 * - pg-boss: its current release line needs Node ≥ 22 (`npm view pg-boss engines` →
 *   `{ node: '>=22.12.0' }`, release 12.38.1) and Berth runs on Node 20. That line has a job
 *   heartbeat (`heartbeatSeconds`, at least 10 s); the last line that runs on Node 20 (10.x,
 *   `>=20`) has none, only a fixed expiry per job (`expireInSeconds`), which a training run of
 *   unknown length cannot set.
 * - graphile-worker: `npm view graphile-worker engines` → `{ node: '>=22.18.0' }` (0.18.0), and
 *   it frees a dead worker's job only after a fixed 4 hours (`resetLockedAt`: `locked_at < now()
 *   - interval '4 hours'`), where fleet mode must notice a lost worker within a configurable 30 s.
 * Both would also keep a second copy of each job in their own tables, beside the job records the
 * API serves. What is needed fits in a few statements: `SELECT … FOR UPDATE SKIP LOCKED` to claim,
 * a worker row with a heartbeat, and compare-and-set on the job's status everywhere.
 */
import type { Pool } from 'pg';
import { StoreError } from '../database';
import type { StoredJob } from '../job-repository';
import { JOB_COLUMNS, jobFromRow, type JobRow } from '../job-rows';
import { announcing } from './notifier';
import type { Publisher } from './notifier';

export interface WorkerInfo {
  /** Unique per worker process (a restarted process registers under a new id). */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** `cpu`, `cuda`, …: what the worker trains on. */
  readonly device: string;
}

export interface WorkerHeartbeat {
  readonly workerId: string;
  /** Seconds since its last heartbeat. */
  readonly seconds: number;
  readonly jobsClaimed: number;
}

/** The error a reaped job carries. */
export function workerLostError(timeoutMs: number): { code: string; message: string; param: null } {
  const seconds = Number((timeoutMs / 1000).toFixed(3));
  return {
    code: 'worker_lost',
    message: `the worker running this job stopped responding (no heartbeat for ${seconds} s); no version was written`,
    param: null,
  };
}

const NOW_SECONDS = 'floor(extract(epoch from now()))::bigint';

/** `jobs.<column>` for each column a `StoredJob` is read from, for statements that join. */
const QUALIFIED_JOB_COLUMNS = JOB_COLUMNS.split(', ')
  .map((c) => `jobs.${c}`)
  .join(', ');

export class PgJobQueue {
  constructor(
    private readonly pool: Pool,
    private readonly publisher?: Publisher,
  ) {}

  /**
   * Moves the oldest `queued` job to `running` for `workerId`, or answers undefined when none is
   * waiting. Rows locked by another claimer are skipped, so two workers never get the same job and
   * neither waits for the other. The worker must be registered.
   */
  async claim(workerId: string): Promise<StoredJob | undefined> {
    const job = await announcing(this.pool, this.publisher, async (db, announce) => {
      const { rows } = await db.query<JobRow>(
        `WITH worker AS (
           SELECT id FROM workers WHERE id = $1
         ), next AS (
           SELECT jobs.seq FROM jobs, worker
           WHERE jobs.status = 'queued'
           ORDER BY jobs.seq
           LIMIT 1
           FOR UPDATE OF jobs SKIP LOCKED
         ), claimed AS (
           UPDATE jobs SET status = 'running', worker_id = $1, started_at = ${NOW_SECONDS}
           FROM next WHERE jobs.seq = next.seq
           RETURNING ${QUALIFIED_JOB_COLUMNS}
         ), counted AS (
           UPDATE workers SET jobs_claimed = jobs_claimed + 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM claimed)
         )
         SELECT * FROM claimed`,
        [workerId],
      );
      if (rows.length === 0) return undefined;
      await announce('job_status', { jobId: rows[0].id, status: 'running' });
      return jobFromRow(rows[0]);
    });
    if (!job) {
      const known = await this.pool.query('SELECT 1 FROM workers WHERE id = $1', [workerId]);
      if (known.rowCount === 0)
        throw new StoreError(`worker ${workerId} is not registered (or was reaped as lost): register it before claiming`);
    }
    return job;
  }

  /** Records a worker (again: a known id starts a new life, its count and times reset). */
  async registerWorker(worker: WorkerInfo): Promise<void> {
    await this.pool.query(
      `INSERT INTO workers (id, host, pid, device) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, device = excluded.device,
         started_at = now(), heartbeat_at = now(), jobs_claimed = 0`,
      [worker.id, worker.host, worker.pid, worker.device],
    );
  }

  /**
   * Says the worker is alive (the database's clock, so hosts' clocks need not agree). False when
   * its row is gone: it was reaped as lost, its jobs failed; it must abandon them and register again.
   */
  async heartbeat(workerId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE workers SET heartbeat_at = now() WHERE id = $1', [workerId]);
    return (rowCount ?? 0) > 0;
  }

  /** Removes the worker. Jobs it still runs are then lost: the next `reapLost` fails them. */
  async unregisterWorker(workerId: string): Promise<void> {
    await this.pool.query('DELETE FROM workers WHERE id = $1', [workerId]);
  }

  /**
   * Fails every `running` job whose worker's heartbeat is older than `timeoutMs`, or whose worker
   * row is gone (or that names no worker), with `worker_lost`; removes those workers' rows. One
   * statement (with its notifications, in one transaction): every process may call it at once, and
   * each job is failed, and returned, once.
   */
  async reapLost(timeoutMs: number): Promise<string[]> {
    if (!(timeoutMs >= 0)) throw new StoreError(`the heartbeat timeout must be a non-negative number of ms, got ${timeoutMs}`);
    return announcing(this.pool, this.publisher, async (db, announce) => {
      const { rows } = await db.query<{ id: string }>(
        `WITH lost AS (
           DELETE FROM workers WHERE heartbeat_at < now() - $1::float8 * interval '1 millisecond' RETURNING id
         )
         UPDATE jobs SET status = 'failed', error = $2::jsonb, finished_at = ${NOW_SECONDS}
         WHERE status = 'running'
           AND (worker_id IS NULL
                OR worker_id IN (SELECT id FROM lost)
                OR NOT EXISTS (SELECT 1 FROM workers WHERE workers.id = jobs.worker_id))
         RETURNING id`,
        [timeoutMs, JSON.stringify(workerLostError(timeoutMs))],
      );
      for (const { id } of rows) await announce('job_status', { jobId: id, status: 'failed' });
      return rows.map((r) => r.id);
    });
  }

  /**
   * Asks the worker running the job to stop (it polls `isCancelRequested`, and hears `job_cancel`).
   * False when the job is unknown or already finished.
   */
  async requestCancel(jobId: string): Promise<boolean> {
    return announcing(this.pool, this.publisher, async (db, announce) => {
      const { rowCount } = await db.query(
        "UPDATE jobs SET cancel_requested = true WHERE id = $1 AND status IN ('validating_files', 'queued', 'running')",
        [jobId],
      );
      const requested = (rowCount ?? 0) > 0;
      if (requested) await announce('job_cancel', { jobId });
      return requested;
    });
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM jobs WHERE id = $1', [jobId]);
    return rows[0]?.cancel_requested ?? false;
  }

  /** Jobs waiting to be claimed. */
  async depth(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE status = 'queued'");
    return rows[0].n;
  }

  /** Each registered worker's heartbeat age, by worker id. */
  async heartbeatAges(): Promise<WorkerHeartbeat[]> {
    const { rows } = await this.pool.query<{ id: string; seconds: number; jobs_claimed: number }>(
      'SELECT id, extract(epoch from now() - heartbeat_at)::float8 AS seconds, jobs_claimed FROM workers ORDER BY id',
    );
    return rows.map((r) => ({ workerId: r.id, seconds: r.seconds, jobsClaimed: r.jobs_claimed }));
  }
}
