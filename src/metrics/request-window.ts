/**
 * The last minute of served requests per model, for a live view (requests per second, p95) that a
 * page can read as JSON without parsing the Prometheus text format or keeping its own history.
 * Prometheus' histograms stay the source for dashboards; this is a bounded ring per model: the
 * newest `capacity` requests, and of those only the ones inside the window count.
 */

export interface ModelTraffic {
  model: string;
  /** Requests answered inside the window. */
  requests: number;
  /** Of those, answered with a 4xx or 5xx status. */
  errors: number;
  /** requests / window seconds. */
  requests_per_second: number;
  /** Nearest-rank 95th percentile of the answered requests' durations, in seconds (null when none). */
  p95_seconds: number | null;
}

class Ring {
  private readonly at: Float64Array;
  private readonly seconds: Float64Array;
  private readonly failed: Uint8Array;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.at = new Float64Array(capacity);
    this.seconds = new Float64Array(capacity);
    this.failed = new Uint8Array(capacity);
  }

  push(atMs: number, seconds: number, failed: boolean): void {
    this.at[this.next] = atMs;
    this.seconds[this.next] = seconds;
    this.failed[this.next] = failed ? 1 : 0;
    this.next = (this.next + 1) % this.at.length;
    this.size = Math.min(this.size + 1, this.at.length);
  }

  /** Durations and failure count of the entries at or after `sinceMs`. */
  since(sinceMs: number): { durations: number[]; errors: number } {
    const durations: number[] = [];
    let errors = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.at[i] < sinceMs) continue;
      durations.push(this.seconds[i]);
      errors += this.failed[i];
    }
    return { durations, errors };
  }
}

export class RequestWindow {
  private readonly rings = new Map<string, Ring>();

  constructor(
    readonly windowSeconds = 60,
    private readonly capacity = 4096,
    private readonly now: () => number = Date.now,
  ) {}

  record(model: string, seconds: number, failed: boolean): void {
    let ring = this.rings.get(model);
    if (!ring) this.rings.set(model, (ring = new Ring(this.capacity)));
    ring.push(this.now(), seconds, failed);
  }

  /** Every model seen since start, by name; a model idle for the whole window reports zeros. */
  summary(): ModelTraffic[] {
    const since = this.now() - this.windowSeconds * 1000;
    return [...this.rings.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([model, ring]) => {
        const { durations, errors } = ring.since(since);
        durations.sort((a, b) => a - b);
        const p95 = durations.length === 0 ? null : durations[Math.max(0, Math.ceil(0.95 * durations.length) - 1)];
        return { model, requests: durations.length, errors, requests_per_second: durations.length / this.windowSeconds, p95_seconds: p95 };
      });
  }
}
