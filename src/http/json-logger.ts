import { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/app-config';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogSink = (line: string) => void;

/**
 * One JSON object per line on stdout. Also serves as Nest's logger (so framework messages share
 * the format) and as the structured logger the serving core reports through.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(line + '\n'),
    /** Fields every line carries (fleet mode: the replica id). */
    private readonly base: Readonly<Record<string, string>> = {},
  ) {}

  private emit(level: Exclude<LogLevel, 'silent'>, fields: object, msg?: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const record: Record<string, unknown> = { level, time: new Date().toISOString(), ...this.base, ...fields };
    if (msg !== undefined) record.msg = msg;
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ level, time: record.time, msg: String(msg ?? ''), note: 'unserialisable log fields' });
    }
    this.sink(line);
  }

  debug(obj: object, msg?: string): void {
    this.emit('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.emit('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.emit('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.emit('error', obj, msg);
  }

  // ---- Nest's LoggerService: (message, ...optionalParams) with the context last ----------------
  log(message: unknown, ...optional: unknown[]): void {
    this.emit('info', nestFields(optional), String(message));
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.emit('debug', nestFields(optional), String(message));
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.emit('error', nestFields(optional), String(message));
  }
}

function nestFields(optional: unknown[]): object {
  const context = optional.length > 0 ? optional[optional.length - 1] : undefined;
  return typeof context === 'string' ? { context } : {};
}

/** Nest calls `error(message, stack, context)` and `warn(message, context)`: adapt to our shape. */
export function asNestLogger(logger: JsonLogger): LoggerService {
  return {
    // Nest's routine messages (module init, one line per mapped route) are debug detail here.
    log: (m: unknown, ...o: unknown[]) => logger.debug(nestFields(o), String(m)),
    debug: (m: unknown, ...o: unknown[]) => logger.debug(nestFields(o), String(m)),
    verbose: (m: unknown, ...o: unknown[]) => logger.verbose(m, ...o),
    warn: (m: unknown, ...o: unknown[]) => logger.warn(nestFields(o), String(m)),
    error: (m: unknown, ...o: unknown[]) => {
      const stack = o.length > 1 && typeof o[0] === 'string' ? o[0] : undefined;
      logger.error({ ...nestFields(o), ...(stack ? { stack } : {}) }, String(m));
    },
    fatal: (m: unknown, ...o: unknown[]) => logger.fatal(m, ...o),
  };
}
