import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { BerthStore, type Persistence, sqlitePersistence } from '../../store';

/** The injection token of the process's {@link Persistence}: files and jobs behind the async contracts. */
export const PERSISTENCE = Symbol('PERSISTENCE');

/**
 * Where this process keeps its files and jobs; the one place that chooses the database. Today the
 * embedded SQLite database in the data directory, opened on first use (a server that never sees a
 * file or a job never creates it). Fleet mode will choose PostgreSQL here when the config names a
 * database URL: `PostgresStore.open(url)` gives `files` and `jobs` that fit the same contracts,
 * with `exists: () => true` and its own `close()`.
 */
export async function openPersistence(config: AppConfig): Promise<Persistence> {
  return sqlitePersistence(BerthStore.lazy(config.dataDir));
}

export const persistenceProvider: Provider = {
  provide: PERSISTENCE,
  useFactory: openPersistence,
  inject: [APP_CONFIG],
};

/** Closes the database after everything that writes to it (the job runner) has stopped. */
@Injectable()
export class PersistenceShutdown implements OnApplicationShutdown {
  constructor(@Inject(PERSISTENCE) private readonly persistence: Persistence) {}

  async onApplicationShutdown(): Promise<void> {
    await this.persistence.close();
  }
}
