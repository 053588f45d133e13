import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../../src/app.module';
import { loadConfig } from '../../../src/config/app-config';
import { JsonLogger } from '../../../src/http/json-logger';
import { RequestLimits } from '../../../src/tasks/limits';
import { FakeCore } from './fake-core';

export interface TestApp {
  app: NestFastifyApplication;
  core: FakeCore;
  logs: string[];
  /** The app's BERTH_DATA_DIR: a fresh temporary directory, removed when the app closes. */
  dataDir: string;
}

/**
 * A fresh temporary data directory (so no test writes `./data`), and a function that removes it.
 * `fakeApp` uses it; tests that call `createApp` themselves pass it as BERTH_DATA_DIR.
 */
export function tempDataDir(): { dataDir: string; remove: () => void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-data-'));
  return { dataDir, remove: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** The real app (same pipe, filter, guard, interceptor) over a FakeCore, configured by env-style vars. */
export async function fakeApp(
  env: Record<string, string> = {},
  core = new FakeCore(),
  options: { processMetrics?: boolean } = {},
): Promise<TestApp> {
  const temp = tempDataDir();
  const config = loadConfig({ BERTH_LOG_LEVEL: 'info', BERTH_DATA_DIR: temp.dataDir, ...env });
  const logs: string[] = [];
  const app = await createApp({
    config,
    coreFactory: async (_config, observer) => {
      core.observer = observer;
      core.limits = new RequestLimits(config.limits);
      for (const m of core.list()) observer.activeVersion(m.name, m.active_version);
      return core;
    },
    logger: new JsonLogger(config.logLevel, (line) => logs.push(line)),
    waitForCore: true,
    processMetrics: options.processMetrics ?? false,
  });
  await app.getHttpAdapter().getInstance().ready();
  const close = app.close.bind(app);
  app.close = async () => {
    try {
      await close();
    } finally {
      temp.remove();
    }
  };
  return { app, core, logs, dataDir: config.dataDir };
}
