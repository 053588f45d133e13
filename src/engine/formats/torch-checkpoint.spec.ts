import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  StorageRecord,
  checkpointRecords,
  maliciousPickle,
  stateDictPickle,
  storageBytes,
  torchCheckpoint,
  torchZip,
} from '../../../test/support/torch-checkpoint-writer';
import { FormatError } from '../errors';
import { Rng } from '../random';
import { readModelWeights } from './model-weights';
import { parseTorchCheckpoint, readTorchCheckpoint } from './torch-checkpoint';

const FILE = 'pytorch_model.bin';

function tensor(shape: number[], values: number[]): { shape: number[]; data: Float32Array } {
  return { shape, data: new Float32Array(values) };
}

/** The one-line FormatError a call throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a FormatError');
}

describe('PyTorch checkpoints (pytorch_model.bin)', () => {
  // Values every dtype holds exactly, so the expected numbers do not depend on any rounding code.
  const exact = new Map([
    ['encoder.weight', tensor([2, 3], [0, 1, -2, 0.5, 1024, -0.0078125])],
    ['encoder.bias', tensor([3], [3, -61440, 2 ** -14])],
    ['scalar', tensor([], [7])],
  ]);

  it.each(['float32', 'float16', 'bfloat16'] as const)('reads %s tensors to the same float32 values', (dtype) => {
    const loaded = parseTorchCheckpoint(torchCheckpoint(exact, { dtype }), FILE);
    expect([...loaded.keys()]).toEqual([...exact.keys()]);
    for (const [name, t] of exact) {
      expect(loaded.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(loaded.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it('float16 keeps subnormals, infinities and the sign of zero', () => {
    const special = new Map([['x', tensor([4], [2 ** -24, -Infinity, -0, 65504])]]);
    const loaded = parseTorchCheckpoint(torchCheckpoint(special, { dtype: 'float16' }), FILE).get('x')!;
    expect(Array.from(loaded.data)).toEqual([2 ** -24, -Infinity, -0, 65504]);
    expect(Object.is(loaded.data[2], -0)).toBe(true);
  });

  it('two tensors viewing one storage at different offsets (and a tied weight) read their own elements', () => {
    const storages = new Map<string, StorageRecord>([
      ['0', { type: 'FloatStorage', numel: 10, bytes: storageBytes(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 'float32') }],
    ]);
    const pickle = stateDictPickle(
      [
        { name: 'a', storage: '0', offset: 0, shape: [2, 2] },
        { name: 'b', storage: '0', offset: 4, shape: [3, 2] },
        { name: 'a.tied', storage: '0', offset: 0, shape: [2, 2] },
      ],
      storages,
    );
    const loaded = parseTorchCheckpoint(torchZip(checkpointRecords('model', pickle, storages)), FILE);
    expect(Array.from(loaded.get('a')!.data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(loaded.get('b')!.data)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(loaded.get('b')!.shape).toEqual([3, 2]);
    // Copies, not views of each other: changing one never changes the other.
    loaded.get('a')!.data[0] = 42;
    expect(loaded.get('a.tied')!.data[0]).toBe(0);
  });

  it('reads deflated records (other zip tools compress)', () => {
    const storages = new Map<string, StorageRecord>([
      ['0', { type: 'HalfStorage', numel: 3, bytes: storageBytes(new Float32Array([1, 2, 3]), 'float16') }],
    ]);
    const records = checkpointRecords('archive', stateDictPickle([{ name: 'w', storage: '0', offset: 0, shape: [3] }], storages), storages);
    const loaded = parseTorchCheckpoint(torchZip(records.map((r) => ({ ...r, deflate: true }))), FILE);
    expect(Array.from(loaded.get('w')!.data)).toEqual([1, 2, 3]);
  });

  it('reads a ZIP64 archive (what torch.save writes past 4 GiB)', () => {
    const storages = new Map<string, StorageRecord>([
      ['0', { type: 'FloatStorage', numel: 3, bytes: storageBytes(new Float32Array([1, -2, 3]), 'float32') }],
    ]);
    const records = checkpointRecords('archive', stateDictPickle([{ name: 'w', storage: '0', offset: 0, shape: [3] }], storages), storages);
    const loaded = parseTorchCheckpoint(torchZip(records, { zip64: true }), FILE);
    expect(Array.from(loaded.get('w')!.data)).toEqual([1, -2, 3]);
  });

  it('refuses non-contiguous strides, naming the tensor', () => {
    const storages = new Map<string, StorageRecord>([['0', { type: 'FloatStorage', numel: 6, bytes: new Uint8Array(24) }]]);
    const pickle = stateDictPickle([{ name: 'transposed', storage: '0', offset: 0, shape: [2, 3], stride: [1, 2] }], storages);
    expect(refusal(() => parseTorchCheckpoint(torchZip(checkpointRecords('archive', pickle, storages)), FILE))).toBe(
      'pytorch_model.bin: tensor "transposed": strides [1, 2] for shape [2, 3] are not contiguous ([3, 1]); save it with .contiguous()',
    );
  });

  describe('a pickle that would run code is refused and nothing runs', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'berth-torchbin-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const payloads = (marker: string): Array<[string, string, string]> => [
      ['os', 'system', `touch ${marker}`],
      ['builtins', 'eval', `__import__('os').system('touch ${marker}')`],
    ];

    it.each([0, 1])('payload %d', (which) => {
      const marker = join(dir, 'ran');
      const [module, name, argument] = payloads(marker)[which];
      const file = join(dir, FILE);
      const pickle = maliciousPickle(module, name, argument);
      writeFileSync(file, torchZip(checkpointRecords('archive', pickle, new Map())));
      expect(refusal(() => readModelWeights(file))).toBe(
        `${file}: data.pkl names the global "${module}.${name}", which a state dict never needs; refusing to load it`,
      );
      expect(existsSync(marker)).toBe(false);

      // The payload is live: Python's own unpickler runs it (skipped where there is no python3).
      const python = spawnSync('python3', ['-c', 'import pickle,sys; pickle.loads(sys.stdin.buffer.read())'], { input: pickle });
      if (python.error) {
        console.warn(`python3 not found; not showing that the ${module}.${name} payload runs under pickle.loads`);
        return;
      }
      expect(existsSync(marker)).toBe(true);
    });
  });

  it('refuses a storage type it cannot convert, and a global hidden in a tensor position', () => {
    const storages = new Map<string, StorageRecord>([['0', { type: 'ComplexFloatStorage', numel: 1, bytes: new Uint8Array(8) }]]);
    const pickle = stateDictPickle([{ name: 'c', storage: '0', offset: 0, shape: [1] }], storages);
    expect(refusal(() => parseTorchCheckpoint(torchZip(checkpointRecords('archive', pickle, storages)), FILE))).toMatch(
      /torch\.ComplexFloatStorage; weights must be float32, float16 or bfloat16/,
    );
    const storages2 = new Map<string, StorageRecord>([['0', { type: 'FloatStorage', numel: 1, bytes: new Uint8Array(4) }]]);
    const sneaky = stateDictPickle([{ name: 'w', storage: '0', offset: 0, shape: [1] }], storages2, (p) =>
      p.string('x').global('subprocess', 'Popen').raw(0x29, 0x52),
    );
    expect(refusal(() => parseTorchCheckpoint(torchZip(checkpointRecords('archive', sneaky, storages2)), FILE))).toMatch(
      /names the global "subprocess\.Popen"/,
    );
  });

  describe('malformed files give one clear line', () => {
    const good = torchCheckpoint(exact);

    it('a truncated zip', () => {
      expect(refusal(() => parseTorchCheckpoint(good.subarray(0, good.byteLength - 40), FILE))).toBe(
        'pytorch_model.bin: not a zip archive, or a truncated one (no end-of-central-directory record)',
      );
      expect(refusal(() => parseTorchCheckpoint(good.subarray(0, 100), FILE))).toMatch(/truncated/);
    });

    it('a missing data record', () => {
      const storages = new Map<string, StorageRecord>([['0', { type: 'FloatStorage', numel: 2, bytes: new Uint8Array(8) }]]);
      const pickle = stateDictPickle([{ name: 'w', storage: '0', offset: 0, shape: [2] }], storages);
      const records = checkpointRecords('archive', pickle, storages).filter((r) => r.name !== 'archive/data/0');
      expect(refusal(() => parseTorchCheckpoint(torchZip(records), FILE))).toBe(
        'pytorch_model.bin: tensor "w": its storage record "archive/data/0" is missing from the archive',
      );
    });

    it('a storage record of the wrong size', () => {
      const storages = new Map<string, StorageRecord>([['0', { type: 'FloatStorage', numel: 3, bytes: new Uint8Array(8) }]]);
      const pickle = stateDictPickle([{ name: 'w', storage: '0', offset: 0, shape: [3] }], storages);
      expect(refusal(() => parseTorchCheckpoint(torchZip(checkpointRecords('archive', pickle, storages)), FILE))).toBe(
        'pytorch_model.bin: tensor "w": storage record "archive/data/0" holds 8 bytes, but a FloatStorage of 3 elements needs 12',
      );
    });

    it('a view past the end of its storage', () => {
      const storages = new Map<string, StorageRecord>([['0', { type: 'FloatStorage', numel: 2, bytes: new Uint8Array(8) }]]);
      const pickle = stateDictPickle([{ name: 'w', storage: '0', offset: 1, shape: [2] }], storages);
      expect(refusal(() => parseTorchCheckpoint(torchZip(checkpointRecords('archive', pickle, storages)), FILE))).toMatch(
        /tensor "w": elements 1\.\.3 lie outside its storage of 2 elements/,
      );
    });

    it('a truncated pickle, an unknown opcode, a legacy checkpoint, a zip without data.pkl, a corrupt record', () => {
      const pickle = stateDictPickle([], new Map());
      const cut = torchZip(checkpointRecords('archive', pickle.subarray(0, pickle.byteLength - 3), new Map()));
      expect(refusal(() => parseTorchCheckpoint(cut, FILE))).toMatch(/archive\/data\.pkl: .*(truncated|underflow|no MARK)/);
      const newObj = Uint8Array.from([0x80, 2, 0x81, 0x2e]);
      expect(refusal(() => parseTorchCheckpoint(torchZip(checkpointRecords('archive', newObj, new Map())), FILE))).toMatch(
        /opcode 0x81 \(NEWOBJ\) at byte 2 is not one a state dict needs/,
      );
      expect(refusal(() => parseTorchCheckpoint(Uint8Array.from([0x80, 2, 0x8a, 0x0a]), FILE))).toMatch(/legacy \(PyTorch < 1\.6/);
      expect(refusal(() => parseTorchCheckpoint(torchZip([{ name: 'x/other', bytes: new Uint8Array(1) }]), FILE))).toMatch(
        /without <archive>\/data\.pkl/,
      );
      const corrupt = Uint8Array.from(good);
      const at = Buffer.from(corrupt).indexOf(Buffer.from(new Float32Array([1024]).buffer));
      corrupt[at] ^= 1;
      expect(refusal(() => parseTorchCheckpoint(corrupt, FILE))).toMatch(/record "archive\/data\/0": CRC-32 mismatch/);
    });

    it('a missing file', () => {
      expect(refusal(() => readTorchCheckpoint('/nonexistent/pytorch_model.bin'))).toBe('/nonexistent/pytorch_model.bin: file not found');
    });
  });

  it('corrupted bytes anywhere give a FormatError or the tensors, never another error', () => {
    const storages = new Map<string, StorageRecord>([
      ['0', { type: 'FloatStorage', numel: 6, bytes: storageBytes(new Float32Array([0, 1, 2, 3, 4, 5]), 'float32') }],
      ['1', { type: 'HalfStorage', numel: 2, bytes: storageBytes(new Float32Array([1, 2]), 'float16') }],
    ]);
    const views = [
      { name: 'a', storage: '0', offset: 0, shape: [2, 3] },
      { name: 'b', storage: '1', offset: 0, shape: [2] },
      { name: 'c', storage: '0', offset: 2, shape: [4] },
    ];
    const pickle = stateDictPickle(views, storages);
    const archive = torchZip(checkpointRecords('archive', pickle, storages));
    const rng = new Rng(15);
    const outcomes = { loaded: 0, refused: 0 };
    const attempt = (bytes: Uint8Array): void => {
      try {
        parseTorchCheckpoint(bytes, FILE);
        outcomes.loaded++;
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`not a FormatError: ${(e as Error).stack}`, { cause: e });
        expect(e.message).not.toContain('\n');
        outcomes.refused++;
      }
    };
    for (let i = 0; i < 400; i++) {
      // A mutated pickle in an otherwise valid archive (its CRC recomputed), then raw archive bytes.
      const p = Uint8Array.from(pickle);
      for (let k = 1 + rng.int(3); k > 0; k--) p[rng.int(p.length)] = rng.int(256);
      attempt(torchZip(checkpointRecords('archive', p, storages)));
      const z = Uint8Array.from(archive);
      for (let k = 1 + rng.int(3); k > 0; k--) z[rng.int(z.length)] = rng.int(256);
      attempt(z);
      attempt(archive.subarray(0, rng.int(archive.length)));
    }
    expect(outcomes.refused).toBeGreaterThan(400);
  });
});
