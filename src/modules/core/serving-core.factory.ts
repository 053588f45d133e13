import type { CoreFactory } from './core-host';

/** Production core: the plain-TypeScript ServingCore, loaded lazily so tests with fakes never touch ONNX Runtime. */
export const servingCoreFactory: CoreFactory = async (config, observer, logger) => {
  const { ServingCore } = await import('../../serving/serving-core');
  return ServingCore.start({
    modelsDir: config.modelsDir,
    dataDir: config.dataDir,
    device: config.device,
    intraOpThreads: config.threads.intraOp,
    interOpThreads: config.threads.interOp,
    batching: { ...config.batching },
    limits: {
      maxInputsPerRequest: config.limits.maxInputsPerRequest,
      maxCandidateLabels: config.limits.maxCandidateLabels,
      maxTextChars: config.limits.maxTextChars,
    },
    defaults: { ...config.defaults },
    observer,
    logger,
  });
};
