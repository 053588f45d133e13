import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type ServerRole = 'all' | 'api' | 'worker';

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

  /** Serve every model with its MatMul weights quantized (dynamic, per-channel); cached under the data dir. */
  @IsOptional()
  @IsIn(['none', 'int8', 'uint8'])
  BERTH_QUANTIZE: 'none' | 'int8' | 'uint8' = 'none';

  /** Serve graphs built with ONNX Runtime's fused contrib ops (Attention, SkipLayerNormalization, ...) where the model allows. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  BERTH_FUSED_GRAPHS = false;

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
  BERTH_MAX_WAIT_MS = 0;

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

  /**
   * Whether ONNX Runtime's intra-op threads spin while waiting for work. Spinning saves the
   * wake-up after each batch and costs a core's time between batches; off by default, because a
   * server waits between batches (bench/compare.ts measures both).
   */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  BERTH_THREAD_SPINNING = false;

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
