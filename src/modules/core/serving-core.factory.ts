import type { PostgresStore } from '../../store/postgres';
import type { RegistryFeed } from '../../serving/registry-sync';
import type { CoreFactory } from './core-host';

/**
 * Production core: the plain-TypeScript ServingCore, loaded lazily so tests with fakes never touch
 * ONNX Runtime. In fleet mode (`fleet` given) the model registry lives in PostgreSQL: the core
 * starts on the registry's active versions, records its own activations and rollbacks there, and
 * follows the ones announced by other processes.
 */
export function servingCoreFactory(fleet?: PostgresStore): CoreFactory {
  return async (config, observer, logger) => {
    const { ServingCore } = await import('../../serving/serving-core');
    const options = {
      modelsDir: config.modelsDir,
      dataDir: config.dataDir,
      device: config.device,
      intraOpThreads: config.threads.intraOp,
      interOpThreads: config.threads.interOp,
      threadSpinning: config.threads.spinning,
      graph: { ...config.graph },
      batching: { ...config.batching },
      limits: {
        maxInputsPerRequest: config.limits.maxInputsPerRequest,
        maxCandidateLabels: config.limits.maxCandidateLabels,
        maxTextChars: config.limits.maxTextChars,
      },
      defaults: { ...config.defaults },
      observer,
      logger,
    };
    if (!fleet) return ServingCore.start(options);

    const { ModelStore } = await import('../../serving/model-store');
    const { followRegistry } = await import('../../serving/registry-sync');
    const disk = new ModelStore(config.modelsDir, config.dataDir);
    const registry = fleet.activationLog((name) => disk.versionNumbers(name));
    const core = await ServingCore.start({ ...options, activationLog: registry, initialVersions: await registry.activeVersions() });
    const feed: RegistryFeed = {
      activeVersions: () => registry.activeVersions(),
      onActivation: (listener) => fleet.notifier.subscribe('activation', ({ model, version }) => listener(model, version)),
      onReconnect: (listener) => fleet.notifier.onReconnect(listener),
    };
    followRegistry(core.models, feed, logger);
    return core;
  };
}
