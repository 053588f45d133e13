/**
 * PostgresStore, the one object a fleet process opens (pool, migrated schema, stores, queue,
 * notifier, registry), and `berth db migrate`, which migrates ahead of a rollout.
 */
import { runCli } from '../../src/cli/main';
import { StoreError } from '../../src/store';
import type { NewJob } from '../../src/store';
import { PostgresStore, migrateDatabase } from '../../src/store/postgres';
import { freshDatabase, waitFor } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

const job: NewJob = {
  model: 'sentiment',
  task: 'classification',
  trainingFile: 'file-train',
  validationFile: null,
  method: 'full',
  hyperparameters: {},
  seed: 3,
  suffix: null,
  metadata: null,
  autoActivate: false,
  targetModel: 'sentiment',
};

const UNREACHABLE = 'postgres://berth:secret@127.0.0.1:1/berth';

describeWithPostgres('PostgresStore and berth db migrate', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.destroy());

  it('two processes open one database at once: both migrate, and each hears what the other writes', async () => {
    const url = await freshDatabase(server);
    const [api, worker] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      expect([api.schema.version, worker.schema.version]).toEqual([2, 2]);
      expect([...api.schema.applied, ...worker.schema.applied].sort()).toEqual([1, 2]);

      const events: number[] = [];
      const activations: number[] = [];
      api.notifier.subscribe('job_event', (p) => events.push(p.seq));
      api.notifier.subscribe('activation', (p) => activations.push(p.version));

      const created = await api.jobs.create(job, 'queued');
      expect(await api.queue.depth()).toBe(1);
      await worker.queue.registerWorker({ id: 'w1', host: 'h', pid: 1, device: 'cpu' });
      expect((await worker.queue.claim('w1'))?.id).toBe(created.id);
      const event = await worker.jobs.addEvent(created.id, 'info', 'Step 1/2');
      await worker.activationLog(() => [1, 2]).recordActivation('sentiment', 1, 2);

      await waitFor('the event and the activation', () => events.length === 1 && activations.length === 1);
      expect(events).toEqual([event.seq]);
      expect(activations).toEqual([2]);
      expect((await api.jobs.get(created.id))?.status).toBe('running');
      expect(await api.activationLog(() => [1, 2]).activeVersions()).toEqual(new Map([['sentiment', 2]]));
      expect(api.notifier.connected).toBe(true);
    } finally {
      await api.close();
      await worker.close();
    }
    expect(api.notifier.connected).toBe(false);
  });

  it('says plainly, password hidden, when the database cannot be reached', async () => {
    await expect(PostgresStore.open(UNREACHABLE, { connectionTimeoutMillis: 2000 })).rejects.toThrow(StoreError);
    await expect(migrateDatabase(UNREACHABLE)).rejects.toThrow(
      /^cannot migrate postgres:\/\/berth:\*\*\*@127\.0\.0\.1:1\/berth: .*ECONNREFUSED/,
    );
  });

  describe('berth db migrate', () => {
    let out: string[];
    let err: string[];
    let stdout: jest.SpyInstance;
    beforeEach(() => {
      out = [];
      err = [];
      // Commands report through process.stdout (`say`); errors go through the io given to runCli.
      stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out.push(String(chunk));
        return true;
      });
    });
    afterEach(() => stdout.mockRestore());
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const withEnv = async <T>(value: string | undefined, work: () => Promise<T>): Promise<T> => {
      const saved = process.env.BERTH_DATABASE_URL;
      if (value === undefined) delete process.env.BERTH_DATABASE_URL;
      else process.env.BERTH_DATABASE_URL = value;
      try {
        return await work();
      } finally {
        if (saved === undefined) delete process.env.BERTH_DATABASE_URL;
        else process.env.BERTH_DATABASE_URL = saved;
      }
    };

    it('migrates the database named by --database-url or BERTH_DATABASE_URL and prints the schema version', async () => {
      const url = await freshDatabase(server);
      expect(await runCli(['db', 'migrate', '--database-url', url], io)).toBe(0);
      expect(await withEnv(url, () => runCli(['db', 'migrate'], io))).toBe(0);
      expect(err).toEqual([]);
      expect(out).toEqual([`${url}: applied migrations 1, 2; schema version 2\n`, `${url}: schema version 2, up to date\n`]);
    });

    it('exits 2 without a database or with a wrong action, and 1 with one line when migrating fails', async () => {
      expect(await withEnv(undefined, () => runCli(['db', 'migrate'], io))).toBe(2);
      expect(err.join('')).toMatch(/no database: pass --database-url or set BERTH_DATABASE_URL/);
      expect(await runCli(['db', 'drop', '--database-url', UNREACHABLE], io)).toBe(2);
      expect(await runCli(['db', 'migrate', '--database-url', 'mysql://x'], io)).toBe(2);

      err = [];
      expect(await runCli(['db', 'migrate', '--database-url', UNREACHABLE], io)).toBe(1);
      expect(err.join('')).toMatch(/^berth: cannot migrate postgres:\/\/berth:\*\*\*@127\.0\.0\.1:1\/berth: .*ECONNREFUSED.*\n$/);
      expect(err.join('')).not.toMatch(/secret|\n\s+at /);

      const url = await freshDatabase(server);
      await migrateDatabase(url);
      const store = await PostgresStore.open(url);
      await store.pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9, 'newer', 0)");
      await store.close();
      err = [];
      expect(await runCli(['db', 'migrate', '--database-url', url], io)).toBe(1);
      expect(err).toEqual(['berth: the database is at schema version 9, newer than this server knows (2); upgrade Berth\n']);
    });
  });
});
