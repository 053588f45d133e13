import { hostname } from 'node:os';
import type { StoredJob } from '../store';
import type { PostgresStore } from '../store/postgres';

/**
 * What the job runner needs in fleet mode (`BERTH_DATABASE_URL`), where jobs wait in PostgreSQL
 * and any worker of the fleet may run them: claims by exactly one worker, a heartbeat that tells
 * the fleet this worker is alive, cancels and events that reach every process.
 */
export interface FleetQueue {
  readonly workerId: string;
  /** `api` never trains (it only queues, cancels and streams); `worker` and `all` claim jobs. */
  readonly trains: boolean;
  /** A worker silent this long is lost: its job fails `worker_lost`. */
  readonly heartbeatTimeoutMs: number;
  registerWorker(): Promise<void>;
  unregisterWorker(): Promise<void>;
  /** False when this worker was declared lost meanwhile (its jobs already failed): stop them. */
  heartbeat(): Promise<boolean>;
  /** The oldest queued job, now `running` and this worker's; undefined when none waits. */
  claim(): Promise<StoredJob | undefined>;
  reapLost(): Promise<string[]>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  requestCancel(jobId: string): Promise<void>;
  isCancelRequested(jobId: string): Promise<boolean>;
  /** A job became `queued` somewhere in the fleet. */
  onQueued(listener: () => void): () => void;
  /** A cancel was requested for `jobId` somewhere in the fleet. */
  onCancel(listener: (jobId: string) => void): () => void;
  /** Something happened to `jobId` (an event stored, a status changed) somewhere in the fleet. */
  onJobChange(jobId: string, listener: () => void): () => void;
}

/** The fleet queue over PostgreSQL: `PgJobQueue` for claims and heartbeats, `PgNotifier` for news. */
export function postgresFleetQueue(
  store: PostgresStore,
  options: { workerId: string; trains: boolean; heartbeatTimeoutMs: number; device: string },
): FleetQueue {
  const { queue, notifier } = store;
  const { workerId } = options;
  return {
    workerId,
    trains: options.trains,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    registerWorker: () => queue.registerWorker({ id: workerId, host: hostname(), pid: process.pid, device: options.device }),
    unregisterWorker: () => queue.unregisterWorker(workerId),
    heartbeat: () => queue.heartbeat(workerId),
    claim: () => queue.claim(workerId),
    reapLost: () => queue.reapLost(options.heartbeatTimeoutMs),
    ping: async () => {
      await queue.depth();
    },
    requestCancel: async (jobId) => {
      await queue.requestCancel(jobId);
    },
    isCancelRequested: (jobId) => queue.isCancelRequested(jobId),
    onQueued: (listener) => notifier.subscribe('job_status', ({ status }) => status === 'queued' && listener()),
    onCancel: (listener) => notifier.subscribe('job_cancel', ({ jobId }) => listener(jobId)),
    onJobChange: (jobId, listener) => {
      const stops = [
        notifier.subscribe('job_event', (p) => p.jobId === jobId && listener()),
        notifier.subscribe('job_status', (p) => p.jobId === jobId && listener()),
        notifier.onReconnect(listener),
      ];
      return () => stops.forEach((stop) => stop());
    },
  };
}
