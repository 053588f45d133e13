import { plainToInstance, Transform } from 'class-transformer';
import { hostname } from 'node:os';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * The process environment, as the server accepts it. Every knob is validated once, at boot; a bad
 * value stops the server with a message naming the variable, instead of surfacing later as odd
 * behaviour under load.
 */

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  return value;
};

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : value;

export class EnvironmentSchema {
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8080;

  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @IsOptional()
  @IsString()
  @MinLength(1)
  BERTH_MODELS_DIR = './models';

  @IsOptional()
  @IsString()
  @MinLength(1)
  BERTH_DATA_DIR = './data';

  @IsOptional()
  @IsIn(['cpu', 'cuda', 'tensorrt'])
  BERTH_DEVICE: 'cpu' | 'cuda' | 'tensorrt' = 'cpu';

  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  @MinLength(8, { each: true })
  BERTH_API_KEYS: string[] = [];

  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  @MinLength(8, { each: true })
  BERTH_ADMIN_KEYS: string[] = [];

  /** Whether /metrics is readable without a key when keys are configured. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  BERTH_PUBLIC_METRICS = true;

  /** Whether /docs and /docs-json are readable without a key when keys are configured. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  BERTH_PUBLIC_DOCS = true;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4096)
  BERTH_MAX_BATCH_SIZE = 32;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_048_576)
  BERTH_MAX_BATCH_TOKENS = 16384;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  BERTH_MAX_WAIT_MS = 2;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BERTH_MAX_QUEUE = 1024;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  BERTH_BATCHING = true;

  /** Intra-op threads per session; 0 lets ONNX Runtime decide. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1024)
  BERTH_THREADS = 0;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1024)
  BERTH_INTER_OP_THREADS = 0;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(1_073_741_824)
  BERTH_BODY_LIMIT_BYTES = 1_048_576;

  /** Compressed size limit of an uploaded model archive. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(17_179_869_184)
  BERTH_MAX_ARCHIVE_BYTES = 1_073_741_824;

  /** Limit on the total size of the files an archive unpacks to. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(68_719_476_736)
  BERTH_MAX_ARCHIVE_EXTRACTED_BYTES = 4_294_967_296;

  /** Size limit of an uploaded fine-tuning dataset (`POST /v1/files`). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(17_179_869_184)
  BERTH_MAX_FILE_BYTES = 104_857_600;

  /** Client batch size cap: how many texts one request may carry. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  BERTH_MAX_INPUTS = 64;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  BERTH_MAX_CANDIDATE_LABELS = 32;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  BERTH_MAX_TEXT_CHARS = 100_000;

  @IsOptional()
  @IsIn(['debug', 'info', 'warn', 'error', 'silent'])
  BERTH_LOG_LEVEL: LogLevel = 'info';

  /** The whole request (headers and body) must arrive within this; otherwise 408 and the connection closed. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  BERTH_REQUEST_TIMEOUT_MS = 300_000;

  /** The request headers must arrive within this (at most the request timeout). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  BERTH_HEADERS_TIMEOUT_MS = 60_000;

  /** An idle keep-alive connection is closed after this. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  BERTH_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /** Open connections past this are closed as they arrive. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BERTH_MAX_CONNECTIONS = 1024;

  /** Fleet mode: PostgreSQL holds files, jobs, events, the model registry and the job queue. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  BERTH_DATABASE_URL?: string;

  /** `api` serves HTTP and never trains; `worker` trains and serves only health and metrics; `all` does both. */
  @IsOptional()
  @IsIn(['all', 'api', 'worker'])
  BERTH_ROLE: ServerRole = 'all';

  /** Fleet mode: a worker silent this long is lost; its job fails with `worker_lost`. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  BERTH_WORKER_HEARTBEAT_TIMEOUT_MS = 30_000;

  /** This process's name in logs, metrics and the worker table; the host name and pid by default. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'letters, digits and . _ : - (at most 128)' })
  BERTH_REPLICA_ID?: string;

  /** Grace period for in-flight requests on shutdown. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  BERTH_SHUTDOWN_TIMEOUT_MS = 30_000;

  @IsOptional() @IsString() BERTH_DEFAULT_CLASSIFICATION_MODEL?: string;
  @IsOptional() @IsString() BERTH_DEFAULT_NLI_MODEL?: string;
  @IsOptional() @IsString() BERTH_DEFAULT_ZERO_SHOT_MODEL?: string;
  @IsOptional() @IsString() BERTH_DEFAULT_NER_MODEL?: string;
  @IsOptional() @IsString() BERTH_DEFAULT_QA_MODEL?: string;
  @IsOptional() @IsString() BERTH_DEFAULT_FILL_MASK_MODEL?: string;
  @IsOptional() @IsString() BERTH_DEFAULT_EMBEDDINGS_MODEL?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type ServerRole = 'all' | 'api' | 'worker';

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
  readonly threads: { readonly intraOp?: number; readonly interOp?: number };
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
    },
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
