/**
 * A database outage, seen from the stores: while PostgreSQL is down every call fails with
 * DATABASE_UNAVAILABLE (503 at the edge) instead of an anonymous error, and the same store object
 * works again once the database is back, with no reconnect by hand.
 */
import { DatabaseUnavailableError, DomainError } from '../../src/errors/domain-error';
import { mapError } from '../../src/http/error-mapping';
import { PostgresStore, isConnectionError } from '../../src/store/postgres';
import { freshDatabase, waitFor } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

describeWithPostgres('PostgreSQL outage and recovery', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.destroy());

  it('answers DATABASE_UNAVAILABLE while the database is down and recovers by itself', async () => {
    const store = await PostgresStore.open(await freshDatabase(server), {
      connectionTimeoutMillis: 2000,
      minBackoffMs: 50,
      maxBackoffMs: 500,
    });
    try {
      expect((await store.files.list({ limit: 10 })).data).toEqual([]);
      server.stop();
      const down = await store.files.list({ limit: 10 }).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(DatabaseUnavailableError);
      expect(mapError(down)).toMatchObject({
        status: 503,
        body: { error: { code: 'DATABASE_UNAVAILABLE' } },
        headers: { 'retry-after': '5' },
      });
      await expect(store.jobs.countByStatus()).rejects.toBeInstanceOf(DatabaseUnavailableError);
      server.start();
      const back = await waitFor('the store to answer again', async () => {
        const page = await store.files.list({ limit: 10 }).catch(() => undefined);
        return page ?? false;
      });
      expect(back.data).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('tells connection failures from query errors', async () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isConnectionError(new DomainError('INVALID_INPUT', 'x'))).toBe(false);
  });
});
