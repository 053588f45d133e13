import type { Db } from './database';
import type { ListPage } from './file-repository';
import { newId, unixNow } from './ids';
import { JOB_JSON_FIELDS, JOB_UPDATE_COLUMNS, jobFromRow } from './job-rows';

export const JOB_STATUSES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINISHED_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

/** The resolved training request, as the runner hands it to the trainer. */
export interface StoredJob {
  readonly id: string;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly status: JobStatus;
  /** The base model (its active version at the time the job starts). */
  readonly model: string;
  /** The trainer task: classification, nli, ner or qa. */
  readonly task: string;
  readonly trainingFile: string;
  readonly validationFile: string | null;
  readonly method: string;
  /** Resolved hyperparameters (Berth names; defaults filled). */
  readonly hyperparameters: Record<string, unknown>;
  readonly seed: number;
  readonly suffix: string | null;
  readonly metadata: Record<string, string> | null;
  readonly autoActivate: boolean;
  /** The model the new version is registered under (the base, or `<base>-ft-<suffix>`). */
  readonly targetModel: string;
  readonly fineTunedModel: string | null;
  readonly version: number | null;
  readonly trainedTokens: number | null;
  readonly error: JobError | null;
  /** Latest progress (step, total steps, loss, lr, examples/s, ETA). */
  readonly progress: Record<string, unknown> | null;
  /** Outcome details: selected metrics, activation decision. */
  readonly result: Record<string, unknown> | null;
}

export type NewJob = Pick<
  StoredJob,
  | 'model'
  | 'task'
  | 'trainingFile'
  | 'validationFile'
  | 'method'
  | 'hyperparameters'
  | 'seed'
  | 'suffix'
  | 'metadata'
  | 'autoActivate'
  | 'targetModel'
>;

interface JobRow {
  id: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  status: string;
  model: string;
  task: string;
  training_file: string;
  validation_file: string | null;
  method: string;
  hyperparameters: string;
  seed: number;
  suffix: string | null;
  metadata: string | null;
  auto_activate: number;
  target_model: string;
  fine_tuned_model: string | null;
  version: number | null;
  trained_tokens: number | null;
  error: string | null;
  progress: string | null;
  result: string | null;
}

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** The SQLite row decoded into the shape both databases share (JSON text parsed, the flag a boolean). */
const fromRow = (r: JobRow): StoredJob =>
  jobFromRow({
    ...r,
    hyperparameters: JSON.parse(r.hyperparameters) as Record<string, unknown>,
    metadata: json(r.metadata),
    auto_activate: r.auto_activate === 1,
    error: json(r.error),
    progress: json(r.progress),
    result: json(r.result),
  });

export type EventLevel = 'info' | 'warn' | 'error';
export type EventType = 'message' | 'metrics';

export interface StoredEvent {
  /** Monotonic per database: the SSE id and the pagination cursor. */
  readonly seq: number;
  readonly id: string;
  readonly jobId: string;
  readonly createdAt: number;
  readonly level: EventLevel;
  readonly type: EventType;
  readonly message: string;
  readonly data: Record<string, unknown> | null;
}

export interface StoredCheckpoint {
  readonly id: string;
  readonly jobId: string;
  readonly createdAt: number;
  readonly step: number;
  readonly epoch: number;
  readonly metrics: Record<string, unknown>;
  readonly selected: boolean;
}

/** The fields a status change may set with it. */
export type JobUpdate = Partial<
  Pick<StoredJob, 'startedAt' | 'finishedAt' | 'fineTunedModel' | 'version' | 'trainedTokens' | 'error' | 'progress' | 'result'>
>;

export class JobRepository {
  constructor(private readonly db: Db) {}

  create(job: NewJob, status: JobStatus = 'validating_files'): StoredJob {
    const id = newId('ftjob');
    this.db
      .prepare(
        `INSERT INTO jobs (id, created_at, status, model, task, training_file, validation_file, method, hyperparameters, seed, suffix, metadata, auto_activate, target_model)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
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
        job.autoActivate ? 1 : 0,
        job.targetModel,
      );
    return this.get(id) as StoredJob;
  }

  get(id: string): StoredJob | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && fromRow(row);
  }

  /** Newest first; `after` is the id of the last job already seen. */
  list(options: { limit: number; after?: string }): ListPage<StoredJob> {
    let rows: JobRow[];
    if (options.after) {
      const anchor = this.db.prepare('SELECT seq FROM jobs WHERE id = ?').get(options.after) as { seq: number } | undefined;
      if (!anchor) return { data: [], hasMore: false };
      rows = this.db.prepare('SELECT * FROM jobs WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(anchor.seq, options.limit + 1) as JobRow[];
    } else {
      rows = this.db.prepare('SELECT * FROM jobs ORDER BY seq DESC LIMIT ?').all(options.limit + 1) as JobRow[];
    }
    return { data: rows.slice(0, options.limit).map(fromRow), hasMore: rows.length > options.limit };
  }

  withStatus(...statuses: JobStatus[]): StoredJob[] {
    const marks = statuses.map(() => '?').join(', ');
    return (this.db.prepare(`SELECT * FROM jobs WHERE status IN (${marks}) ORDER BY seq`).all(...statuses) as JobRow[]).map(fromRow);
  }

  countByStatus(): Record<JobStatus, number> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as Array<{
      status: JobStatus;
      n: number;
    }>) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  /**
   * Moves a job to `status` only from one of `from` (compare-and-set), so that a cancel racing a
   * finishing run cannot resurrect or double-finish a job. Returns whether it moved.
   */
  transition(id: string, from: readonly JobStatus[], status: JobStatus, update: JobUpdate = {}): boolean {
    const sets = ['status = ?'];
    const params: unknown[] = [status];
    for (const [key, value] of Object.entries(update) as Array<[keyof JobUpdate, unknown]>) {
      sets.push(`${JOB_UPDATE_COLUMNS[key]} = ?`);
      params.push(JOB_JSON_FIELDS.has(key) ? (value === null ? null : JSON.stringify(value)) : value);
    }
    const marks = from.map(() => '?').join(', ');
    return (
      this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ? AND status IN (${marks})`).run(...params, id, ...from).changes > 0
    );
  }

  update(id: string, update: JobUpdate): void {
    const entries = Object.entries(update) as Array<[keyof JobUpdate, unknown]>;
    if (entries.length === 0) return;
    const sets = entries.map(([key]) => `${JOB_UPDATE_COLUMNS[key]} = ?`);
    const params = entries.map(([key, value]) => (JOB_JSON_FIELDS.has(key) ? (value === null ? null : JSON.stringify(value)) : value));
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
  }

  // ---- events ---------------------------------------------------------------------------------

  addEvent(
    jobId: string,
    level: EventLevel,
    message: string,
    data: Record<string, unknown> | null = null,
    type: EventType = 'message',
  ): StoredEvent {
    const createdAt = unixNow();
    const info = this.db
      .prepare('INSERT INTO job_events (job_id, created_at, level, type, message, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(jobId, createdAt, level, type, message, data === null ? null : JSON.stringify(data));
    const seq = Number(info.lastInsertRowid);
    return { seq, id: eventId(seq), jobId, createdAt, level, type, message, data };
  }

  /** Newest first (as the OpenAI API lists events); `after` is the id of the last event already seen. */
  listEvents(jobId: string, options: { limit: number; after?: string }): ListPage<StoredEvent> {
    const afterSeq = options.after === undefined ? undefined : seqOfEventId(options.after);
    const rows = (
      afterSeq === undefined
        ? this.db.prepare('SELECT * FROM job_events WHERE job_id = ? ORDER BY seq DESC LIMIT ?').all(jobId, options.limit + 1)
        : this.db
            .prepare('SELECT * FROM job_events WHERE job_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
            .all(jobId, afterSeq, options.limit + 1)
    ) as EventRow[];
    return { data: rows.slice(0, options.limit).map(eventFromRow), hasMore: rows.length > options.limit };
  }

  /** Oldest first, strictly after `seq` (for streams that resume). */
  eventsSince(jobId: string, seq: number): StoredEvent[] {
    return (this.db.prepare('SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq').all(jobId, seq) as EventRow[]).map(
      eventFromRow,
    );
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  addCheckpoint(jobId: string, step: number, epoch: number, metrics: Record<string, unknown>, selected: boolean): StoredCheckpoint {
    const id = newId('ftckpt');
    const createdAt = unixNow();
    this.db.transaction(() => {
      // Only one checkpoint of a job is the selected (best so far) one.
      if (selected) this.db.prepare('UPDATE job_checkpoints SET selected = 0 WHERE job_id = ?').run(jobId);
      this.db
        .prepare('INSERT INTO job_checkpoints (id, job_id, created_at, step, epoch, metrics, selected) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, jobId, createdAt, step, epoch, JSON.stringify(metrics), selected ? 1 : 0);
    })();
    return { id, jobId, createdAt, step, epoch, metrics, selected };
  }

  /** Newest first; `after` is the id of the last checkpoint already seen. */
  listCheckpoints(jobId: string, options: { limit: number; after?: string }): ListPage<StoredCheckpoint> {
    let rows: CheckpointRow[];
    if (options.after) {
      const anchor = this.db.prepare('SELECT seq FROM job_checkpoints WHERE id = ?').get(options.after) as { seq: number } | undefined;
      if (!anchor) return { data: [], hasMore: false };
      rows = this.db
        .prepare('SELECT * FROM job_checkpoints WHERE job_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .all(jobId, anchor.seq, options.limit + 1) as CheckpointRow[];
    } else {
      rows = this.db
        .prepare('SELECT * FROM job_checkpoints WHERE job_id = ? ORDER BY seq DESC LIMIT ?')
        .all(jobId, options.limit + 1) as CheckpointRow[];
    }
    return {
      data: rows.slice(0, options.limit).map((r) => ({
        id: r.id,
        jobId: r.job_id,
        createdAt: r.created_at,
        step: r.step,
        epoch: r.epoch,
        metrics: JSON.parse(r.metrics) as Record<string, unknown>,
        selected: r.selected === 1,
      })),
      hasMore: rows.length > options.limit,
    };
  }
}

interface EventRow {
  seq: number;
  job_id: string;
  created_at: number;
  level: string;
  type: string;
  message: string;
  data: string | null;
}

interface CheckpointRow {
  id: string;
  job_id: string;
  created_at: number;
  step: number;
  epoch: number;
  metrics: string;
  selected: number;
}

const eventFromRow = (r: EventRow): StoredEvent => ({
  seq: r.seq,
  id: eventId(r.seq),
  jobId: r.job_id,
  createdAt: r.created_at,
  level: r.level as EventLevel,
  type: r.type as EventType,
  message: r.message,
  data: json(r.data),
});

/** Event ids carry their sequence number, so a cursor needs no lookup. */
export function eventId(seq: number): string {
  return `ftevent-${String(seq).padStart(12, '0')}`;
}

export function seqOfEventId(id: string): number | undefined {
  const m = /^ftevent-(\d{1,15})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}
