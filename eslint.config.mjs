// ESLint: typescript-eslint's recommended rules, Prettier's formatting left to Prettier, and the
// layering of src/ (docs/architecture.md) enforced by eslint-plugin-boundaries.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * What each room of src/ may import from the others. A room not listed under another's `may
 * import` is off limits to it; every room may import its own files. Keep docs/architecture.md's
 * import matrix in step with this table.
 */
const LAYERS = {
  errors: [],
  engine: [],
  config: [],
  tokenizer: ['engine', 'errors'],
  runtime: ['engine', 'errors'],
  tasks: ['errors', 'runtime', 'tokenizer'],
  store: ['errors'],
  serving: ['engine', 'errors', 'runtime', 'store', 'tasks', 'tokenizer'],
  trainer: ['engine', 'errors', 'runtime', 'tasks', 'tokenizer'],
  jobs: ['engine', 'errors', 'serving', 'store', 'trainer'],
  metrics: ['http'],
  http: ['config', 'engine', 'errors', 'metrics', 'serving'],
  modules: ['config', 'engine', 'errors', 'http', 'jobs', 'metrics', 'serving', 'store', 'tasks', 'tokenizer', 'trainer'],
  cli: ['config', 'engine', 'errors', 'runtime', 'serving', 'store', 'tasks', 'tokenizer', 'trainer'],
  app: ['config', 'errors', 'http', 'jobs', 'metrics', 'modules', 'serving', 'store'],
  // The console page (console/ at the root, bundled for the browser) talks to the server over HTTP only.
  console: [],
};

/** Packages only some rooms may use: the HTTP framework at the edge, ONNX Runtime in its adapter. */
const EDGE = ['http', 'metrics', 'modules'];
const EDGE_PACKAGES = {
  group: ['@nestjs/*', 'fastify', '@fastify/*'],
  message: 'NestJS and Fastify belong to the edge (http, metrics, modules, app).',
};
const ORT_PACKAGE = { name: 'onnxruntime-node', message: 'Only src/runtime talks to ONNX Runtime.' };
const SPECS = ['src/**/*.spec.ts'];
const restricted = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });
const packageRules = [
  {
    files: ['src/**/*.ts'],
    ignores: [...SPECS, 'src/*.ts', 'src/runtime/**', ...EDGE.map((room) => `src/${room}/**`)],
    rules: restricted([ORT_PACKAGE], [EDGE_PACKAGES]),
  },
  { files: ['src/runtime/**/*.ts'], ignores: SPECS, rules: restricted([], [EDGE_PACKAGES]) },
  { files: ['src/*.ts', ...EDGE.map((room) => `src/${room}/**/*.ts`)], ignores: SPECS, rules: restricted([ORT_PACKAGE], []) },
];

const elements = [
  ...Object.keys(LAYERS)
    .filter((layer) => layer !== 'app')
    // The console lives at the root; `full` keeps src/modules/console out of it.
    .map((layer) =>
      layer === 'console' ? { type: layer, pattern: 'console/**', partialMatch: false } : { type: layer, pattern: `src/${layer}` },
    ),
  { type: 'app', pattern: 'src' },
];

const policies = [
  ...Object.entries(LAYERS).map(([layer, allowed]) => ({
    from: { element: { type: layer } },
    allow: { to: { element: { types: { anyOf: [layer, ...allowed] } } } },
  })),
  { allow: { to: { module: { origin: 'external' } } } },
  { allow: { to: { module: { origin: 'core' } } } },
];

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'data/**', 'models/**', '.bench-out/**', 'src/metadata.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A `let` that a closure reads before its one assignment (a stop function returned later) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'console/**/*.ts', 'console/**/*.tsx'],
    ignores: ['src/**/*.spec.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'import/resolver': { typescript: { project: './tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies }],
    },
  },
  ...packageRules,
  {
    // Tests and benchmarks may reach for `any` when they build hostile or partial inputs.
    files: ['**/*.spec.ts', '**/*.test.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
