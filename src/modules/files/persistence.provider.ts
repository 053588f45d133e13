import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { BerthStore, type Persistence, sqlitePersistence } from '../../store';

/** The injection token of the process's {@link Persistence}: files and jobs behind the async contracts. */
export const PERSISTENCE = Symbol('PERSISTENCE');

/** The one database of the process, in the configured data directory, opened on first use. */
export const storeProvider: Provider = {
  provide: BerthStore,
  useFactory: (config: AppConfig) => BerthStore.lazy(config.dataDir),
  inject: [APP_CONFIG],
};

/**
 * Where this process keeps its files and jobs: the embedded database, through the async
 * contracts, on the same lazily opened handle as {@link storeProvider}.
 */
export const persistenceProvider: Provider = {
  provide: PERSISTENCE,
  useFactory: (store: BerthStore): Persistence => sqlitePersistence(store),
  inject: [BerthStore],
};

/** Closes the database after everything that writes to it (the job runner) has stopped. */
@Injectable()
export class PersistenceShutdown implements OnApplicationShutdown {
  constructor(@Inject(PERSISTENCE) private readonly persistence: Persistence) {}

  async onApplicationShutdown(): Promise<void> {
    await this.persistence.close();
  }
}
