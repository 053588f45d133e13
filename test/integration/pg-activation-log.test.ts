/**
 * The fleet's model registry (PgActivationLog) follows the on-disk ModelStore's rules
 * (src/serving/model-store.spec.ts, "rollback history"): activation remembers the version it
 * replaces, rollback walks back skipping the active version and versions removed since, the
 * history keeps the newest 50 entries; and each change is announced to the fleet.
 */
import type { Pool } from 'pg';
import { PgActivationLog, MAX_HISTORY } from '../../src/store/postgres/activation-log';
import type { ActivationLog } from '../../src/store/postgres/activation-log';
import { createPool } from '../../src/store/postgres/connection';
import { migrate } from '../../src/store/postgres/migrations';
import { PgNotifier } from '../../src/store/postgres/notifier';
import type { NotificationPayloads } from '../../src/store/postgres/notifier';
import { freshDatabase, waitFor } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

describeWithPostgres('PgActivationLog', () => {
  let server: TestPostgres;
  let url: string;
  let pools: Pool[];
  /** The versions on the shared volume, per model. */
  let onDisk: Map<string, number[]>;
  const versionsOf = (name: string): number[] => onDisk.get(name) ?? [];

  beforeAll(async () => {
    server = await startPostgres();
  });
  beforeEach(async () => {
    pools = [];
    url = await freshDatabase(server);
    await migrate(pool());
    onDisk = new Map([['sentiment', [1, 2, 3, 4]]]);
  });
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.end()));
  });
  afterAll(() => server?.destroy());

  function pool(): Pool {
    const p = createPool(url, { max: 2 });
    pools.push(p);
    return p;
  }

  it('remembers each activation and walks back through them, read back by another process', async () => {
    const log = new PgActivationLog(pool(), versionsOf);
    const asServingSeesIt: ActivationLog = log;
    expect(await asServingSeesIt.previousVersion('sentiment', 1)).toBeUndefined();
    expect(await log.activeVersion('sentiment')).toBeUndefined();
    await log.recordActivation('sentiment', 1, 3);
    await log.recordActivation('sentiment', 3, 2);
    await log.recordActivation('sentiment', 2, 2); // re-activating the active version remembers nothing
    expect(await log.history('sentiment')).toEqual([1, 3]);
    expect(await log.activeVersion('sentiment')).toBe(2);

    const other = new PgActivationLog(pool(), versionsOf);
    expect(await other.activeVersion('sentiment')).toBe(2);
    expect(await other.previousVersion('sentiment', 2)).toBe(3);
    await other.recordRollback('sentiment', 3);
    expect(await other.activeVersion('sentiment')).toBe(3);
    expect(await other.previousVersion('sentiment', 3)).toBe(1);
    await other.recordRollback('sentiment', 1);
    expect(await other.activeVersion('sentiment')).toBe(1);
    expect(await other.previousVersion('sentiment', 1)).toBeUndefined();
    expect(await log.history('sentiment')).toEqual([]);
  });

  it('skips entries equal to the active version or naming a version that no longer exists', async () => {
    const log = new PgActivationLog(pool(), versionsOf);
    await log.recordActivation('sentiment', 1, 4);
    await log.recordActivation('sentiment', 4, 2);
    // As the on-disk store can be left after a crash: 2 on top of the history while 2 is active.
    await pools[0].query("INSERT INTO model_history (model, version) VALUES ('sentiment', 2)");
    expect(await log.history('sentiment')).toEqual([1, 4, 2]);
    expect(await log.previousVersion('sentiment', 2)).toBe(4);
    onDisk.set('sentiment', [1, 2, 3]); // version 4 was removed
    expect(await log.previousVersion('sentiment', 2)).toBe(1);
    await log.recordRollback('sentiment', 1);
    expect(await log.history('sentiment')).toEqual([]);
    expect(await log.activeVersion('sentiment')).toBe(1);
  });

  it('a rollback cuts the newest entry naming its target and everything above it; a target not remembered clears the history', async () => {
    const log = new PgActivationLog(pool(), versionsOf);
    for (const [from, to] of [
      [1, 2],
      [2, 3],
      [3, 2],
      [2, 4],
    ]) {
      await log.recordActivation('sentiment', from, to);
    }
    expect(await log.history('sentiment')).toEqual([1, 2, 3, 2]);
    await log.recordRollback('sentiment', 2);
    expect(await log.history('sentiment')).toEqual([1, 2, 3]);
    await log.recordRollback('sentiment', 4);
    expect(await log.history('sentiment')).toEqual([]);
    expect(await log.activeVersion('sentiment')).toBe(4);
  });

  it(`keeps the newest ${MAX_HISTORY} entries of each model, and models apart`, async () => {
    const log = new PgActivationLog(pool(), versionsOf);
    onDisk.set('ner', [1, 2]);
    for (let i = 1; i <= MAX_HISTORY + 10; i++) await log.recordActivation('sentiment', i, i + 1);
    await log.recordActivation('ner', 1, 2);
    const history = await log.history('sentiment');
    expect(history).toEqual(Array.from({ length: MAX_HISTORY }, (_, i) => i + 11));
    expect(await log.history('ner')).toEqual([1]);
    expect(await log.activeVersions()).toEqual(
      new Map([
        ['ner', 2],
        ['sentiment', MAX_HISTORY + 11],
      ]),
    );
    // Versions 1–4 exist and are all older than what is remembered: nothing to roll back to.
    expect(await log.previousVersion('sentiment', MAX_HISTORY + 11)).toBeUndefined();
    expect(await log.previousVersion('ner', 2)).toBe(1);
  });

  it('announces each activation and rollback to the fleet once committed', async () => {
    const [listenerPool, ownPool] = [pool(), pool()];
    const listener = new PgNotifier({ url, pool: listenerPool });
    const own = new PgNotifier({ url, pool: ownPool });
    await listener.start();
    await own.start();
    try {
      const heard: Array<NotificationPayloads['activation']> = [];
      listener.subscribe('activation', (p) => heard.push(p));
      const log = new PgActivationLog(ownPool, versionsOf, own);
      await log.recordActivation('sentiment', 1, 3);
      await log.recordRollback('sentiment', 1);
      await waitFor('two activation notifications', () => heard.length >= 2);
      expect(heard).toEqual([
        { model: 'sentiment', version: 3 },
        { model: 'sentiment', version: 1 },
      ]);
      // When the listener reads the registry on hearing it, the change is there.
      expect(await new PgActivationLog(listenerPool, versionsOf).activeVersion('sentiment')).toBe(1);

      // A change whose notification cannot be sent (a name past NOTIFY's limit) is not made either.
      const huge = 'm'.repeat(8000);
      await expect(log.recordActivation(huge, 1, 2)).rejects.toThrow(/exceeds PostgreSQL's limit/);
      expect(await log.activeVersion(huge)).toBeUndefined();
      expect(await log.history(huge)).toEqual([]);
    } finally {
      await listener.close();
      await own.close();
    }
  });
});
