import { DatabaseUnavailableError } from '../../errors/domain-error';

/**
 * When PostgreSQL cannot be reached (stopped, restarting, network gone), every store call fails
 * with a connection error of node-postgres or of the server. Those become one domain error,
 * DATABASE_UNAVAILABLE (503 at the edge), so admin routes say what is wrong instead of a 500, and
 * recover by themselves: the pool opens new connections once the database is back.
 */

/** SQLSTATE classes and codes that mean "no connection", not "bad query". */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /connection is closed/i,
];

export function isConnectionError(error: unknown): boolean {
  // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` may not hold.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * The same store, whose every method turns a connection error into DatabaseUnavailableError.
 * Other errors (constraint violations, bugs) pass through unchanged.
 */
export function failingAsUnavailable<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const translate = (error: unknown): never => {
          throw isConnectionError(error) ? new DatabaseUnavailableError(String((error as { message?: unknown }).message)) : error;
        };
        try {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? result.catch(translate) : result;
        } catch (error) {
          return translate(error);
        }
      };
    },
  });
}
