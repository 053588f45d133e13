import { join } from 'node:path';
import { ServingCore } from '../../src/serving/serving-core';

type CoreOptions = Parameters<typeof ServingCore.start>[0];

/**
 * A serving core over `<root>/models` (scratch state in `<root>/data`) as the integration tests
 * run it: CPU, one ONNX Runtime thread each way, small batches and request limits.
 */
export function startTestCore(root: string, overrides: Partial<CoreOptions> = {}): Promise<ServingCore> {
  return ServingCore.start({
    modelsDir: join(root, 'models'),
    dataDir: join(root, 'data'),
    device: 'cpu',
    intraOpThreads: 1,
    interOpThreads: 1,
    batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 2, maxQueue: 64, enabled: true },
    limits: { maxInputsPerRequest: 32, maxCandidateLabels: 10, maxTextChars: 10_000 },
    ...overrides,
  });
}
