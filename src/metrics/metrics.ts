import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestWindow } from './request-window';

/**
 * Every metric Berth exports, defined once. Each app instance owns its registry, so tests can run
 * several apps in one process without "metric already registered" clashes.
 *
 * Request metrics are recorded in exactly one place (`recordRequest`, called once per response by
 * the HTTP layer); batch, queue and model metrics come from the serving core through its
 * `ServingObserver` hooks, job metrics from the job runner through its `FineTuningObserver` hooks.
 * Nothing else writes to these. This file imports nothing of Berth's: it states the label values
 * it exports itself, and metrics.spec.ts holds them equal to the domain's (and BerthMetrics
 * assignable to both observer interfaces).
 */

/** The `status` label of berth_fine_tuning_jobs: every job status, each exported from the start. */
export const JOB_STATUS_LABELS = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatusLabel = (typeof JOB_STATUS_LABELS)[number];
/** The `event` label of berth_model_lifecycle_events_total. */
export type LifecycleEventLabel = 'rollback' | 'unload' | 'load';
/** The `reason` label of berth_rejected_requests_total. */
export type RejectionLabel = 'overloaded' | 'client_closed';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const BATCH_TOKEN_BUCKETS = [16, 64, 256, 1024, 4096, 16384, 65536];
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Jobs whose loss and throughput series are kept; older jobs' series are dropped (bounded cardinality). */
const TRAINING_SERIES_JOBS = 8;

/**
 * What fleet mode's gauges read from the database on each scrape (queue depth, worker heartbeats,
 * the registry's active versions). A scrape while the database is down keeps the last values.
 */
export interface FleetMetricsSource {
  queueDepth(): Promise<number>;
  workers(): Promise<ReadonlyArray<{ workerId: string; seconds: number; jobsClaimed: number }>>;
  registryVersions(): Promise<ReadonlyMap<string, number>>;
}

export interface RequestRecord {
  /** The route pattern (`/v1/classify`, `/models/:model`), never the raw URL. */
  route: string;
  method: string;
  status: number;
  /** Empty when no model was resolved (bad input, unknown model). */
  model: string;
  task: string;
  seconds: number;
  /** Stage timings of a served inference request. */
  stages?: { tokenizationSeconds: number; queueSeconds: number; inferenceSeconds: number };
}

export class BerthMetrics {
  readonly registry = new Registry();
  /** The last minute of requests per model, for GET /metrics/summary (the console's live view). */
  readonly recent = new RequestWindow();

  readonly requests = new Counter({
    name: 'berth_requests_total',
    help: 'HTTP requests answered, by route pattern, model, task and status code.',
    labelNames: ['route', 'method', 'model', 'task', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'berth_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by route pattern, model, task and status code.',
    labelNames: ['route', 'model', 'task', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly tokenizationDuration = new Histogram({
    name: 'berth_tokenization_duration_seconds',
    help: 'Tokenization time per served inference request.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly queueDuration = new Histogram({
    name: 'berth_queue_duration_seconds',
    help: 'Time a request waited in the batch queue before its batch ran.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly inferenceDuration = new Histogram({
    name: 'berth_batch_inference_duration_seconds',
    help: 'ONNX Runtime time per batch.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'berth_batch_size',
    help: 'Sequences per batch run.',
    labelNames: ['model'] as const,
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });
  readonly batchTokens = new Histogram({
    name: 'berth_batch_tokens',
    help: 'Padded tokens per batch run (batch size times longest sequence).',
    labelNames: ['model'] as const,
    buckets: BATCH_TOKEN_BUCKETS,
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'berth_tokens_total',
    help: 'Real (unpadded) tokens run through a model.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly paddedTokens = new Counter({
    name: 'berth_padded_tokens_total',
    help: 'Tokens run including padding; with berth_tokens_total it gives the padding overhead.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly modelLoad = new Histogram({
    name: 'berth_model_load_duration_seconds',
    help: 'Time to load and warm a model version.',
    labelNames: ['model'] as const,
    buckets: LOAD_BUCKETS,
    registers: [this.registry],
  });
  readonly activeVersionGauge = new Gauge({
    name: 'berth_model_active_version',
    help: 'The version each model currently serves.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly swaps = new Counter({
    name: 'berth_model_swaps_total',
    help: 'Active-version changes (activations and rollbacks).',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly swapDuration = new Histogram({
    name: 'berth_model_swap_duration_seconds',
    help: 'Time from activation request to the pointer flip.',
    labelNames: ['model'] as const,
    buckets: LOAD_BUCKETS,
    registers: [this.registry],
  });
  readonly lifecycleEvents = new Counter({
    name: 'berth_model_lifecycle_events_total',
    help: 'Rollbacks, unloads and loads completed, by model.',
    labelNames: ['model', 'event'] as const,
    registers: [this.registry],
  });
  readonly rejectedTotal = new Counter({
    name: 'berth_rejected_requests_total',
    help: 'Requests that left the queue without running, by reason.',
    labelNames: ['model', 'reason'] as const,
    registers: [this.registry],
  });

  readonly fineTuningJobs = new Gauge({
    name: 'berth_fine_tuning_jobs',
    help: 'Fine-tuning jobs by status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly trainingSteps = new Counter({
    name: 'berth_training_steps_total',
    help: 'Optimizer steps run by fine-tuning jobs, by base model and method.',
    labelNames: ['model', 'method'] as const,
    registers: [this.registry],
  });
  readonly trainingLoss = new Gauge({
    name: 'berth_training_loss',
    help: 'Training loss at the latest step of a recent fine-tuning job.',
    labelNames: ['job', 'model'] as const,
    registers: [this.registry],
  });
  readonly trainingLearningRate = new Gauge({
    name: 'berth_training_learning_rate',
    help: 'Learning rate at the latest step of a recent fine-tuning job.',
    labelNames: ['job', 'model'] as const,
    registers: [this.registry],
  });
  readonly trainingThroughput = new Gauge({
    name: 'berth_training_examples_per_second',
    help: 'Training examples per second at the latest step of a recent fine-tuning job.',
    labelNames: ['job', 'model'] as const,
    registers: [this.registry],
  });
  // ---- fleet mode ---------------------------------------------------------------------------------
  readonly servedVersion = new Gauge({
    name: 'berth_model_served_version',
    help: 'The version this replica serves, by model and replica (compare with berth_model_registry_version).',
    labelNames: ['model', 'replica'] as const,
    registers: [this.registry],
  });
  readonly registryVersion = new Gauge({
    name: 'berth_model_registry_version',
    help: "The registry's active version of each model (fleet mode), read at scrape time.",
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'berth_job_queue_depth',
    help: 'Fine-tuning jobs queued and not yet claimed by a worker (fleet mode), read at scrape time.',
    registers: [this.registry],
  });
  readonly workerHeartbeatAge = new Gauge({
    name: 'berth_worker_heartbeat_age_seconds',
    help: "Seconds since each worker's last heartbeat (fleet mode), read at scrape time.",
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });
  readonly workerJobsClaimed = new Gauge({
    name: 'berth_worker_jobs_claimed',
    help: 'Jobs each worker has claimed since it registered (fleet mode), read at scrape time.',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });
  /** This process's name in the fleet (`BERTH_REPLICA_ID`); undefined in the embedded mode. */
  private replica: string | undefined;

  /** Jobs with training series, oldest first. */
  private readonly trainingSeries: Array<{ job: string; model: string }> = [];

  constructor(options: { processMetrics?: boolean } = {}) {
    // Every status is exported from the start, so a dashboard sees 0 rather than no series.
    for (const status of JOB_STATUS_LABELS) this.fineTuningJobs.set({ status }, 0);
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client names these gauges with a `_total` suffix, which Prometheus reserves for
      // counters (promtool rejects them); the per-type `nodejs_active_*` gauges carry the same data.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(name);
      }
    }
  }

  recordRequest(r: RequestRecord): void {
    this.requests.inc({ route: r.route, method: r.method, model: r.model, task: r.task, status: String(r.status) });
    this.requestDuration.observe({ route: r.route, model: r.model, task: r.task, status: String(r.status) }, r.seconds);
    if (r.stages && r.model) this.tokenizationDuration.observe({ model: r.model }, r.stages.tokenizationSeconds);
    if (r.model) this.recent.record(r.model, r.seconds, r.status >= 400);
  }

  // ---- ServingObserver ---------------------------------------------------------------------------
  batchRun(model: string, _version: number, size: number, tokens: number, paddedTokens: number, inferenceSeconds: number): void {
    this.batchSize.observe({ model }, size);
    this.batchTokens.observe({ model }, paddedTokens);
    this.tokens.inc({ model }, tokens);
    this.paddedTokens.inc({ model }, paddedTokens);
    this.inferenceDuration.observe({ model }, inferenceSeconds);
  }
  queued(model: string, queueSeconds: number): void {
    this.queueDuration.observe({ model }, queueSeconds);
  }
  rejected(model: string, reason: RejectionLabel): void {
    this.rejectedTotal.inc({ model, reason });
  }
  modelLoaded(model: string, _version: number, seconds: number): void {
    this.modelLoad.observe({ model }, seconds);
  }
  activeVersion(model: string, version: number): void {
    this.activeVersionGauge.set({ model }, version);
    if (this.replica !== undefined) this.servedVersion.set({ model, replica: this.replica }, version);
  }
  swapped(model: string, _from: number, _to: number, seconds: number): void {
    this.swaps.inc({ model });
    this.swapDuration.observe({ model }, seconds);
  }

  lifecycle(model: string, event: LifecycleEventLabel): void {
    this.lifecycleEvents.inc({ model, event });
  }

  // ---- FineTuningObserver ------------------------------------------------------------------------
  jobCounts(counts: Readonly<Record<JobStatusLabel, number>>): void {
    for (const status of JOB_STATUS_LABELS) this.fineTuningJobs.set({ status }, counts[status] ?? 0);
  }
  trainingStep(
    job: { id: string; model: string; method: string },
    step: { step: number; loss: number; learningRate: number; examplesPerSecond: number },
  ): void {
    this.trainingSteps.inc({ model: job.model, method: job.method });
    const labels = { job: job.id, model: job.model };
    if (!this.trainingSeries.some((s) => s.job === job.id)) {
      this.trainingSeries.push(labels);
      while (this.trainingSeries.length > TRAINING_SERIES_JOBS) {
        const old = this.trainingSeries.shift()!;
        for (const gauge of [this.trainingLoss, this.trainingLearningRate, this.trainingThroughput]) gauge.remove(old);
      }
    }
    this.trainingLoss.set(labels, step.loss);
    this.trainingLearningRate.set(labels, step.learningRate);
    this.trainingThroughput.set(labels, step.examplesPerSecond);
  }

  /** Fleet mode: label served versions with this replica, and read the fleet's gauges at each scrape. */
  attachFleet(replica: string, source: FleetMetricsSource): void {
    this.replica = replica;
    this.fleetSource = source;
  }
  private fleetSource: FleetMetricsSource | undefined;

  /** Reads the fleet's state into its gauges; a database that does not answer leaves the last values. */
  private async collectFleet(): Promise<void> {
    const source = this.fleetSource;
    if (!source) return;
    try {
      const [depth, workers, versions] = await Promise.all([source.queueDepth(), source.workers(), source.registryVersions()]);
      this.queueDepth.set(depth);
      this.workerHeartbeatAge.reset();
      this.workerJobsClaimed.reset();
      for (const w of workers) {
        this.workerHeartbeatAge.set({ worker: w.workerId }, w.seconds);
        this.workerJobsClaimed.set({ worker: w.workerId }, w.jobsClaimed);
      }
      for (const [model, version] of versions) this.registryVersion.set({ model }, version);
    } catch {
      // The database is down: the gauges keep what they last read.
    }
  }

  async render(): Promise<{ contentType: string; text: string }> {
    await this.collectFleet();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
