import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { createHttpServer, RequestHandler, writeClientError } from './http/http-server';
import { installJsonBodyParser } from './http/json-body';
import { installPathRedaction, pathRedactor } from './http/path-redaction';
import { asNestLogger, JsonLogger } from './http/json-logger';
import { buildOpenApiDocument, serializeOpenApi } from './http/openapi';
import metadata from './metadata';
import { installSwaggerUi } from './http/swagger-ui';
import { installRequestHooks, requestIdFor } from './http/request-context';
import { installRoutePolicy } from './http/route-policy';
import { ServedResponseInterceptor } from './http/served-response.interceptor';
import { createValidationPipe } from './http/validation';
import { BerthMetrics } from './metrics/metrics';
import { sweepLeftovers } from './store/scratch';
import { MetricsModule } from './metrics/metrics.module';
import { CORE_HOST, CoreFactory, CoreHost } from './modules/core/core-host';
import { servingCoreFactory } from './modules/core/serving-core.factory';
import { FLEET_STORE, openFleetStore } from './modules/core/fleet-store';
import type { PostgresStore } from './store/postgres';
import { AuthModule } from './modules/auth/auth.module';
import { ConsoleModule } from './modules/console/console.module';
import { FilesModule } from './modules/files/files.module';
import { FineTuningModule, FineTuningModuleOptions } from './modules/fine-tuning/fine-tuning.module';
import { HealthModule } from './modules/health/health.module';
import { HfCompatModule } from './modules/hf-compat/hf-compat.module';
import { InferenceModule } from './modules/inference/inference.module';
import { InfoModule } from './modules/info/info.module';
import { KServeModule } from './modules/kserve/kserve.module';
import { ModelsModule } from './modules/models/models.module';

/**
 * Closes the core (draining its queues) after Nest has stopped and drained the HTTP server, then
 * fleet mode's database connection, which the core and the job runner used until then.
 */
@Injectable()
class CoreShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(CORE_HOST) private readonly host: CoreHost,
    @Inject(FLEET_STORE) private readonly fleet: PostgresStore | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.host.close();
    await this.fleet?.close();
  }
}

/** The process-wide singletons every feature module may inject. */
@Global()
@Module({})
class RuntimeModule {
  static register(
    config: AppConfig,
    host: CoreHost,
    metrics: BerthMetrics,
    logger: JsonLogger,
    fleet: PostgresStore | undefined,
  ): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: config },
      { provide: FLEET_STORE, useValue: fleet },
      { provide: CORE_HOST, useValue: host },
      { provide: BerthMetrics, useValue: metrics },
      { provide: JsonLogger, useValue: logger },
    ];
    return { module: RuntimeModule, providers: [...providers, CoreShutdown], exports: providers.map((p) => p.provide) };
  }
}

/** How fine-tuning jobs run, beyond the defaults (tests swap the executor); metrics are always wired. */
export type FineTuningOptions = Omit<FineTuningModuleOptions, 'observer'>;

/**
 * The composition root: one pipe, one filter and one interceptor for every route. Authentication
 * is not a Nest guard: it runs in Fastify's onRequest hook (route-policy.ts), before any body is read.
 */
@Module({})
export class AppModule {
  static register(
    config: AppConfig,
    host: CoreHost,
    metrics: BerthMetrics,
    logger: JsonLogger,
    fineTuning: FineTuningOptions = {},
    fleet?: PostgresStore,
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.register(config, host, metrics, logger, fleet),
        InferenceModule,
        HfCompatModule,
        KServeModule,
        ModelsModule,
        InfoModule,
        HealthModule,
        MetricsModule,
        AuthModule,
        FilesModule,
        ConsoleModule,
        FineTuningModule.register({ ...fineTuning, observer: metrics }),
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useFactory: () => new AllExceptionsFilter(logger) },
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
  const swept = await sweepLeftovers(config.dataDir);
  if (swept.length > 0) logger.info({ removed: swept }, 'removed the scratch files of a process that stopped mid-write');
  const metrics = new BerthMetrics({ processMetrics: options.processMetrics ?? true });
  const fleet = await openFleetStore(config, logger);
  if (fleet) {
    const registry = fleet.activationLog(() => []);
    metrics.attachFleet(config.fleet.replicaId, {
      queueDepth: () => fleet.queue.depth(),
      workers: () => fleet.queue.heartbeatAges(),
      registryVersions: () => registry.activeVersions(),
    });
  }
  const host = new CoreHost(options.coreFactory ?? servingCoreFactory(fleet), config, metrics, logger);

  const adapter = new FastifyAdapter({
    bodyLimit: config.limits.bodyBytes,
    genReqId: requestIdFor,
    // Keep-alive connections are closed on shutdown once their in-flight request is answered.
    forceCloseConnections: 'idle',
    serverFactory: (handler: RequestHandler) => createHttpServer(handler, config.http),
    clientErrorHandler: writeClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, host, metrics, logger, options.fineTuning, fleet),
    adapter,
    {
      logger: asNestLogger(logger),
      abortOnError: false,
      // Only the parsers registered below: JSON (depth-checked), multipart and raw archives.
      bodyParser: false,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();

  installRequestHooks(fastify, logger, metrics);
  installJsonBodyParser(fastify, config.limits.bodyBytes);
  await app.register(multipart as never, { limits: { fileSize: config.limits.archiveBytes, files: 1, fields: 4 } });
  installRoutePolicy(fastify, config, logger);
  installPathRedaction(fastify, pathRedactor(config));
  installSwaggerUi(fastify, serializeOpenApi(await buildOpenApiDocument(app, metadata)), config.auth.publicDocs ? 'public' : 'inference');

  await app.init();
  const started = host.start();
  if (options.waitForCore) await started;
  return app;
}
