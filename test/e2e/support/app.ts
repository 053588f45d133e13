import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../../src/app.module';
import { loadConfig } from '../../../src/config/app-config';
import { JsonLogger } from '../../../src/http/json-logger';
import { FakeCore } from './fake-core';

export interface TestApp {
  app: NestFastifyApplication;
  core: FakeCore;
  logs: string[];
}

/** The real app (same pipe, filter, guard, interceptor) over a FakeCore, configured by env-style vars. */
export async function fakeApp(env: Record<string, string> = {}, core = new FakeCore(), options: { processMetrics?: boolean } = {}): Promise<TestApp> {
  const config = loadConfig({ BERTH_LOG_LEVEL: 'info', ...env });
  const logs: string[] = [];
  const app = await createApp({
    config,
    coreFactory: async (_config, observer) => {
      core.observer = observer;
      for (const m of core.list()) observer.activeVersion(m.name, m.active_version);
      return core;
    },
    logger: new JsonLogger(config.logLevel, (line) => logs.push(line)),
    waitForCore: true,
    processMetrics: options.processMetrics ?? false,
  });
  await app.getHttpAdapter().getInstance().ready();
  return { app, core, logs };
}
