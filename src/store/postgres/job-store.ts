/**
 * Fine-tuning jobs, their events and checkpoints in PostgreSQL, with the semantics of the SQLite
 * repository: newest-first listings with `after` cursors, compare-and-set transitions, event ids
 * `ftevent-<seq>`, one selected checkpoint per job.
 *
 * Given a publisher, it tells the fleet what changed, in the transaction that changes it (delivered
 * at commit): `job_event` for each stored event, `job_status` for each transition that happened.
 */
import type { JobStore } from '../contracts';
import type { ListPage } from '../file-repository';
import { newId, unixNow } from '../ids';
import { JOB_STATUSES, eventId, seqOfEventId } from '../job-repository';
import type { EventLevel, EventType, JobStatus, JobUpdate, NewJob, StoredCheckpoint, StoredEvent, StoredJob } from '../job-repository';
import { JOB_COLUMNS, JOB_JSON_FIELDS, JOB_UPDATE_COLUMNS, jobFromRow, type JobRow } from '../job-rows';
import { inTransaction } from './connection';
import { announcing } from './notifier';
import type { Publisher } from './notifier';
import type { Pool } from 'pg';

/** `SET` clauses for an update, numbered from `$first`, and their values. */
function setClauses(update: JobUpdate, first: number): { sets: string[]; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(update) as Array<[keyof JobUpdate, unknown]>) {
    // As in SQLite, a key present with `undefined` clears the column.
    const json = JOB_JSON_FIELDS.has(key);
    params.push(json && value != null ? JSON.stringify(value) : (value ?? null));
    sets.push(`${JOB_UPDATE_COLUMNS[key]} = $${first + params.length - 1}${json ? '::jsonb' : ''}`);
  }
  return { sets, params };
}

interface EventRow {
  seq: number;
  job_id: string;
  created_at: number;
  level: string;
  type: string;
  message: string;
  data: Record<string, unknown> | null;
}

const eventFromRow = (r: EventRow): StoredEvent => ({
  seq: r.seq,
  id: eventId(r.seq),
  jobId: r.job_id,
  createdAt: r.created_at,
  level: r.level as EventLevel,
  type: r.type as EventType,
  message: r.message,
  data: r.data,
});

interface CheckpointRow {
  id: string;
  job_id: string;
  created_at: number;
  step: number;
  epoch: number;
  metrics: Record<string, unknown>;
  selected: boolean;
}

const checkpointFromRow = (r: CheckpointRow): StoredCheckpoint => ({
  id: r.id,
  jobId: r.job_id,
  createdAt: r.created_at,
  step: r.step,
  epoch: r.epoch,
  metrics: r.metrics,
  selected: r.selected,
});

const page = <R, T>(rows: R[], limit: number, map: (r: R) => T): ListPage<T> => ({
  data: rows.slice(0, limit).map(map),
  hasMore: rows.length > limit,
});

export class PgJobStore implements JobStore {
  constructor(
    private readonly pool: Pool,
    private readonly publisher?: Publisher,
  ) {}

  async create(job: NewJob, status: JobStatus = 'validating_files'): Promise<StoredJob> {
    const { rows } = await this.pool.query<JobRow>(
      `INSERT INTO jobs (id, created_at, status, model, task, training_file, validation_file, method, hyperparameters, seed, suffix, metadata, auto_activate, target_model)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb, $13, $14)
       RETURNING ${JOB_COLUMNS}`,
      [
        newId('ftjob'),
        unixNow(),
        status,
        job.model,
        job.task,
        job.trainingFile,
        job.validationFile,
        job.method,
        JSON.stringify(job.hyperparameters),
        job.seed,
        job.suffix,
        job.metadata === null ? null : JSON.stringify(job.metadata),
        job.autoActivate,
        job.targetModel,
      ],
    );
    return jobFromRow(rows[0]);
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const { rows } = await this.pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return rows[0] && jobFromRow(rows[0]);
  }

  async list(options: { limit: number; after?: string }): Promise<ListPage<StoredJob>> {
    if (options.after) {
      const { rows } = await this.pool.query<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM jobs WHERE seq < (SELECT seq FROM jobs WHERE id = $1) ORDER BY seq DESC LIMIT $2`,
        [options.after, options.limit + 1],
      );
      // An unknown cursor compares with NULL: no rows, as SQLite answers an unknown anchor.
      return page(rows, options.limit, jobFromRow);
    }
    const { rows } = await this.pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT $1`, [options.limit + 1]);
    return page(rows, options.limit, jobFromRow);
  }

  async withStatus(...statuses: JobStatus[]): Promise<StoredJob[]> {
    const { rows } = await this.pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE status = ANY($1::text[]) ORDER BY seq`, [
      statuses,
    ]);
    return rows.map(jobFromRow);
  }

  async countByStatus(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    const { rows } = await this.pool.query<{ status: JobStatus; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status');
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async transition(id: string, from: readonly JobStatus[], status: JobStatus, update: JobUpdate = {}): Promise<boolean> {
    const { sets, params } = setClauses(update, 4);
    return announcing(this.pool, this.publisher, async (db, announce) => {
      const { rowCount } = await db.query(
        `UPDATE jobs SET ${['status = $3', ...sets].join(', ')} WHERE id = $1 AND status = ANY($2::text[])`,
        [id, [...from], status, ...params],
      );
      const moved = (rowCount ?? 0) > 0;
      if (moved) await announce('job_status', { jobId: id, status });
      return moved;
    });
  }

  async update(id: string, update: JobUpdate): Promise<void> {
    const { sets, params } = setClauses(update, 2);
    if (sets.length === 0) return;
    await this.pool.query(`UPDATE jobs SET ${sets.join(', ')} WHERE id = $1`, [id, ...params]);
  }

  // ---- events ---------------------------------------------------------------------------------

  async addEvent(
    jobId: string,
    level: EventLevel,
    message: string,
    data: Record<string, unknown> | null = null,
    type: EventType = 'message',
  ): Promise<StoredEvent> {
    const createdAt = unixNow();
    const seq = await announcing(this.pool, this.publisher, async (db, announce) => {
      const { rows } = await db.query<{ seq: number }>(
        'INSERT INTO job_events (job_id, created_at, level, type, message, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING seq',
        [jobId, createdAt, level, type, message, data === null ? null : JSON.stringify(data)],
      );
      await announce('job_event', { jobId, seq: rows[0].seq });
      return rows[0].seq;
    });
    return { seq, id: eventId(seq), jobId, createdAt, level, type, message, data };
  }

  async listEvents(jobId: string, options: { limit: number; after?: string }): Promise<ListPage<StoredEvent>> {
    // As in SQLite: a cursor that is not an event id lists from the newest.
    const afterSeq = options.after === undefined ? undefined : seqOfEventId(options.after);
    const { rows } =
      afterSeq === undefined
        ? await this.pool.query<EventRow>('SELECT * FROM job_events WHERE job_id = $1 ORDER BY seq DESC LIMIT $2', [
            jobId,
            options.limit + 1,
          ])
        : await this.pool.query<EventRow>('SELECT * FROM job_events WHERE job_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3', [
            jobId,
            afterSeq,
            options.limit + 1,
          ]);
    return page(rows, options.limit, eventFromRow);
  }

  async eventsSince(jobId: string, seq: number): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>('SELECT * FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq', [jobId, seq]);
    return rows.map(eventFromRow);
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  async addCheckpoint(
    jobId: string,
    step: number,
    epoch: number,
    metrics: Record<string, unknown>,
    selected: boolean,
  ): Promise<StoredCheckpoint> {
    const id = newId('ftckpt');
    const createdAt = unixNow();
    await inTransaction(this.pool, async (client) => {
      // Only one checkpoint of a job is the selected (best so far) one. Locking the job's row
      // serialises two writers selecting at once.
      if (selected) {
        await client.query('SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
        await client.query('UPDATE job_checkpoints SET selected = false WHERE job_id = $1 AND selected', [jobId]);
      }
      await client.query(
        'INSERT INTO job_checkpoints (id, job_id, created_at, step, epoch, metrics, selected) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)',
        [id, jobId, createdAt, step, epoch, JSON.stringify(metrics), selected],
      );
    });
    return { id, jobId, createdAt, step, epoch, metrics, selected };
  }

  async listCheckpoints(jobId: string, options: { limit: number; after?: string }): Promise<ListPage<StoredCheckpoint>> {
    const { rows } = options.after
      ? await this.pool.query<CheckpointRow>(
          `SELECT * FROM job_checkpoints WHERE job_id = $1 AND seq < (SELECT seq FROM job_checkpoints WHERE id = $2) ORDER BY seq DESC LIMIT $3`,
          [jobId, options.after, options.limit + 1],
        )
      : await this.pool.query<CheckpointRow>('SELECT * FROM job_checkpoints WHERE job_id = $1 ORDER BY seq DESC LIMIT $2', [
          jobId,
          options.limit + 1,
        ]);
    return page(rows, options.limit, checkpointFromRow);
  }
}
