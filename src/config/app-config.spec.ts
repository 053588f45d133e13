import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('has documented defaults and freezes the result', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      modelsDir: './models',
      dataDir: './data',
      device: 'cpu',
      auth: { enabled: false, inferenceKeys: [], adminKeys: [], publicMetrics: true, publicDocs: true },
      batching: { enabled: true, maxBatchSize: 32, maxBatchTokens: 16384, maxWaitMs: 0, maxQueue: 1024 },
      threads: { intraOp: undefined, interOp: undefined, spinning: false },
      graph: { fused: false, quantize: undefined },
      limits: { bodyBytes: 1048576, fileBytes: 100 * 1024 * 1024, maxInputsPerRequest: 64, maxCandidateLabels: 32, maxTextChars: 100000 },
      defaults: {},
      logLevel: 'info',
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.limits)).toBe(true);
    expect(Object.isFrozen(c.auth.adminKeys)).toBe(true);
  });

  it('reads every knob from the environment', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      BERTH_MODELS_DIR: '/m',
      BERTH_DATA_DIR: '/d',
      BERTH_DEVICE: 'cuda',
      BERTH_API_KEYS: ' key-aaaaaaaa , key-bbbbbbbb ',
      BERTH_ADMIN_KEYS: 'admin-aaaaaaaa',
      BERTH_PUBLIC_METRICS: 'off',
      BERTH_BATCHING: 'off',
      BERTH_MAX_BATCH_SIZE: '8',
      BERTH_MAX_BATCH_TOKENS: '4096',
      BERTH_MAX_WAIT_MS: '5',
      BERTH_MAX_QUEUE: '10',
      BERTH_THREADS: '2',
      BERTH_INTER_OP_THREADS: '1',
      BERTH_THREAD_SPINNING: 'on',
      BERTH_QUANTIZE: 'int8',
      BERTH_FUSED_GRAPHS: 'on',
      BERTH_BODY_LIMIT_BYTES: '2048',
      BERTH_MAX_INPUTS: '3',
      BERTH_MAX_FILE_BYTES: '65536',
      BERTH_DEFAULT_NER_MODEL: 'bert-ner',
      BERTH_LOG_LEVEL: 'warn',
      UNRELATED: 'ignored',
    });
    expect(c).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      modelsDir: '/m',
      dataDir: '/d',
      device: 'cuda',
      auth: { enabled: true, inferenceKeys: ['key-aaaaaaaa', 'key-bbbbbbbb'], adminKeys: ['admin-aaaaaaaa'], publicMetrics: false },
      batching: { enabled: false, maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 5, maxQueue: 10 },
      threads: { intraOp: 2, interOp: 1, spinning: true },
      graph: { fused: true, quantize: 'int8' },
      limits: { bodyBytes: 2048, fileBytes: 65536, maxInputsPerRequest: 3 },
      defaults: { 'token-classification': 'bert-ner' },
      logLevel: 'warn',
    });
  });

  it('is the embedded single process by default, and fleet mode when a database URL is set', () => {
    expect(loadConfig({}).fleet).toMatchObject({
      databaseUrl: undefined,
      role: 'all',
      heartbeatTimeoutMs: 30_000,
      replicaId: expect.stringMatching(/-\d+$/),
    });
    const fleet = loadConfig({
      BERTH_DATABASE_URL: 'postgres://berth:pw@db:5432/berth',
      BERTH_ROLE: 'worker',
      BERTH_WORKER_HEARTBEAT_TIMEOUT_MS: '5000',
      BERTH_REPLICA_ID: 'worker-1',
    }).fleet;
    expect(fleet).toEqual({
      databaseUrl: 'postgres://berth:pw@db:5432/berth',
      role: 'worker',
      heartbeatTimeoutMs: 5000,
      replicaId: 'worker-1',
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['BERTH_DEVICE', 'tpu'],
    ['BERTH_BATCHING', 'maybe'],
    ['BERTH_QUANTIZE', 'int4'],
    ['BERTH_FUSED_GRAPHS', 'sometimes'],
    ['BERTH_MAX_BATCH_SIZE', '0'],
    ['BERTH_MAX_WAIT_MS', '1.5'],
    ['BERTH_API_KEYS', 'short'],
    ['BERTH_LOG_LEVEL', 'loud'],
    ['BERTH_MAX_FILE_BYTES', '100'],
    ['BERTH_MAX_FILE_BYTES', '10MB'],
    ['BERTH_DATABASE_URL', 'mysql://db/berth'],
    ['BERTH_ROLE', 'trainer'],
    ['BERTH_WORKER_HEARTBEAT_TIMEOUT_MS', '10'],
    ['BERTH_REPLICA_ID', 'has spaces'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}="${value}"`));
  });
});
