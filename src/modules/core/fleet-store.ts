import type { AppConfig } from '../../config/app-config';
import type { PostgresStore } from '../../store/postgres';
import type { CoreLogger } from './core-host';

/** Injection token: the process's PostgreSQL store in fleet mode, undefined in the embedded mode. */
export const FLEET_STORE = Symbol('FLEET_STORE');

/**
 * Opens fleet mode's database when `BERTH_DATABASE_URL` is set (connects, migrates under the
 * advisory lock, starts listening); the embedded mode never loads `pg`. A database that cannot be
 * reached at boot stops the process: the supervisor restarts it, and it converges then.
 */
export async function openFleetStore(config: AppConfig, logger: CoreLogger): Promise<PostgresStore | undefined> {
  const url = config.fleet.databaseUrl;
  if (!url) return undefined;
  const { PostgresStore, redactUrl } = await import('../../store/postgres');
  const store = await PostgresStore.open(url, { logger });
  logger.info(
    { database: redactUrl(url), schema: store.schema.version, role: config.fleet.role, replica: config.fleet.replicaId },
    'fleet mode: PostgreSQL holds files, jobs, the registry and the queue',
  );
  return store;
}
