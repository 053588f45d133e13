/**
 * The contract between the serving core (plain TypeScript: model repository, ONNX Runtime
 * sessions, dynamic batcher, task pipelines) and the HTTP layer (NestJS modules). The HTTP layer
 * validates and shapes requests; the core owns every number. Field names follow the Hugging Face
 * pipelines, so the same words mean the same thing on both sides.
 *
 * Offsets (`start`, `end`) are indices into the caller's original string counted in Unicode code
 * points, as Hugging Face (Python) reports them.
 */

export type ServedTask =
  | 'text-classification'
  | 'token-classification'
  | 'question-answering'
  | 'fill-mask'
  | 'feature-extraction';

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

// ---- text classification --------------------------------------------------------------------

export type TextInput = string | { text: string; text_pair?: string };

export interface ClassifyParams {
  /** null → every label; default 1 (as the HF pipeline). */
  top_k?: number | null;
  function_to_apply?: 'softmax' | 'sigmoid' | 'none';
}

export interface LabelScore {
  label: string;
  score: number;
}

export interface ClassifyItem {
  labels: LabelScore[];
  /** True when the input was longer than the model allows and was cut. */
  truncated: boolean;
}

// ---- NLI and zero-shot ------------------------------------------------------------------------

export interface NliPair {
  premise: string;
  hypothesis: string;
}

export interface ZeroShotParams {
  candidate_labels: string[];
  hypothesis_template?: string; // default 'This example is {}.'
  multi_label?: boolean;
}

export interface ZeroShotItem {
  sequence: string;
  labels: string[];
  scores: number[];
  truncated: boolean;
}

// ---- token classification ---------------------------------------------------------------------

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

export interface NerParams {
  aggregation_strategy?: AggregationStrategy; // default 'simple'
  ignore_labels?: string[]; // default ['O']
  /** Overlap, in tokens, between windows of a long text. */
  stride?: number;
}

export interface Entity {
  /** Present with aggregation `none` (the raw tag, e.g. B-PER). */
  entity?: string;
  /** Always present (with `none` it is the tag without its B-/I- prefix). */
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
  /** Token index, present with aggregation `none`. */
  index?: number;
}

// ---- question answering ------------------------------------------------------------------------

export interface QaInput {
  question: string;
  context: string;
}

export interface QaParams {
  top_k?: number;
  doc_stride?: number;
  max_answer_len?: number;
  max_seq_len?: number;
  max_question_len?: number;
  handle_impossible_answer?: boolean;
}

export interface Answer {
  answer: string;
  score: number;
  start: number;
  end: number;
}

// ---- embeddings and fill-mask -------------------------------------------------------------------

export interface EmbeddingParams {
  /** 'none' returns one vector per token. */
  pooling?: 'cls' | 'mean' | 'none';
  normalize?: boolean;
}

export interface EmbeddingItem {
  /** [dim] when pooled, [tokens][dim] with pooling 'none'. */
  embedding: number[] | number[][];
  tokens?: string[];
  truncated: boolean;
}

export interface FillMaskParams {
  top_k?: number; // default 5
}

export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
  /** Which mask (0-based, in text order) this candidate fills; present only when the text has several. */
  mask_index?: number;
}

// ---- the facade the HTTP layer calls --------------------------------------------------------------

export interface InferenceApi {
  /** `model` undefined → the task's default model. Inputs are already validated for type. */
  classify(model: string | undefined, inputs: TextInput[], params: ClassifyParams, opts?: RequestOptions): Promise<Served<ClassifyItem[]>>;
  nli(model: string | undefined, pairs: NliPair[], opts?: RequestOptions): Promise<Served<ClassifyItem[]>>;
  zeroShot(model: string | undefined, sequences: string[], params: ZeroShotParams, opts?: RequestOptions): Promise<Served<ZeroShotItem[]>>;
  ner(model: string | undefined, texts: string[], params: NerParams, opts?: RequestOptions): Promise<Served<Entity[][]>>;
  qa(model: string | undefined, inputs: QaInput[], params: QaParams, opts?: RequestOptions): Promise<Served<Answer[][]>>;
  embeddings(model: string | undefined, texts: string[], params: EmbeddingParams, opts?: RequestOptions): Promise<Served<EmbeddingItem[]>>;
  fillMask(model: string | undefined, texts: string[], params: FillMaskParams, opts?: RequestOptions): Promise<Served<FillMaskCandidate[][]>>;
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
  /** False when there is no model.safetensors: servable, not fine-tunable. */
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
