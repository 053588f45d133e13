import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { AllExceptionsFilter, sendError } from './http/all-exceptions.filter';
import { ApiKeyGuard, authorize } from './http/api-key.guard';
import { asNestLogger, JsonLogger } from './http/json-logger';
import { buildOpenApiDocument, serializeOpenApi } from './http/openapi';
import { installSwaggerUi } from './http/swagger-ui';
import { installRequestHooks, requestIdFor } from './http/request-context';
import { ServedResponseInterceptor } from './http/served-response.interceptor';
import { createValidationPipe } from './http/validation';
import { BerthMetrics } from './metrics/metrics';
import { MetricsModule } from './metrics/metrics.module';
import { CORE_HOST, CoreFactory, CoreHost } from './modules/core/core-host';
import { servingCoreFactory } from './modules/core/serving-core.factory';
import { FilesModule } from './modules/files/files.module';
import { FineTuningModule, FineTuningModuleOptions } from './modules/fine-tuning/fine-tuning.module';
import { HealthModule } from './modules/health/health.module';
import { HfCompatModule } from './modules/hf-compat/hf-compat.module';
import { InferenceModule } from './modules/inference/inference.module';
import { InfoModule } from './modules/info/info.module';
import { KServeModule } from './modules/kserve/kserve.module';
import { ARCHIVE_TYPES } from './modules/models/models.controller';
import { ModelsModule } from './modules/models/models.module';

/** Closes the core (draining its queues) after Nest has stopped and drained the HTTP server. */
@Injectable()
class CoreShutdown implements OnApplicationShutdown {
  constructor(@Inject(CORE_HOST) private readonly host: CoreHost) {}

  async onApplicationShutdown(): Promise<void> {
    await this.host.close();
  }
}

/** The process-wide singletons every feature module may inject. */
@Global()
@Module({})
class RuntimeModule {
  static register(config: AppConfig, host: CoreHost, metrics: BerthMetrics, logger: JsonLogger): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: config },
      { provide: CORE_HOST, useValue: host },
      { provide: BerthMetrics, useValue: metrics },
      { provide: JsonLogger, useValue: logger },
    ];
    return { module: RuntimeModule, providers: [...providers, CoreShutdown], exports: providers.map((p) => p.provide) };
  }
}

/** How fine-tuning jobs run, beyond the defaults (tests swap the executor); metrics are always wired. */
export type FineTuningOptions = Omit<FineTuningModuleOptions, 'observer'>;

/** The composition root: one pipe, one filter, one guard and one interceptor for every route. */
@Module({})
export class AppModule {
  static register(config: AppConfig, host: CoreHost, metrics: BerthMetrics, logger: JsonLogger, fineTuning: FineTuningOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.register(config, host, metrics, logger),
        InferenceModule,
        HfCompatModule,
        KServeModule,
        ModelsModule,
        InfoModule,
        HealthModule,
        MetricsModule,
        FilesModule,
        FineTuningModule.register({ ...fineTuning, observer: metrics }),
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useFactory: () => new AllExceptionsFilter(logger) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_INTERCEPTOR, useClass: ServedResponseInterceptor },
      ],
    };
  }
}

export interface CreateAppOptions {
  config: AppConfig;
  /** How the serving core is built; the real ServingCore by default. */
  coreFactory?: CoreFactory;
  logger?: JsonLogger;
  /** Resolve only once the core has started (tests); the server itself starts serving health at once. */
  waitForCore?: boolean;
  /** Whether to collect Node process metrics (on for the server; off keeps test output small). */
  processMetrics?: boolean;
  /** Fine-tuning job execution (default: the trainer in a worker thread, one job at a time). */
  fineTuning?: FineTuningOptions;
}

/**
 * Builds the whole application, initialised but not listening. `main.ts` and the tests both build
 * it here, so they run the same pipeline.
 */
export async function createApp(options: CreateAppOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  const logger = options.logger ?? new JsonLogger(config.logLevel);
  const metrics = new BerthMetrics({ processMetrics: options.processMetrics ?? true });
  const host = new CoreHost(options.coreFactory ?? servingCoreFactory, config, metrics, logger);

  const adapter = new FastifyAdapter({
    bodyLimit: config.limits.bodyBytes,
    genReqId: requestIdFor,
    // Keep-alive connections are closed on shutdown once their in-flight request is answered.
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, host, metrics, logger, options.fineTuning), adapter, {
    logger: asNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();

  installRequestHooks(fastify, logger, metrics);
  await app.register(multipart as never, { limits: { fileSize: config.limits.archiveBytes, files: 1, fields: 4 } });
  fastify.addContentTypeParser(ARCHIVE_TYPES, { parseAs: 'buffer', bodyLimit: config.limits.archiveBytes }, (_req, body, done) => done(null, body));

  if (!config.auth.publicDocs) {
    fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.url.startsWith('/docs')) return;
      try {
        authorize(config, 'inference', request.headers.authorization);
      } catch (err) {
        sendError(err, request, reply, logger);
        return reply;
      }
    });
  }

  installSwaggerUi(fastify, serializeOpenApi(buildOpenApiDocument(app)));

  await app.init();
  const started = host.start();
  if (options.waitForCore) await started;
  return app;
}
