/**
 * The model registry of a fleet: each model's active version (`model_active`) and the versions
 * active before it, for rollback (`model_history`, newest last, at most 50 per model). The same
 * rules as the on-disk `ModelStore` (src/serving/model-store.ts), each change in one transaction
 * that also announces it (`activation`): PostgreSQL delivers the notification at commit, so every
 * replica hears of a change, and only of one that happened, and loads and flips to the new
 * version. The version directories themselves stay on the shared volume: `versionsOf` says which
 * exist.
 */
import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './connection';
import type { Publisher } from './notifier';

/** Rollback depth kept per model; older entries are dropped (as on disk). */
export const MAX_HISTORY = 50;

/**
 * What serving needs from a registry (the shape of `ActivationLog` in src/serving, repeated here:
 * the store may not import serving).
 */
export interface ActivationLog {
  /** Makes `to` active, remembering `from` for a rollback. */
  recordActivation(name: string, from: number, to: number): void | Promise<void>;
  /** The newest remembered version other than `active` that still exists. */
  previousVersion(name: string, active: number): number | undefined | Promise<number | undefined>;
  /** Makes `to` active; it, and every entry above it, leaves the history. */
  recordRollback(name: string, to: number): void | Promise<void>;
}

export class PgActivationLog implements ActivationLog {
  constructor(
    private readonly pool: Pool,
    private readonly versionsOf: (name: string) => readonly number[],
    private readonly publisher?: Publisher,
  ) {}

  async recordActivation(name: string, from: number, to: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // Writing the pointer first locks the model's row: two activations of one model take turns.
      await this.setActive(client, name, to);
      if (from !== to) {
        await client.query('INSERT INTO model_history (model, version) VALUES ($1, $2)', [name, from]);
        await client.query(
          `DELETE FROM model_history WHERE model = $1 AND seq NOT IN (
             SELECT seq FROM model_history WHERE model = $1 ORDER BY seq DESC LIMIT $2)`,
          [name, MAX_HISTORY],
        );
      }
      await this.publisher?.publish('activation', { model: name, version: to }, client);
    });
  }

  async previousVersion(name: string, active: number): Promise<number | undefined> {
    const existing = new Set(this.versionsOf(name));
    const history = await this.history(name);
    for (let i = history.length - 1; i >= 0; i--) {
      if (history[i] !== active && existing.has(history[i])) return history[i];
    }
    return undefined;
  }

  async recordRollback(name: string, to: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await this.setActive(client, name, to);
      // The newest entry naming `to` and everything above it go; with none, the whole history.
      await client.query(
        `DELETE FROM model_history WHERE model = $1 AND seq >= coalesce(
           (SELECT max(seq) FROM model_history WHERE model = $1 AND version = $2), 0)`,
        [name, to],
      );
      await this.publisher?.publish('activation', { model: name, version: to }, client);
    });
  }

  /** The versions active before the current one, oldest first. */
  async history(name: string): Promise<number[]> {
    const { rows } = await this.pool.query<{ version: number }>('SELECT version FROM model_history WHERE model = $1 ORDER BY seq', [name]);
    return rows.map((r) => r.version);
  }

  /** The recorded active version of every model that has one. */
  async activeVersions(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ model: string; version: number }>('SELECT model, version FROM model_active ORDER BY model');
    return new Map(rows.map((r) => [r.model, r.version]));
  }

  /** The recorded active version of `name`, or undefined when none was ever recorded. */
  async activeVersion(name: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ version: number }>('SELECT version FROM model_active WHERE model = $1', [name]);
    return rows[0]?.version;
  }

  private async setActive(client: PoolClient, name: string, version: number): Promise<void> {
    await client.query(
      `INSERT INTO model_active (model, version) VALUES ($1, $2)
       ON CONFLICT (model) DO UPDATE SET version = excluded.version, activated_at = now()`,
      [name, version],
    );
  }
}
