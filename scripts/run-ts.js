#!/usr/bin/env node
/**
 * Runs a TypeScript entry point (scripts/, bench/) without a build step, compiling each .ts file
 * on require with @swc/core and the repository's .swcrc (the same transform the tests use).
 * Usage: node scripts/run-ts.js <file.ts> [args...]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const swcrc = path.join(__dirname, '..', '.swcrc');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    swcrc: true,
    configFile: swcrc,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.js <file.ts> [args...]\n');
  process.exit(2);
}
process.argv.splice(1, 1);
process.argv[1] = path.resolve(entry);
// Loaded as the main module, so `require.main === module` holds in the entry file.
require('node:module')._load(process.argv[1], null, true);
