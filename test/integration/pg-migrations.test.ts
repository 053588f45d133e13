/**
 * The PostgreSQL schema's migrations: applied once each, in order, under an advisory lock so that
 * replicas starting together do not race, and a database newer than the code refused.
 */
import type { Pool } from 'pg';
import { StoreError } from '../../src/store';
import { createPool } from '../../src/store/postgres/connection';
import { PG_MIGRATIONS, migrate, schemaVersion } from '../../src/store/postgres/migrations';
import { freshDatabase } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

describeWithPostgres('PostgreSQL migrations', () => {
  let server: TestPostgres;
  const pools: Pool[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });
  afterAll(() => server?.destroy());

  const pool = (url: string): Pool => {
    const p = createPool(url);
    pools.push(p);
    return p;
  };

  const recorded = async (p: Pool): Promise<Array<{ version: number; name: string }>> =>
    (await p.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')).rows;

  const tables = async (p: Pool): Promise<string[]> =>
    (
      await p.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      )
    ).rows.map((r) => r.table_name);

  it('creates every table once; applying again is a no-op', async () => {
    const p = pool(await freshDatabase(server));
    expect(await schemaVersion(p)).toBe(0);
    expect(await migrate(p)).toEqual({ version: 2, applied: [1, 2] });
    expect(await tables(p)).toEqual([
      'files',
      'job_checkpoints',
      'job_events',
      'jobs',
      'model_active',
      'model_history',
      'schema_migrations',
      'workers',
    ]);
    const columns = await p.query<{ column_name: string; data_type: string; column_default: string | null }>(
      "SELECT column_name, data_type, column_default FROM information_schema.columns WHERE table_name = 'jobs' AND column_name IN ('worker_id', 'cancel_requested', 'hyperparameters', 'created_at') ORDER BY column_name",
    );
    expect(columns.rows).toEqual([
      { column_name: 'cancel_requested', data_type: 'boolean', column_default: 'false' },
      { column_name: 'created_at', data_type: 'bigint', column_default: null },
      { column_name: 'hyperparameters', data_type: 'jsonb', column_default: null },
      { column_name: 'worker_id', data_type: 'text', column_default: null },
    ]);
    expect(await recorded(p)).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));

    expect(await migrate(p)).toEqual({ version: 2, applied: [] });
    expect(await recorded(p)).toHaveLength(PG_MIGRATIONS.length);
    expect(await schemaVersion(p)).toBe(2);
  });

  it('applies only the migrations not yet recorded', async () => {
    const p = pool(await freshDatabase(server));
    const one = { version: 1, name: 'one', sql: 'CREATE TABLE a (x integer)' };
    const two = { version: 2, name: 'two', sql: 'CREATE TABLE b (y integer)' };
    expect(await migrate(p, [one])).toEqual({ version: 1, applied: [1] });
    expect(await migrate(p, [two, one])).toEqual({ version: 2, applied: [2] });
    expect(await tables(p)).toEqual(['a', 'b', 'schema_migrations']);
  });

  it('two replicas migrating at once both succeed, and each migration is applied once', async () => {
    const url = await freshDatabase(server);
    const [a, b] = [pool(url), pool(url)];
    // Slow migrations: without the lock both runs would read an empty history and apply each twice.
    const slow = [
      { version: 1, name: 'one', sql: 'CREATE TABLE a (x integer); SELECT pg_sleep(0.3)' },
      { version: 2, name: 'two', sql: 'CREATE TABLE b (y integer); SELECT pg_sleep(0.3)' },
    ];
    const [ra, rb] = await Promise.all([migrate(a, slow), migrate(b, slow)]);
    expect([ra.version, rb.version]).toEqual([2, 2]);
    expect([...ra.applied, ...rb.applied].sort()).toEqual([1, 2]);
    expect(await recorded(a)).toEqual([
      { version: 1, name: 'one' },
      { version: 2, name: 'two' },
    ]);

    // The real schema, from two fresh pools at once.
    const url2 = await freshDatabase(server);
    const runs = await Promise.all([migrate(pool(url2)), migrate(pool(url2)), migrate(pool(url2))]);
    expect(runs.map((r) => r.version)).toEqual([2, 2, 2]);
    expect(runs.flatMap((r) => r.applied).sort()).toEqual([1, 2]);
  });

  it('refuses a database at a newer schema version, changing nothing', async () => {
    const p = pool(await freshDatabase(server));
    await migrate(p);
    await p.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (3, 'from the future', 0)");
    const refusal = migrate(p);
    await expect(refusal).rejects.toThrow(StoreError);
    await expect(migrate(p)).rejects.toThrow('the database is at schema version 3, newer than this server knows (2); upgrade Berth');
    expect((await recorded(p)).map((r) => r.version)).toEqual([1, 2, 3]);
    // The lock was released: another run is not left waiting.
    expect(await migrate(p, [...PG_MIGRATIONS, { version: 3, name: 'from the future', sql: '' }])).toEqual({ version: 3, applied: [] });
  });

  it('rolls a failing migration back entirely and says which one failed', async () => {
    const p = pool(await freshDatabase(server));
    const bad = { version: 1, name: 'bad', sql: 'CREATE TABLE c (x integer); SELECT * FROM nowhere' };
    await expect(migrate(p, [bad])).rejects.toThrow(/migration 1 \(bad\) failed: relation "nowhere" does not exist/);
    expect(await tables(p)).toEqual(['schema_migrations']);
    expect(await recorded(p)).toEqual([]);
    expect(await migrate(p, [{ ...bad, sql: 'CREATE TABLE c (x integer)' }])).toEqual({ version: 1, applied: [1] });
  });
});
