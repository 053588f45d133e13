/**
 * Jest's node environment gives each test file its own realm, so typed arrays made by a native
 * addon (onnxruntime-node's outputs) fail `instanceof Float32Array` checks inside that realm.
 * This environment (jest.config.js's testEnvironment) shares the host realm's typed-array
 * constructors with the tests.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
