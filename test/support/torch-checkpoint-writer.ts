/**
 * Writes PyTorch checkpoints (`pytorch_model.bin`) the way `torch.save` does, for tests: a zip
 * whose entries are stored uncompressed at 64-byte-aligned offsets (padding in an "FB" extra
 * field), local headers with zero sizes followed by a data descriptor (flags 0x0808), the pickle
 * in protocol 2 with torch's exact opcodes and memo use, and one record per storage.
 * `python3 -c "import torch; torch.load(f)"` reads what this writes (checked by the torch-gated
 * integration test). Also builds the malformed and malicious variants the reader must refuse.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { f32ToF16 } from '../../src/engine/formats/float16';
import type { TensorF32 } from '../../src/engine/formats/safetensors';

export type TorchDtype = 'float32' | 'float16' | 'bfloat16';

const STORAGE_CLASS: Record<TorchDtype, string> = { float32: 'FloatStorage', float16: 'HalfStorage', bfloat16: 'BFloat16Storage' };
const WIDTH: Record<TorchDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** One tensor of the pickle: a view of `storage` (a key of the storages map). */
export interface TensorView {
  name: string;
  storage: string;
  offset: number;
  shape: number[];
  /** Contiguous when absent. */
  stride?: number[];
}

export interface StorageRecord {
  /** Storage class as the pickle names it (`FloatStorage`, `HalfStorage`, …). */
  type: string;
  numel: number;
  bytes: Uint8Array;
}

// --- pickle -----------------------------------------------------------------------------------

/** A protocol-2 pickler with the memo discipline of CPython's `_pickle` (BINPUT on first use, BINGET after). */
export class Pickler {
  private readonly out: number[] = [0x80, 2];
  private readonly memo = new Map<string, number>();

  bytes(): Uint8Array {
    return Uint8Array.from([...this.out, 0x2e]);
  }
  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  private remember(key: string): void {
    const index = this.memo.size;
    this.memo.set(key, index);
    if (index < 256) this.out.push(0x71, index);
    else this.out.push(0x72, ...u32(index));
  }
  private recall(key: string): boolean {
    const index = this.memo.get(key);
    if (index === undefined) return false;
    if (index < 256) this.out.push(0x68, index);
    else this.out.push(0x6a, ...u32(index));
    return true;
  }
  global(module: string, name: string): this {
    if (this.recall(`g:${module}.${name}`)) return this;
    this.out.push(0x63, ...utf8(`${module}\n${name}\n`));
    this.remember(`g:${module}.${name}`);
    return this;
  }
  string(value: string): this {
    if (this.recall(`s:${value}`)) return this;
    const encoded = utf8(value);
    this.out.push(0x58, ...u32(encoded.length), ...encoded);
    this.remember(`s:${value}`);
    return this;
  }
  int(value: number): this {
    if (value >= 0 && value < 256) this.out.push(0x4b, value);
    else if (value >= 0 && value < 65536) this.out.push(0x4d, value & 0xff, value >> 8);
    else this.out.push(0x4a, ...u32(value));
    return this;
  }
  /** A tuple of ints as torch writes shapes: EMPTY_TUPLE, TUPLE1-3, or MARK … TUPLE; memoized. */
  intTuple(values: number[]): this {
    if (values.length === 0) return this.raw(0x29);
    if (values.length > 3) this.raw(0x28);
    for (const v of values) this.int(v);
    this.raw(values.length === 1 ? 0x85 : values.length === 2 ? 0x86 : values.length === 3 ? 0x87 : 0x74);
    this.remember(`t:${this.memo.size}`);
    return this;
  }
  memoizeTop(): this {
    this.remember(`anon:${this.memo.size}`);
    return this;
  }
}

function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function utf8(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

function contiguous(shape: number[]): number[] {
  const strides: number[] = [];
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

/**
 * `data.pkl` of a state dict: `OrderedDict()`, then every tensor as
 * `_rebuild_tensor_v2(persistent_load(('storage', T, key, 'cpu', numel)), offset, size, stride, False, OrderedDict())`.
 * `inject` adds extra opcodes inside the dict (for the malicious variants).
 */
export function stateDictPickle(
  views: TensorView[],
  storages: ReadonlyMap<string, StorageRecord>,
  inject?: (p: Pickler) => void,
): Uint8Array {
  const p = new Pickler();
  p.global('collections', 'OrderedDict').raw(0x29, 0x52).memoizeTop().raw(0x28);
  for (const view of views) {
    const storage = storages.get(view.storage);
    if (!storage) throw new Error(`no storage "${view.storage}"`);
    p.string(view.name).global('torch._utils', '_rebuild_tensor_v2').raw(0x28, 0x28);
    p.string('storage').global('torch', storage.type).string(view.storage).string('cpu').int(storage.numel).raw(0x74).memoizeTop();
    p.raw(0x51)
      .int(view.offset)
      .intTuple(view.shape)
      .intTuple(view.stride ?? contiguous(view.shape))
      .raw(0x89);
    p.global('collections', 'OrderedDict').raw(0x29, 0x52).memoizeTop().raw(0x74).memoizeTop().raw(0x52).memoizeTop();
  }
  inject?.(p);
  p.raw(0x75);
  return p.bytes();
}

/** A pickle whose dict holds `key: <global>(argument)`: what a malicious checkpoint does. */
export function maliciousPickle(module: string, name: string, argument: string): Uint8Array {
  return stateDictPickle([], new Map(), (p) => p.string('payload').global(module, name).string(argument).raw(0x85, 0x52));
}

// --- zip --------------------------------------------------------------------------------------

export interface ZipRecord {
  name: string;
  bytes: Uint8Array;
  /** Deflate this entry (torch never does; other zip tools may). */
  deflate?: boolean;
}

const ALIGNMENT = 64;

/**
 * A zip as PyTorch's writer (miniz) lays it out. `zip64` writes the ZIP64 records miniz uses past
 * 4 GiB (sizes and offsets as 0xffffffff, the real values in ZIP64 extra fields and end records),
 * so that path can be tested on a small file.
 */
export function torchZip(records: ZipRecord[], options: { zip64?: boolean } = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const record of records) {
    const name = new TextEncoder().encode(record.name);
    const data = record.deflate ? deflateRawSync(record.bytes) : record.bytes;
    const crc = crc32(record.bytes) >>> 0;
    const method = record.deflate ? 8 : 0;
    // "FB" extra field: padding so that the data starts on a 64-byte boundary.
    const headerEnd = offset + 30 + name.length + 4;
    const padding = (ALIGNMENT - (headerEnd % ALIGNMENT)) % ALIGNMENT;
    const local = new DataView(new ArrayBuffer(30 + name.length + 4 + padding));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(6, 0x0808, true);
    local.setUint16(8, method, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 4 + padding, true);
    const localBytes = new Uint8Array(local.buffer);
    localBytes.set(name, 30);
    localBytes.set([0x46, 0x42, padding & 0xff, padding >> 8], 30 + name.length);
    localBytes.fill(0x5a, 34 + name.length);
    const descriptor = new DataView(new ArrayBuffer(16));
    descriptor.setUint32(0, 0x08074b50, true);
    descriptor.setUint32(4, crc, true);
    descriptor.setUint32(8, data.byteLength, true);
    descriptor.setUint32(12, record.bytes.byteLength, true);
    parts.push(localBytes, data, new Uint8Array(descriptor.buffer));

    const extra = zip64 ? 28 : 0;
    const entry = new DataView(new ArrayBuffer(46 + name.length + extra));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(8, 0x0808, true);
    entry.setUint16(10, method, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, zip64 ? 0xffffffff : data.byteLength, true);
    entry.setUint32(24, zip64 ? 0xffffffff : record.bytes.byteLength, true);
    entry.setUint16(28, name.length, true);
    entry.setUint16(30, extra, true);
    entry.setUint32(42, zip64 ? 0xffffffff : offset, true);
    new Uint8Array(entry.buffer).set(name, 46);
    if (zip64) {
      const at = 46 + name.length;
      entry.setUint16(at, 0x0001, true);
      entry.setUint16(at + 2, 24, true);
      entry.setBigUint64(at + 4, BigInt(record.bytes.byteLength), true);
      entry.setBigUint64(at + 12, BigInt(data.byteLength), true);
      entry.setBigUint64(at + 20, BigInt(offset), true);
    }
    central.push(new Uint8Array(entry.buffer));
    offset += localBytes.byteLength + data.byteLength + 16;
  }
  const directorySize = central.reduce((n, c) => n + c.byteLength, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, zip64 ? 0xffff : records.length, true);
  end.setUint16(10, zip64 ? 0xffff : records.length, true);
  end.setUint32(12, zip64 ? 0xffffffff : directorySize, true);
  end.setUint32(16, zip64 ? 0xffffffff : offset, true);
  const tail: Uint8Array[] = [];
  if (zip64) {
    const record = new DataView(new ArrayBuffer(56));
    record.setUint32(0, 0x06064b50, true);
    record.setBigUint64(4, 44n, true);
    record.setBigUint64(24, BigInt(records.length), true);
    record.setBigUint64(32, BigInt(records.length), true);
    record.setBigUint64(40, BigInt(directorySize), true);
    record.setBigUint64(48, BigInt(offset), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    locator.setBigUint64(8, BigInt(offset + directorySize), true);
    locator.setUint32(16, 1, true);
    tail.push(new Uint8Array(record.buffer), new Uint8Array(locator.buffer));
  }
  return Buffer.concat([...parts, ...central, ...tail, new Uint8Array(end.buffer)]);
}

/** The records of a checkpoint named `archive`: data.pkl, one per storage, version. */
export function checkpointRecords(archive: string, pickle: Uint8Array, storages: ReadonlyMap<string, StorageRecord>): ZipRecord[] {
  return [
    { name: `${archive}/data.pkl`, bytes: pickle },
    ...[...storages].map(([key, s]) => ({ name: `${archive}/data/${key}`, bytes: s.bytes })),
    { name: `${archive}/version`, bytes: new TextEncoder().encode('3\n') },
  ];
}

// --- state dicts ------------------------------------------------------------------------------

/** Little-endian storage bytes of `values` in `dtype` (float16 rounds to nearest even; bfloat16 takes exact values only). */
export function storageBytes(values: Float32Array, dtype: TorchDtype): Uint8Array {
  const out = new Uint8Array(values.length * WIDTH[dtype]);
  const view = new DataView(out.buffer);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'float32') view.setFloat32(i * 4, values[i], true);
    else if (dtype === 'float16') view.setUint16(i * 2, f32ToF16(values[i]), true);
    else {
      if ((bits[i] & 0xffff) !== 0) throw new Error(`${values[i]} is not exactly a bfloat16 value`);
      view.setUint16(i * 2, bits[i] >>> 16, true);
    }
  }
  return out;
}

export interface StateDictOptions {
  dtype?: TorchDtype;
  archive?: string;
  /** name → name of an earlier tensor whose storage it shares (a tied weight, as older HF checkpoints store). */
  tied?: Record<string, string>;
}

/** `torch.save(state_dict)` bytes of `tensors`, one storage per tensor unless tied. */
export function torchCheckpoint(tensors: ReadonlyMap<string, TensorF32>, options: StateDictOptions = {}): Uint8Array {
  const dtype = options.dtype ?? 'float32';
  const storages = new Map<string, StorageRecord>();
  const views: TensorView[] = [];
  const keyOf = new Map<string, string>();
  for (const [name, tensor] of tensors) {
    const key = String(storages.size);
    storages.set(key, { type: STORAGE_CLASS[dtype], numel: tensor.data.length, bytes: storageBytes(tensor.data, dtype) });
    keyOf.set(name, key);
    views.push({ name, storage: key, offset: 0, shape: tensor.shape });
  }
  for (const [name, target] of Object.entries(options.tied ?? {})) {
    const key = keyOf.get(target);
    if (key === undefined) throw new Error(`tied target "${target}" is not a tensor`);
    views.push({ name, storage: key, offset: 0, shape: tensors.get(target)!.shape });
  }
  const archive = options.archive ?? 'archive';
  return torchZip(checkpointRecords(archive, stateDictPickle(views, storages), storages));
}
