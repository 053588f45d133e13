/**
 * Connections to PostgreSQL (fleet mode): one `pg.Pool` per process for queries and
 * transactions. Columns of type `bigint` (unix seconds, sequence numbers, counts) come back as
 * JavaScript numbers, as they do from SQLite: every value Berth stores there stays far below
 * 2^53, and a value that does not is refused rather than rounded.
 */
import { Pool, types } from 'pg';
import type { CustomTypesConfig, PoolClient, PoolConfig } from 'pg';
import { StoreError } from '../database';

const INT8_OID = 20;

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new StoreError(`a bigint column holds ${value}, beyond what Berth reads exactly`);
  return n;
}

/** node-postgres's own parsers, except `bigint` → number. Per pool: the global parser table stays untouched. */
export const PG_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

export interface PoolOptions {
  /** Connections at most (node-postgres's default is 10). */
  readonly max?: number;
  /** How long a query waits for a free connection before failing, in ms. */
  readonly connectionTimeoutMillis?: number;
  /**
   * Told of errors on idle connections (the server restarted or dropped them). The pool discards
   * such a connection and opens a new one for the next query; without a listener the error would
   * end the process.
   */
  readonly onIdleError?: (error: Error) => void;
}

/** A pool for `url` (`postgres://user:password@host:port/database`). */
export function createPool(url: string, options: PoolOptions = {}): Pool {
  const config: PoolConfig = {
    connectionString: url,
    types: PG_TYPES,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    keepAlive: true,
  };
  const pool = new Pool(config);
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/** What both a pool and one of its clients can do: run a query. */
export interface Queryable {
  query: Pool['query'];
}

/**
 * Runs `work` in one transaction on one connection of `pool`: committed when it resolves, rolled
 * back when it throws. A connection whose rollback fails is discarded, not returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
