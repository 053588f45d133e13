import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { BerthStore, type Persistence, sqlitePersistence } from '../../store';
import type { PostgresStore } from '../../store/postgres';
import { FLEET_STORE } from '../core/fleet-store';

/** The injection token of the process's {@link Persistence}: files and jobs behind the async contracts. */
export const PERSISTENCE = Symbol('PERSISTENCE');

/**
 * Where this process keeps its files and jobs; the one place that chooses the database: the
 * embedded SQLite database in the data directory, opened on first use (a server that never sees a
 * file or a job never creates it), or in fleet mode the process's PostgreSQL store (opened at boot
 * by the composition root, which also closes it).
 */
export async function openPersistence(config: AppConfig, fleet: PostgresStore | undefined): Promise<Persistence> {
  if (fleet) return { files: fleet.files, jobs: fleet.jobs, exists: () => true, close: async () => undefined };
  return sqlitePersistence(BerthStore.lazy(config.dataDir));
}

export const persistenceProvider: Provider = {
  provide: PERSISTENCE,
  useFactory: openPersistence,
  inject: [APP_CONFIG, FLEET_STORE],
};

/** Closes the database after everything that writes to it (the job runner) has stopped. */
@Injectable()
export class PersistenceShutdown implements OnApplicationShutdown {
  constructor(@Inject(PERSISTENCE) private readonly persistence: Persistence) {}

  async onApplicationShutdown(): Promise<void> {
    await this.persistence.close();
  }
}
