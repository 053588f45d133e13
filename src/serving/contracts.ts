/**
 * The contract between the serving core (plain TypeScript: model repository, ONNX Runtime
 * sessions, dynamic batcher, task pipelines) and the HTTP layer (NestJS modules). The HTTP layer
 * validates request types and shapes; the core owns every number and every request limit. The
 * per-task request and result types live with the tasks (`../tasks/types.ts`) and are
 * re-exported here, so the HTTP layer imports one contract.
 */
import type {
  Answer,
  ClassifyItem,
  ClassifyParams,
  EmbeddingItem,
  EmbeddingParams,
  Entity,
  FillMaskCandidate,
  FillMaskParams,
  NerParams,
  NliPair,
  QaInput,
  QaParams,
  TextInput,
  ZeroShotItem,
  ZeroShotParams,
} from '../tasks/types';

export type ServedTask = 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';

/** Stage timings in milliseconds, surfaced as `x-*-time` response headers. */
export interface StageTimings {
  tokenizationMs: number;
  queueMs: number;
  inferenceMs: number;
  totalMs: number;
}

/** Who served a request: every inference result says which model version answered. */
export interface ServedBy {
  model: string;
  version: number;
  timings: StageTimings;
}

export interface Served<T> extends ServedBy {
  result: T;
}

/** Per-request options common to every task. */
export interface RequestOptions {
  /** Aborted when the client disconnects: the request leaves the queue. */
  signal?: AbortSignal;
}

// ---- per-task requests and results: defined beside the tasks, re-exported here ----------------

export type {
  AggregationStrategy,
  Answer,
  ClassifyItem,
  ClassifyParams,
  EmbeddingItem,
  EmbeddingParams,
  Entity,
  FillMaskCandidate,
  FillMaskParams,
  LabelScore,
  NerParams,
  NliPair,
  QaInput,
  QaParams,
  TextInput,
  ZeroShotItem,
  ZeroShotParams,
} from '../tasks/types';

// ---- the facade the HTTP layer calls --------------------------------------------------------------

export interface InferenceApi {
  /** `model` undefined → the task's default model. Inputs are already validated for type. */
  classify(model: string | undefined, inputs: TextInput[], params: ClassifyParams, opts?: RequestOptions): Promise<Served<ClassifyItem[]>>;
  nli(model: string | undefined, pairs: NliPair[], opts?: RequestOptions): Promise<Served<ClassifyItem[]>>;
  zeroShot(model: string | undefined, sequences: string[], params: ZeroShotParams, opts?: RequestOptions): Promise<Served<ZeroShotItem[]>>;
  ner(model: string | undefined, texts: string[], params: NerParams, opts?: RequestOptions): Promise<Served<Entity[][]>>;
  qa(model: string | undefined, inputs: QaInput[], params: QaParams, opts?: RequestOptions): Promise<Served<Answer[][]>>;
  embeddings(model: string | undefined, texts: string[], params: EmbeddingParams, opts?: RequestOptions): Promise<Served<EmbeddingItem[]>>;
  fillMask(
    model: string | undefined,
    texts: string[],
    params: FillMaskParams,
    opts?: RequestOptions,
  ): Promise<Served<FillMaskCandidate[][]>>;
}

export interface ModelVersionInfo {
  version: number;
  source: 'embedded' | 'imported' | 'fine-tuned';
  created_at: string;
  size_bytes: number;
  /** How this version was trained and evaluated, from its metrics.json when present. */
  metrics?: Record<string, unknown>;
}

export interface ModelInfo {
  name: string;
  task: ServedTask;
  /** Also serves zero-shot (an NLI sequence classifier with entailment and contradiction labels). */
  nli: boolean;
  architecture: string;
  labels: string[];
  max_sequence_length: number;
  versions: ModelVersionInfo[];
  active_version: number;
  device: 'cpu' | 'cuda';
  load_time_ms: number;
  /** False when there are no weights (model.safetensors or pytorch_model.bin): servable, not fine-tunable. */
  fine_tunable: boolean;
  /** `unloaded`: its session was released on request; inference on it is a CONFLICT until it is loaded again. */
  status: 'loading' | 'ready' | 'failed' | 'unloaded';
}

export interface ModelRepositoryApi {
  isReady(): boolean;
  list(): ModelInfo[];
  get(name: string): ModelInfo;
  /** Load + warm the version beside the active one, flip atomically, drain and release the old. */
  activate(name: string, version: number): Promise<ModelInfo>;
  /**
   * Register a new version from an HF layout directory on disk (copied, written atomically), once
   * it has loaded and answered its warm-up input; a version that cannot serve is refused
   * (MODEL_LOAD_FAILED) and nothing is registered.
   */
  importVersion(name: string, sourceDir: string): Promise<ModelVersionInfo>;
  /** Where a version's files are on disk (server-side only: never sent to a client). */
  versionDir(name: string, version: number): string;
  defaultModelFor(task: ServedTask | 'zero-shot' | 'nli'): string | undefined;
  /** Activate the version that was active before the current one (history on disk); CONFLICT when there is none. */
  rollback(name: string): Promise<ModelInfo>;
  /** Stop serving: new requests get CONFLICT, those in flight finish, then the session is released. */
  unload(name: string): Promise<ModelInfo>;
  /** Load and warm the active version of an unloaded (or failed) model; a ready model is left as it is. */
  load(name: string): Promise<ModelInfo>;
}

/** Telemetry hooks the core calls; the HTTP layer implements them with prom-client. */
export interface ServingObserver {
  batchRun(model: string, version: number, size: number, tokens: number, paddedTokens: number, inferenceSeconds: number): void;
  queued(model: string, queueSeconds: number): void;
  rejected(model: string, reason: 'overloaded' | 'client_closed'): void;
  modelLoaded(model: string, version: number, seconds: number): void;
  activeVersion(model: string, version: number): void;
  swapped(model: string, from: number, to: number, seconds: number): void;
  /** A rollback, unload or load completed. */
  lifecycle?(model: string, event: LifecycleEvent): void;
}

export type LifecycleEvent = 'rollback' | 'unload' | 'load';
