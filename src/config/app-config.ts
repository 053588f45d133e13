import { plainToInstance } from 'class-transformer';
import { hostname } from 'node:os';
import { validateSync } from 'class-validator';
import { EnvironmentSchema, type LogLevel, type ServerRole } from './environment';

export { EnvironmentSchema } from './environment';
export type { LogLevel, ServerRole } from './environment';

/** Fleet mode's settings; `databaseUrl` undefined is the embedded single process (SQLite). */
export interface FleetConfig {
  readonly databaseUrl?: string;
  readonly role: ServerRole;
  readonly heartbeatTimeoutMs: number;
  readonly replicaId: string;
}

export type DefaultModelTask =
  'text-classification' | 'nli' | 'zero-shot' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';

/** The HTTP server's own limits: how long a client may take, and how many may connect. */
export interface HttpServerLimits {
  /** The whole request, headers and body, must arrive within this (408 and the connection closed). */
  readonly requestTimeoutMs: number;
  /** The request headers must arrive within this. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Connections past this are closed as they arrive. */
  readonly maxConnections: number;
}

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly modelsDir: string;
  readonly dataDir: string;
  /** `tensorrt`: TensorRT, then CUDA, then CPU execution providers on the GPU. */
  readonly device: 'cpu' | 'cuda' | 'tensorrt';
  readonly auth: {
    /** Keys allowed to call inference routes (admin keys are accepted there too). */
    readonly inferenceKeys: readonly string[];
    readonly adminKeys: readonly string[];
    /** False when no key is configured at all: every route is open. */
    readonly enabled: boolean;
    readonly publicMetrics: boolean;
    readonly publicDocs: boolean;
  };
  readonly threads: { readonly intraOp?: number; readonly interOp?: number; readonly spinning: boolean };
  /** Which inference graph is served: fused contrib ops, int8 weights (docs/benchmarks.md). */
  readonly graph: { readonly fused: boolean; readonly quantize?: 'int8' | 'uint8' };
  readonly batching: {
    readonly enabled: boolean;
    readonly maxBatchSize: number;
    readonly maxBatchTokens: number;
    readonly maxWaitMs: number;
    readonly maxQueue: number;
  };
  readonly limits: {
    readonly bodyBytes: number;
    readonly archiveBytes: number;
    readonly archiveExtractedBytes: number;
    /** Size limit of an uploaded dataset file. */
    readonly fileBytes: number;
    readonly maxInputsPerRequest: number;
    readonly maxCandidateLabels: number;
    readonly maxTextChars: number;
  };
  readonly http: HttpServerLimits;
  readonly fleet: FleetConfig;
  readonly defaults: Readonly<Partial<Record<DefaultModelTask, string>>>;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Reads the variables Berth knows from `env` (others are ignored) into a frozen config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new EnvironmentSchema());
  // Optional variables without a default are not own keys of a fresh schema object under every compiler.
  const optionalKeys = [
    'BERTH_DATABASE_URL',
    'BERTH_REPLICA_ID',
    'BERTH_DEFAULT_CLASSIFICATION_MODEL',
    'BERTH_DEFAULT_NLI_MODEL',
    'BERTH_DEFAULT_ZERO_SHOT_MODEL',
    'BERTH_DEFAULT_NER_MODEL',
    'BERTH_DEFAULT_QA_MODEL',
    'BERTH_DEFAULT_FILL_MASK_MODEL',
    'BERTH_DEFAULT_EMBEDDINGS_MODEL',
  ];
  const raw: Record<string, string> = {};
  for (const key of new Set([...known, ...optionalKeys])) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const schema = plainToInstance(EnvironmentSchema, raw);
  const errors = validateSync(schema, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => `${e.property}=${JSON.stringify(raw[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  const s = schema;
  const defaults: Partial<Record<DefaultModelTask, string>> = {};
  const pick = (task: DefaultModelTask, value: string | undefined): void => {
    if (value) defaults[task] = value;
  };
  pick('text-classification', s.BERTH_DEFAULT_CLASSIFICATION_MODEL);
  pick('nli', s.BERTH_DEFAULT_NLI_MODEL);
  pick('zero-shot', s.BERTH_DEFAULT_ZERO_SHOT_MODEL);
  pick('token-classification', s.BERTH_DEFAULT_NER_MODEL);
  pick('question-answering', s.BERTH_DEFAULT_QA_MODEL);
  pick('fill-mask', s.BERTH_DEFAULT_FILL_MASK_MODEL);
  pick('feature-extraction', s.BERTH_DEFAULT_EMBEDDINGS_MODEL);

  const config: AppConfig = {
    port: s.PORT,
    host: s.HOST,
    modelsDir: s.BERTH_MODELS_DIR,
    dataDir: s.BERTH_DATA_DIR,
    device: s.BERTH_DEVICE,
    auth: {
      inferenceKeys: s.BERTH_API_KEYS,
      adminKeys: s.BERTH_ADMIN_KEYS,
      enabled: s.BERTH_API_KEYS.length + s.BERTH_ADMIN_KEYS.length > 0,
      publicMetrics: s.BERTH_PUBLIC_METRICS,
      publicDocs: s.BERTH_PUBLIC_DOCS,
    },
    threads: {
      intraOp: s.BERTH_THREADS > 0 ? s.BERTH_THREADS : undefined,
      interOp: s.BERTH_INTER_OP_THREADS > 0 ? s.BERTH_INTER_OP_THREADS : undefined,
      spinning: s.BERTH_THREAD_SPINNING,
    },
    graph: { fused: s.BERTH_FUSED_GRAPHS, quantize: s.BERTH_QUANTIZE === 'none' ? undefined : s.BERTH_QUANTIZE },
    batching: {
      enabled: s.BERTH_BATCHING,
      maxBatchSize: s.BERTH_MAX_BATCH_SIZE,
      maxBatchTokens: s.BERTH_MAX_BATCH_TOKENS,
      maxWaitMs: s.BERTH_MAX_WAIT_MS,
      maxQueue: s.BERTH_MAX_QUEUE,
    },
    limits: {
      bodyBytes: s.BERTH_BODY_LIMIT_BYTES,
      archiveBytes: s.BERTH_MAX_ARCHIVE_BYTES,
      archiveExtractedBytes: s.BERTH_MAX_ARCHIVE_EXTRACTED_BYTES,
      fileBytes: s.BERTH_MAX_FILE_BYTES,
      maxInputsPerRequest: s.BERTH_MAX_INPUTS,
      maxCandidateLabels: s.BERTH_MAX_CANDIDATE_LABELS,
      maxTextChars: s.BERTH_MAX_TEXT_CHARS,
    },
    fleet: {
      databaseUrl: s.BERTH_DATABASE_URL,
      role: s.BERTH_ROLE,
      heartbeatTimeoutMs: s.BERTH_WORKER_HEARTBEAT_TIMEOUT_MS,
      replicaId: s.BERTH_REPLICA_ID ?? `${hostname()}-${process.pid}`,
    },
    http: {
      requestTimeoutMs: s.BERTH_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: s.BERTH_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: s.BERTH_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: s.BERTH_MAX_CONNECTIONS,
    },
    defaults,
    logLevel: s.BERTH_LOG_LEVEL,
    shutdownTimeoutMs: s.BERTH_SHUTDOWN_TIMEOUT_MS,
  };
  return deepFreeze(config);
}

/** Injection token for the frozen config. */
export const APP_CONFIG = Symbol('APP_CONFIG');
