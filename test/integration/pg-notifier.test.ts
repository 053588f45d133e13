/**
 * Notifications between processes over LISTEN/NOTIFY: what one notifier publishes reaches the
 * subscribers of another, and a listener whose server went away and came back reconnects by
 * itself, says so (`onReconnect`), and hears later notifications. Waits are bounded; none measures speed.
 */
import type { Pool } from 'pg';
import { StoreError } from '../../src/store';
import { createPool } from '../../src/store/postgres/connection';
import { PgNotifier } from '../../src/store/postgres/notifier';
import type { NotificationPayloads } from '../../src/store/postgres/notifier';
import { waitFor } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

describeWithPostgres('PgNotifier', () => {
  let server: TestPostgres;
  let pools: Pool[];
  let notifiers: PgNotifier[];
  beforeAll(async () => {
    server = await startPostgres();
  });
  beforeEach(() => {
    pools = [];
    notifiers = [];
  });
  afterEach(async () => {
    await Promise.all(notifiers.map((n) => n.close()));
    await Promise.all(pools.map((p) => p.end()));
  });
  afterAll(() => server?.destroy());

  /** A process's notifier: its own pool and its own listening connection. */
  async function joinFleet(options: { maxBackoffMs?: number } = {}): Promise<PgNotifier> {
    const pool = createPool(server.url, { max: 2 });
    pools.push(pool);
    const notifier = new PgNotifier({ url: server.url, pool, minBackoffMs: 20, maxBackoffMs: options.maxBackoffMs ?? 200 });
    notifiers.push(notifier);
    await notifier.start();
    return notifier;
  }

  it('delivers what one process publishes to the subscribers of another, by kind', async () => {
    const [a, b] = [await joinFleet(), await joinFleet()];
    const activations: Array<NotificationPayloads['activation']> = [];
    const events: Array<NotificationPayloads['job_event']> = [];
    const cancels: Array<NotificationPayloads['job_cancel']> = [];
    b.subscribe('activation', (p) => activations.push(p));
    const stopEvents = b.subscribe('job_event', (p) => events.push(p));
    b.subscribe('job_cancel', () => {
      throw new Error('a broken listener');
    });
    b.subscribe('job_cancel', (p) => cancels.push(p));

    await a.publish('activation', { model: 'sentiment', version: 3 });
    await a.publish('job_event', { jobId: 'ftjob-1', seq: 17 });
    await a.publish('job_cancel', { jobId: 'ftjob-2' });
    await waitFor('the three notifications', () => activations.length + events.length + cancels.length === 3);
    expect(activations).toEqual([{ model: 'sentiment', version: 3 }]);
    expect(events).toEqual([{ jobId: 'ftjob-1', seq: 17 }]);
    // The listener that threw did not keep the next one from hearing it.
    expect(cancels).toEqual([{ jobId: 'ftjob-2' }]);

    // After unsubscribing, job events no longer arrive; the others still do (in publishing order).
    stopEvents();
    await a.publish('job_event', { jobId: 'ftjob-1', seq: 18 });
    await a.publish('activation', { model: 'sentiment', version: 4 });
    await waitFor('the second activation', () => activations.length === 2);
    expect(events).toEqual([{ jobId: 'ftjob-1', seq: 17 }]);
    // A process hears its own notifications too.
    const own: number[] = [];
    a.subscribe('activation', (p) => own.push(p.version));
    await a.publish('activation', { model: 'ner', version: 1 });
    await waitFor('its own notification', () => own.length === 1);
  });

  it('refuses a payload over the NOTIFY limit, before sending anything', async () => {
    const a = await joinFleet();
    await expect(a.publish('activation', { model: 'x'.repeat(8000), version: 1 })).rejects.toThrow(StoreError);
    await expect(a.publish('activation', { model: 'x'.repeat(8000), version: 1 })).rejects.toThrow(/exceeds PostgreSQL's limit/);
  });

  it('fails to start when the database cannot be reached', async () => {
    const pool = createPool('postgres://berth@127.0.0.1:1/berth', { connectionTimeoutMillis: 2000 });
    pools.push(pool);
    const notifier = new PgNotifier({ url: 'postgres://berth@127.0.0.1:1/berth', pool });
    notifiers.push(notifier);
    await expect(notifier.start()).rejects.toThrow(/ECONNREFUSED/);
    expect(notifier.connected).toBe(false);
  });

  it('reconnects by itself after the server stops and starts again, and hears later notifications', async () => {
    const [a, b] = [await joinFleet(), await joinFleet()];
    const heard: number[] = [];
    let reconnects = 0;
    b.subscribe('activation', (p) => heard.push(p.version));
    b.onReconnect(() => reconnects++);
    await a.publish('activation', { model: 'm', version: 1 });
    await waitFor('the first notification', () => heard.length === 1);
    expect(reconnects).toBe(0);

    server.stop();
    await waitFor('the listener to notice the drop', () => !b.connected);
    server.start();
    await waitFor('the listener to reconnect', () => reconnects >= 1 && b.connected, 30_000);
    expect(reconnects).toBe(1);

    await a.publish('activation', { model: 'm', version: 2 });
    await waitFor('a notification after the restart', () => heard.includes(2));
    expect(heard).toEqual([1, 2]);
  });
});
