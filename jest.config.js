/**
 * Three tiers, one run: unit tests beside the code (src, scripts and test/support, *.spec.ts),
 * integration tests with real ONNX Runtime on the fixtures (test/integration), and end-to-end
 * tests of the whole app over HTTP (test/e2e). `npm test` runs all three; `npm run test:unit`,
 * `test:int` and `test:e2e` run one (jest --selectProjects).
 */
const shared = {
  // Shares the host realm's typed arrays so onnxruntime-node outputs pass instanceof checks.
  testEnvironment: '<rootDir>/test/helpers/ort-environment.js',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/scripts', '<rootDir>/test/support'],
      testMatch: ['**/*.spec.ts'],
    },
    { ...shared, displayName: 'integration', roots: ['<rootDir>/test/integration'], testMatch: ['**/*.test.ts'] },
    { ...shared, displayName: 'e2e', roots: ['<rootDir>/test/e2e'], testMatch: ['**/*.e2e-spec.ts'] },
  ],
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
