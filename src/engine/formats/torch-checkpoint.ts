/**
 * PyTorch's checkpoint format (`pytorch_model.bin`), as `torch.save` has written it since 1.6: a
 * zip archive `<archive>/data.pkl` (the state dict, pickled), `<archive>/data/<key>` (one raw
 * little-endian record per storage), `<archive>/version` and, from newer writers,
 * `<archive>/byteorder`.
 *
 * The pickle is read by the restricted interpreter in `pickle.ts` with only the globals a state
 * dict needs: the tensor-rebuild functions, the storage types and OrderedDict. Anything else is
 * refused by name before anything is built from it, so a malicious checkpoint cannot run code.
 * Tensors convert to float32 through the decoder safetensors uses; two tensors may view one
 * storage at different offsets (tied weights); non-contiguous strides are refused.
 */
import { readFileSync } from 'node:fs';
import { FormatError } from '../errors';
import { PickleCallable, PickleError, unpickle } from './pickle';
import { BYTES_PER_ELEMENT, SafetensorsDtype, TensorF32, decodeLittleEndian } from './safetensors';
import { ZipArchive } from './zip';

/** torch storage class → the dtype of its little-endian records. */
const STORAGE_DTYPES: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  // Integer buffers (a persisted `position_ids`) are read as exact float32, as safetensors does.
  LongStorage: 'I64',
  IntStorage: 'I32',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

interface StorageType {
  readonly kind: 'storage-type';
  readonly name: string;
  readonly dtype: SafetensorsDtype;
}

interface Storage {
  readonly kind: 'storage';
  readonly type: StorageType;
  readonly key: string;
  readonly numel: number;
}

interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: Storage;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

const PICKLE_MAGIC = 0x80;

export function readTorchCheckpoint(file: string): Map<string, TensorF32> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${(e as Error).message})`);
  }
  return parseTorchCheckpoint(bytes, file);
}

/** Every tensor of the checkpoint `bytes` as float32; `file` names it in errors. */
export function parseTorchCheckpoint(bytes: Uint8Array, file: string): Map<string, TensorF32> {
  if (bytes.byteLength > 0 && bytes[0] === PICKLE_MAGIC) {
    throw new FormatError(
      file,
      'a legacy (PyTorch < 1.6, non-zip) checkpoint; re-save it with a current torch.save or convert it to model.safetensors',
    );
  }
  const zip = ZipArchive.open(bytes, file);
  const pkl = [...zip.entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pkl === undefined) throw new FormatError(file, 'a zip archive without <archive>/data.pkl: not a PyTorch checkpoint');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little')
      throw new FormatError(file, `byteorder is ${JSON.stringify(order)}; only little-endian checkpoints are supported`);
  }

  let root: unknown;
  try {
    root = unpickle(zip.read(pkl), stateDictHooks(file));
  } catch (e) {
    if (e instanceof PickleError) throw new FormatError(file, `${pkl}: ${e.message}`);
    throw e;
  }
  if (!(root instanceof Map)) throw new FormatError(file, 'data.pkl does not hold a dict of tensors (a state dict)');

  const records = new Map<string, Uint8Array>();
  const tensors = new Map<string, TensorF32>();
  for (const [name, value] of root) {
    if (typeof name !== 'string') throw new FormatError(file, `state dict key ${String(name)} is not a string`);
    if (!isTensor(value)) throw new FormatError(file, `state dict entry ${JSON.stringify(name)} is not a tensor`);
    tensors.set(name, materialize(zip, prefix, name, value, records));
  }
  return tensors;
}

/** The tensor's values, copied out of its storage record (a storage may back several tensors). */
function materialize(zip: ZipArchive, prefix: string, name: string, tensor: TensorRef, records: Map<string, Uint8Array>): TensorF32 {
  const { storage, shape, stride, offset } = tensor;
  const fail = (problem: string): never => {
    throw new FormatError(zip.file, `tensor ${JSON.stringify(name)}: ${problem}`);
  };
  const expected = contiguousStrides(shape);
  const numel = shape.reduce((n, d) => n * d, 1);
  if (numel > 0 && shape.some((d, i) => d !== 1 && stride[i] !== expected[i])) {
    fail(
      `strides [${stride.join(', ')}] for shape [${shape.join(', ')}] are not contiguous ([${expected.join(', ')}]); save it with .contiguous()`,
    );
  }
  if (offset + numel > storage.numel) {
    fail(`elements ${offset}..${offset + numel} lie outside its storage of ${storage.numel} elements`);
  }
  const recordName = `${prefix}data/${storage.key}`;
  let record = records.get(recordName);
  if (record === undefined) {
    if (!zip.has(recordName)) fail(`its storage record ${JSON.stringify(recordName)} is missing from the archive`);
    record = zip.read(recordName);
    records.set(recordName, record);
  }
  const width = BYTES_PER_ELEMENT[storage.type.dtype];
  if (record.byteLength !== storage.numel * width) {
    fail(
      `storage record ${JSON.stringify(recordName)} holds ${record.byteLength} bytes, but a ${storage.type.name} of ${storage.numel} elements needs ${storage.numel * width}`,
    );
  }
  // A copy (Buffer#slice would be a view): tensors sharing a storage must not alias each other.
  const raw = new Uint8Array(numel * width);
  raw.set(record.subarray(offset * width, (offset + numel) * width));
  return decodeLittleEndian(storage.type.dtype, shape, raw);
}

function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

/** The globals a state dict needs, and nothing else. */
function stateDictHooks(file: string): Parameters<typeof unpickle>[1] {
  const storages = new Map<string, Storage>();
  const callable = (name: string, call: (args: readonly unknown[]) => unknown): PickleCallable => ({ kind: 'callable', name, call });
  const allowed: Record<string, unknown> = {
    'collections.OrderedDict': callable('collections.OrderedDict', (args) => {
      if (args.length !== 0) throw new PickleError('OrderedDict is only ever built empty by torch.save');
      return new Map();
    }),
    'torch._utils._rebuild_tensor_v2': callable('torch._utils._rebuild_tensor_v2', rebuildTensor),
    'torch._utils._rebuild_parameter': callable('torch._utils._rebuild_parameter', (args) => {
      if (!isTensor(args[0])) throw new PickleError('_rebuild_parameter without a tensor');
      return args[0];
    }),
  };
  return {
    findGlobal(module, name) {
      const qualified = `${module}.${name}`;
      if (Object.prototype.hasOwnProperty.call(allowed, qualified)) return allowed[qualified];
      if (module === 'torch' && Object.prototype.hasOwnProperty.call(STORAGE_DTYPES, name)) {
        const type: StorageType = { kind: 'storage-type', name, dtype: STORAGE_DTYPES[name] };
        return type;
      }
      if (module === 'torch' && name.endsWith('Storage')) {
        throw new FormatError(file, `data.pkl holds a torch.${name}; weights must be float32, float16 or bfloat16 (or integer buffers)`);
      }
      throw new FormatError(
        file,
        `data.pkl names the global ${JSON.stringify(qualified)}, which a state dict never needs; refusing to load it`,
      );
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') throw new PickleError('a persistent id that is not a storage');
      const [, type, key, , numel] = pid as unknown[];
      if (!isStorageType(type) || typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) {
        throw new PickleError(`storage id ${JSON.stringify(key)} is malformed`);
      }
      const known = storages.get(key);
      if (known) {
        if (known.type.dtype !== type.dtype || known.numel !== numel)
          throw new PickleError(`storage ${JSON.stringify(key)} is declared twice differently`);
        return known;
      }
      const storage: Storage = { kind: 'storage', type, key, numel: numel as number };
      storages.set(key, storage);
      return storage;
    },
    build(target, state) {
      // state_dict() pickles its `_metadata` (module versions) as OrderedDict state; none is needed.
      if (target instanceof Map && (state instanceof Map || state === null)) return;
      throw new PickleError('BUILD on something other than a state dict');
    },
  };
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
function rebuildTensor(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  const ints = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
  if (args.length < 6 || !isStorage(storage) || !Number.isSafeInteger(offset) || (offset as number) < 0 || !ints(size) || !ints(stride)) {
    throw new PickleError('_rebuild_tensor_v2 called with arguments torch never writes');
  }
  if (size.length !== stride.length) throw new PickleError('_rebuild_tensor_v2: size and stride differ in length');
  return { kind: 'tensor', storage, offset: offset as number, shape: [...size], stride: [...stride] };
}

function isStorageType(value: unknown): value is StorageType {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'storage-type';
}

function isStorage(value: unknown): value is Storage {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'storage';
}

function isTensor(value: unknown): value is TensorRef {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'tensor';
}
