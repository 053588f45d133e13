/**
 * Notifications between the processes of a fleet, over PostgreSQL's LISTEN/NOTIFY: one channel
 * (`berth`), one JSON message per notification, `{ "kind": …, "payload": … }`. Payloads carry ids,
 * never whole records: a listener reads the rows it needs, which stay the source of truth.
 *
 * A notification reaches the processes listening when it is sent, and is lost to one that is
 * reconnecting: after a reconnection `onReconnect` listeners re-read what they follow.
 *
 * One dedicated connection listens (a pooled one cannot: the pool may hand it to anyone, or close
 * it). Publishing goes through the pool, so it works while the listener reconnects, or through
 * the transaction that makes the change announced (`announcing`).
 */
import { Client } from 'pg';
import type { Pool } from 'pg';
import type { JobStatus } from '../job-repository';
import { StoreError } from '../database';
import { PG_TYPES, inTransaction } from './connection';
import type { Queryable } from './connection';

/** What each kind of notification carries. */
export interface NotificationPayloads {
  /** A model's active version changed (activation or rollback): replicas load and flip to it. */
  activation: { model: string; version: number };
  /** A job event was stored: streams read it by `seq`. */
  job_event: { jobId: string; seq: number };
  /** A job changed status. */
  job_status: { jobId: string; status: JobStatus };
  /** Someone asked to cancel a job: its worker stops it. */
  job_cancel: { jobId: string };
}

export type NotificationKind = keyof NotificationPayloads;

export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['activation', 'job_event', 'job_status', 'job_cancel'];

/**
 * Sends notifications; what the stores need from a notifier. Given `via`, a client inside a
 * transaction, the notification goes out when that transaction commits, and never if it rolls back.
 */
export interface Publisher {
  publish<K extends NotificationKind>(kind: K, payload: NotificationPayloads[K], via?: Queryable): Promise<void>;
}

/** Announces a change from inside the transaction that makes it. */
export type Announce = <K extends NotificationKind>(kind: K, payload: NotificationPayloads[K]) => Promise<void>;

/**
 * Runs a write whose changes the fleet must hear of: without a publisher, straight on the pool;
 * with one, in a transaction whose notifications PostgreSQL delivers at commit. So a change and its
 * notification happen together or not at all, and a write never fails after it committed.
 */
export async function announcing<T>(
  pool: Pool,
  publisher: Publisher | undefined,
  work: (db: Queryable, announce: Announce) => Promise<T>,
): Promise<T> {
  if (!publisher) return work(pool, async () => undefined);
  return inTransaction(pool, (client) => work(client, (kind, payload) => publisher.publish(kind, payload, client)));
}

export const CHANNEL = 'berth';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7999;

/** Sends a notification through any connection (a pool, or a transaction's client: delivered at commit). */
export async function publishOn(db: Queryable, kind: NotificationKind, payload: object, channel = CHANNEL): Promise<void> {
  const message = JSON.stringify({ kind, payload });
  const bytes = Buffer.byteLength(message, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new StoreError(
      `a ${kind} notification of ${bytes} bytes exceeds PostgreSQL's limit (${MAX_PAYLOAD_BYTES}); send ids, not records`,
    );
  }
  await db.query('SELECT pg_notify($1, $2)', [channel, message]);
}

export interface NotifierLogger {
  warn(obj: object, msg?: string): void;
}

export interface NotifierOptions {
  /** Where to listen (`postgres://…`). */
  readonly url: string;
  /** Where to publish: the process's pool. */
  readonly pool: Pool;
  readonly channel?: string;
  /** The first wait before reconnecting, in ms; it doubles after each failed try… */
  readonly minBackoffMs?: number;
  /** …up to this. */
  readonly maxBackoffMs?: number;
  readonly logger?: NotifierLogger;
}

type Listener = (payload: never) => void;

export class PgNotifier implements Publisher {
  private readonly channel: string;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly listeners = new Map<NotificationKind, Set<Listener>>();
  private readonly reconnectListeners = new Set<() => void>();
  private client: Client | undefined;
  private listening = false;
  private started = false;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NotifierOptions) {
    this.channel = options.channel ?? CHANNEL;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = Math.max(this.minBackoffMs, options.maxBackoffMs ?? 5_000);
  }

  /** Connects and listens; rejects when the first connection fails (later drops reconnect by themselves). */
  async start(): Promise<void> {
    if (this.started) throw new StoreError('the notifier is already started');
    this.started = true;
    await this.connect();
  }

  /** Whether the listening connection is up (notifications sent now reach this process). */
  get connected(): boolean {
    return this.listening;
  }

  async publish<K extends NotificationKind>(kind: K, payload: NotificationPayloads[K], via: Queryable = this.options.pool): Promise<void> {
    if (this.closed) throw new StoreError('the notifier is closed');
    await publishOn(via, kind, payload, this.channel);
  }

  /** Calls `listener` with every notification of `kind`; returns the function that stops it. */
  subscribe<K extends NotificationKind>(kind: K, listener: (payload: NotificationPayloads[K]) => void): () => void {
    let set = this.listeners.get(kind);
    if (!set) this.listeners.set(kind, (set = new Set()));
    const entry = listener as Listener;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Calls `listener` each time the connection is back after a drop: notifications may have been missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => {
      this.reconnectListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.options.url, types: PG_TYPES, keepAlive: true });
    // Without an 'error' listener a dropped connection would end the process.
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client));
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.dispatch(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    // Only now does the connection count: its events before this point were the failure above.
    this.client = client;
    this.listening = true;
    const reconnected = this.failures > 0;
    this.failures = 0;
    if (reconnected) {
      for (const listener of [...this.reconnectListeners]) this.call(listener as Listener, undefined as never, 'reconnect');
    }
  }

  private dropped(client: Client, error?: Error): void {
    if (client !== this.client) return; // an old connection's late event
    this.client = undefined;
    this.listening = false;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.options.logger?.warn({ err: error?.message }, 'notification connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const delay = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(this.failures, 20));
    this.failures++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.connect().catch((error: Error) => {
        this.options.logger?.warn({ err: error.message, attempt: this.failures }, 'notification connection: reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
    // A notifier waiting to reconnect does not keep the process alive on its own.
    this.timer.unref();
  }

  private dispatch(raw: string | undefined): void {
    let message: { kind?: unknown; payload?: unknown };
    try {
      message = JSON.parse(raw ?? '') as { kind?: unknown; payload?: unknown };
    } catch {
      this.options.logger?.warn({ payload: raw?.slice(0, 200) }, 'ignoring a notification that is not JSON');
      return;
    }
    const set = typeof message.kind === 'string' ? this.listeners.get(message.kind as NotificationKind) : undefined;
    if (!set) return;
    for (const listener of [...set]) this.call(listener, message.payload as never, String(message.kind));
  }

  /** One failing listener neither stops the others nor the connection. */
  private call(listener: (payload: never) => void, payload: never, kind: string): void {
    try {
      listener(payload);
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message, kind }, 'a notification listener failed');
    }
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
