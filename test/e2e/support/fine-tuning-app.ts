import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, FineTuningOptions } from '../../../src/app.module';
import { AppConfig, loadConfig } from '../../../src/config/app-config';
import { JsonLogger } from '../../../src/http/json-logger';
import { CORE_HOST, CoreFactory, CoreHost } from '../../../src/modules/core/core-host';

export interface FineTuningTestApp {
  app: NestFastifyApplication;
  host: CoreHost;
  config: AppConfig;
  logs: string[];
}

/**
 * The whole application (as `main.ts` builds it) over the given core, with the fine-tuning
 * executor swapped when a test needs a stand-in trainer. `env` must set BERTH_DATA_DIR.
 */
export async function fineTuningApp(
  env: Record<string, string>,
  coreFactory: CoreFactory,
  options: FineTuningOptions = {},
): Promise<FineTuningTestApp> {
  if (!env.BERTH_DATA_DIR) throw new Error('fineTuningApp: set BERTH_DATA_DIR to a temporary directory');
  const config = loadConfig({ BERTH_LOG_LEVEL: 'warn', ...env });
  const logs: string[] = [];
  const app = await createApp({
    config,
    coreFactory,
    logger: new JsonLogger(config.logLevel, (line) => logs.push(line)),
    waitForCore: true,
    processMetrics: false,
    fineTuning: options,
  });
  await app.getHttpAdapter().getInstance().ready();
  return { app, host: app.get<CoreHost>(CORE_HOST), config, logs };
}
