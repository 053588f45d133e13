import { spawnSync } from 'node:child_process';
import { PickleError, UnpickleHooks, unpickle } from './pickle';

/**
 * The interpreter against CPython's own pickler: plain data pickled by `pickle.dumps` in
 * protocols 2 and 4 (4 adds FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL) must read back to
 * what Python's `json` says it is. Skipped, saying so, where there is no python3.
 */
const python = spawnSync('python3', ['-c', 'pass']);
const havePython = !python.error && python.status === 0;
if (!havePython) console.warn('skipping the CPython pickle comparisons: no python3');

/** Each expression pickled by CPython in protocols 2 and 4, with its value as JSON (tuples as lists), in one run. */
function fromPython(expressions: string[]): Map<string, { pickle: Uint8Array; json: unknown }> {
  const script = [
    'import json, pickle, sys',
    'out = {}',
    `for e in json.loads(sys.argv[1]):`,
    '    value = eval(e)',
    '    for p in (2, 4):',
    '        out[f"{p} {e}"] = {"pickle": pickle.dumps(value, protocol=p).hex(), "json": value}',
    'sys.stdout.write(json.dumps(out, default=repr))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, JSON.stringify(expressions)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  const parsed = JSON.parse(run.stdout) as Record<string, { pickle: string; json: unknown }>;
  return new Map(Object.entries(parsed).map(([k, v]) => [k, { pickle: Buffer.from(v.pickle, 'hex'), json: v.json }]));
}

/** Maps → plain objects, bigints → numbers, so the result compares with Python's JSON. */
function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

const refuseAll: UnpickleHooks = {
  findGlobal(module, name) {
    throw new PickleError(`global ${module}.${name} refused`);
  },
  persistentLoad() {
    throw new PickleError('no persistent ids');
  },
  build() {
    throw new PickleError('no BUILD');
  },
};

const DATA = [
  '{"a": 1, "b": [1, 2, (3, 4), ()], "c": {"nested": (True, False, None)}}',
  '[0, 255, 256, 65535, 65536, -1, -2**31, 2**31 - 1, 2**40, -2**40, 2**53 - 1]',
  '[0.5, -1e300, 3.141592653589793, 1e-310]',
  '["", "ascii", "é ▁ 😀", "x" * 300]',
  '[(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [[]], {}]',
  // Shared references: the memo (BINPUT/BINGET, MEMOIZE) hands back the same list twice.
  '(lambda shared: [shared, shared, {"k": shared}])(["s", 1])',
];

const MALICIOUS = '[1, __import__("os").system]';

(havePython ? describe : describe.skip)('unpickle against CPython', () => {
  let pickled: Map<string, { pickle: Uint8Array; json: unknown }>;
  beforeAll(() => (pickled = fromPython([...DATA, MALICIOUS])));

  describe.each([2, 4])('protocol %d', (protocol) => {
    it.each(DATA)('%s', (expression) => {
      const { pickle, json } = pickled.get(`${protocol} ${expression}`)!;
      expect(plain(unpickle(pickle, refuseAll))).toEqual(json);
    });

    it('names the global a pickle refers to (GLOBAL in 2, STACK_GLOBAL in 4) and goes no further', () => {
      const { pickle } = pickled.get(`${protocol} ${MALICIOUS}`)!;
      const seen: string[] = [];
      expect(() =>
        unpickle(pickle, {
          ...refuseAll,
          findGlobal(module, name) {
            seen.push(`${module}.${name}`);
            throw new PickleError(`global ${module}.${name} refused`);
          },
        }),
      ).toThrow(/global (posix|os)\.system refused/);
      expect(seen).toEqual([expect.stringMatching(/^(posix|os)\.system$/)]);
    });
  });
});

describe('unpickle on malformed input', () => {
  it.each([
    ['empty input', [], /truncated/],
    ['no STOP', [0x80, 2, 0x4e], /truncated/],
    ['STOP with two values', [0x80, 2, 0x4e, 0x4e, 0x2e], /unbalanced/],
    ['a memo slot never written', [0x80, 2, 0x68, 7, 0x2e], /memo slot 7 read before it was written/],
    ['SETITEM on a list', [0x80, 2, 0x5d, 0x4e, 0x4e, 0x73, 0x2e], /not a dict/],
    ['APPEND on a tuple', [0x80, 2, 0x29, 0x4e, 0x61, 0x2e], /not a list/],
    ['REDUCE on a plain value', [0x80, 2, 0x4e, 0x29, 0x52, 0x2e], /not an allowed callable/],
    ['a string cut short', [0x80, 2, 0x58, 9, 0, 0, 0, 0x61, 0x2e], /truncated/],
    ['an unknown opcode', [0x80, 2, 0xff], /opcode 0xff at byte 2/],
  ])('%s', (_, bytes, message) => {
    expect(() => unpickle(Uint8Array.from(bytes as number[]), refuseAll)).toThrow(message as RegExp);
  });
});
