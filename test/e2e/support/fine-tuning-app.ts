import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import { AppModule } from '../../../src/app.module';
import { AppConfig, loadConfig } from '../../../src/config/app-config';
import { JsonLogger } from '../../../src/http/json-logger';
import { installRequestHooks, requestIdFor } from '../../../src/http/request-context';
import { BerthMetrics } from '../../../src/metrics/metrics';
import { CoreFactory, CoreHost } from '../../../src/modules/core/core-host';
import { FilesModule } from '../../../src/modules/files/files.module';
import { FineTuningModule, FineTuningModuleOptions } from '../../../src/modules/fine-tuning/fine-tuning.module';

/**
 * The real application pipeline (pipe, filter, guard, interceptor, multipart) with the files and
 * fine-tuning modules mounted beside the composition root, the way app.module imports them.
 */
@Module({})
class WithFineTuning {
  static register(config: AppConfig, host: CoreHost, metrics: BerthMetrics, logger: JsonLogger, options: FineTuningModuleOptions): DynamicModule {
    return {
      module: WithFineTuning,
      imports: [AppModule.register(config, host, metrics, logger), FilesModule, FineTuningModule.register(options)],
    };
  }
}

export interface FineTuningTestApp {
  app: NestFastifyApplication;
  host: CoreHost;
  config: AppConfig;
  logs: string[];
}

export async function fineTuningApp(env: Record<string, string>, coreFactory: CoreFactory, options: FineTuningModuleOptions = {}): Promise<FineTuningTestApp> {
  const config = loadConfig({ BERTH_LOG_LEVEL: 'warn', ...env });
  const logs: string[] = [];
  const logger = new JsonLogger(config.logLevel, (line) => logs.push(line));
  const metrics = new BerthMetrics({ processMetrics: false });
  const host = new CoreHost(coreFactory, config, metrics, logger);
  const app = await NestFactory.create<NestFastifyApplication>(
    WithFineTuning.register(config, host, metrics, logger, options),
    new FastifyAdapter({ bodyLimit: config.limits.bodyBytes, genReqId: requestIdFor as never }),
    { logger: false, abortOnError: false },
  );
  installRequestHooks(app.getHttpAdapter().getInstance(), logger, metrics);
  await app.register(multipart as never, { limits: { fileSize: config.limits.archiveBytes, files: 1, fields: 4 } });
  await app.init();
  await host.start();
  await app.getHttpAdapter().getInstance().ready();
  return { app, host, config, logs };
}
