import 'reflect-metadata';
import { createApp } from './app.module';
import { ConfigError, loadConfig } from './config/app-config';
import { JsonLogger } from './http/json-logger';
import { CORE_HOST, CoreHost } from './modules/core/core-host';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = new JsonLogger(config.logLevel, undefined, config.fleet.databaseUrl ? { replica: config.fleet.replicaId } : {});
  const app = await createApp({ config, logger });
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    { port: config.port, host: config.host, device: config.device, auth: config.auth.enabled, batching: config.batching.enabled },
    'berth listening; models loading',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, draining in-flight requests');
    // A request that never finishes must not keep the process alive forever.
    const timer = setTimeout(() => {
      logger.error({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app.close().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: String(err) }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  // A core that cannot start at all (as opposed to one model failing) will never be ready: exit
  // so the supervisor restarts or reports it, instead of answering 503 forever.
  const host = app.get<CoreHost>(CORE_HOST);
  await host.start();
  if (host.state() === 'failed') {
    logger.error({ err: host.failureMessage() }, 'serving core failed to start; exiting');
    await app.close();
    process.exit(1);
  }
  const models = host.get().list();
  if (models.length === 0)
    logger.warn({ models_dir: config.modelsDir }, 'no models found: every inference request will fail until one is added');
  logger.info({ models: models.map((m) => ({ name: m.name, task: m.task, version: m.active_version, status: m.status })) }, 'ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`berth: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
