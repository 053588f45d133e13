import type { FleetQueue } from './fleet-queue';

/** What the fleet driver asks of the job runner it drives. */
export interface FleetRuns {
  readonly stopped: boolean;
  hasFreeSlot(): boolean;
  runningIds(): string[];
  abort(jobId: string, reason?: string): void;
  /** Runs a job this worker has claimed (it is `running` and this worker's already). */
  runClaimed(jobId: string): void;
  log(jobId: string, level: 'info', message: string): Promise<void>;
  /** Writes the last event of a job failed by the reaper (`worker_lost`). */
  failedElsewhere(jobId: string): Promise<void>;
}

/**
 * The job runner's part in a fleet. Every process reaps jobs whose worker went silent; a process
 * that trains registers as a worker, beats its heart, stops the runs of a job cancelled anywhere,
 * and claims a job whenever one is announced (and every second, in case an announcement was
 * missed). A database outage pauses claims, heartbeats and reaping; they resume with it, and the
 * first reap after an outage waits one beat, so that no worker is judged by a silence that was
 * the database's.
 */
export class FleetDriver {
  private readonly stops: Array<() => void> = [];
  private claiming = false;
  private reachable = true;

  constructor(
    private readonly fleet: FleetQueue,
    private readonly runs: FleetRuns,
  ) {}

  async start(): Promise<void> {
    const fleet = this.fleet;
    // A quarter of the timeout, and at most 5 s: a cancel whose announcement was lost still
    // reaches the worker within 5 s, at its next beat.
    const beat = Math.max(200, Math.min(5000, Math.floor(fleet.heartbeatTimeoutMs / 4)));
    if (fleet.trains) {
      // A worker restarted under its id: whatever its previous life was running is lost.
      await fleet.unregisterWorker();
      await this.reap();
      await fleet.registerWorker();
      this.stops.push(fleet.onQueued(() => void this.claim()));
      this.stops.push(fleet.onCancel((jobId) => this.runs.abort(jobId)));
      this.every(beat, () => this.beat());
      this.every(1000, () => this.claim());
      void this.claim();
    }
    this.every(beat, () => this.reapAfterOutage());
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Asks whichever worker runs the job to stop it. */
  requestCancel(jobId: string): Promise<void> {
    return this.fleet.requestCancel(jobId);
  }

  async unregister(): Promise<void> {
    if (this.fleet.trains) await this.fleet.unregisterWorker().catch(() => undefined);
  }

  async claim(): Promise<void> {
    if (!this.fleet.trains || this.claiming || this.runs.stopped) return;
    this.claiming = true;
    try {
      while (!this.runs.stopped && this.runs.hasFreeSlot()) {
        const job = await this.fleet.claim().catch(() => undefined);
        if (!job) break;
        await this.runs.log(job.id, 'info', `Claimed by worker ${this.fleet.workerId}`);
        this.runs.runClaimed(job.id);
      }
    } finally {
      this.claiming = false;
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task().catch(() => undefined), ms);
    timer.unref();
    this.stops.push(() => clearInterval(timer));
  }

  /** The heartbeat; a worker declared lost meanwhile stops its runs (their jobs already failed) and starts a new life. */
  private async beat(): Promise<void> {
    const alive = await this.fleet.heartbeat();
    for (const jobId of this.runs.runningIds()) {
      if (!alive) this.runs.abort(jobId, 'lost');
      else if (await this.fleet.isCancelRequested(jobId)) this.runs.abort(jobId);
    }
    if (!alive) await this.fleet.registerWorker();
  }

  private async reapAfterOutage(): Promise<void> {
    const ok = await this.fleet.ping().then(
      () => true,
      () => false,
    );
    const wasReachable = this.reachable;
    this.reachable = ok;
    if (ok && wasReachable) await this.reap();
  }

  /** The process whose statement failed a job (exactly one) writes its last event. */
  private async reap(): Promise<void> {
    for (const jobId of await this.fleet.reapLost()) await this.runs.failedElsewhere(jobId);
  }
}
