import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { BerthStore } from '../../store';

/** The one database of the process, in the configured data directory, opened on first use. */
export const storeProvider: Provider = {
  provide: BerthStore,
  useFactory: (config: AppConfig) => BerthStore.lazy(config.dataDir),
  inject: [APP_CONFIG],
};

/** Closes the database after everything that writes to it (the job runner) has stopped. */
@Injectable()
export class StoreShutdown implements OnApplicationShutdown {
  constructor(@Inject(BerthStore) private readonly store: BerthStore) {}

  onApplicationShutdown(): void {
    this.store.close();
  }
}
