/** `GET /metrics/summary`: the last minute of traffic per model, as JSON. */

export class ModelTrafficDto {
  model!: string;
  /** Requests answered inside the window. */
  requests!: number;
  /** Of those, answered with a 4xx or 5xx status. */
  errors!: number;
  /** Requests inside the window divided by its length. */
  requests_per_second!: number;
  /** Nearest-rank 95th percentile of the request durations inside the window, in seconds; null when there were none. */
  p95_seconds!: number | null;
}

export class MetricsSummaryDto {
  /** Length of the window, in seconds. */
  window_seconds!: number;
  /** Every model that has answered a request since the server started, by name. */
  models!: ModelTrafficDto[];
}
