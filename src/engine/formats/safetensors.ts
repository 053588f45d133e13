/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON header, then the raw little-endian tensor data. Offsets in the
 * header are relative to the first data byte.
 *
 * Everything the engine computes is float32, so reading converts F16/BF16/F64 to F32. A malformed
 * file is always a FormatError naming the file and the problem: a silently wrong tensor would
 * surface much later as a model that "trains" to nonsense.
 */
import { readFileSync, writeFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { FormatError } from '../errors';
import { bf16ToF32, f16ToF32, f32ToF16 } from './float16';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I8' | 'U8' | 'BOOL';

export interface TensorF32 {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the first data byte. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsEntry>;
}

export interface SafetensorsWriteOptions {
  metadata?: Record<string, string>;
  dtype?: 'F32' | 'F16';
}

export const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
const MAX_HEADER_BYTES = 100_000_000;
const LENGTH_PREFIX_BYTES = 8;

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(BYTES_PER_ELEMENT, value);
}

function elementCount(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Reads the u64 header length; returns -1 when it does not fit a JS safe integer. */
function readHeaderLength(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, LENGTH_PREFIX_BYTES);
  const length = view.getBigUint64(0, true);
  return length > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(length);
}

/** Validates and decodes the JSON header. `dataBytes` is the size of the data section. */
function decodeHeader(headerBytes: Uint8Array, dataBytes: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new FormatError(file, 'safetensors header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new FormatError(file, 'safetensors header is not a JSON object');
  }

  let metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = decodeMetadata(raw, file);
      continue;
    }
    tensors.set(name, decodeEntry(name, raw, file));
  }
  checkLayout(tensors, dataBytes, file);
  return { metadata, tensors };
}

function decodeMetadata(raw: unknown, file: string): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FormatError(file, '__metadata__ must be an object of strings');
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw new FormatError(file, `__metadata__.${key} must be a string`);
    }
  }
  return { ...(raw as Record<string, string>) };
}

function decodeEntry(name: string, raw: unknown, file: string): SafetensorsEntry {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FormatError(file, `tensor "${name}": header entry is not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) {
    throw new FormatError(file, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(file, `tensor "${name}": shape must be an array of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new FormatError(file, `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape) * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== expected) {
    throw new FormatError(
      file,
      `tensor "${name}": ${dtype} shape [${shape.join(', ')}] needs ${expected} bytes but data_offsets span ${end - begin}`,
    );
  }
  return { dtype, shape: [...shape] as number[], dataOffsets: [begin, end] };
}

/** Offsets must stay inside the data section and must not overlap. */
function checkLayout(tensors: Map<string, SafetensorsEntry>, dataBytes: number, file: string): void {
  const spans = [...tensors.entries()]
    .filter(([, e]) => e.dataOffsets[1] > e.dataOffsets[0])
    .sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0]);
  for (const [name, entry] of spans) {
    if (entry.dataOffsets[1] > dataBytes) {
      throw new FormatError(
        file,
        `tensor "${name}": data_offsets [${entry.dataOffsets.join(', ')}] run past the end of the data (${dataBytes} bytes; file truncated?)`,
      );
    }
  }
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1];
    const [name, entry] = spans[i];
    if (entry.dataOffsets[0] < prev.dataOffsets[1]) {
      throw new FormatError(file, `tensors "${prevName}" and "${name}" have overlapping data_offsets`);
    }
  }
}

/** Splits a whole file into its header and data section, validating the length prefix. */
function splitFile(bytes: Uint8Array, file: string): { header: SafetensorsHeader; data: Uint8Array } {
  if (bytes.byteLength < LENGTH_PREFIX_BYTES) {
    throw new FormatError(file, `safetensors file is ${bytes.byteLength} bytes, shorter than its 8-byte header length`);
  }
  const headerLength = readHeaderLength(bytes);
  if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
    throw new FormatError(file, `safetensors header length is implausibly large; not a safetensors file?`);
  }
  if (LENGTH_PREFIX_BYTES + headerLength > bytes.byteLength) {
    throw new FormatError(file, `safetensors header length ${headerLength} runs past the end of the ${bytes.byteLength}-byte file`);
  }
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  const data = bytes.subarray(dataStart);
  const header = decodeHeader(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart), data.byteLength, file);
  return { header, data };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decodeTensor(entry: SafetensorsEntry, data: Uint8Array): TensorF32 {
  const [begin, end] = entry.dataOffsets;
  return decodeLittleEndian(entry.dtype, entry.shape, data.subarray(begin, end));
}

/**
 * Little-endian raw values of `dtype` → a float32 tensor (the one decoder for safetensors and
 * PyTorch checkpoints). `raw` must hold exactly the shape's values. F32 data is a zero-copy view
 * when aligned.
 */
export function decodeLittleEndian(dtype: SafetensorsDtype, shape: number[], raw: Uint8Array): TensorF32 {
  const entry = { dtype, shape };
  const n = elementCount(shape);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = (): Float32Array => new Float32Array(n);
  switch (entry.dtype) {
    case 'F32': {
      if (HOST_IS_LITTLE_ENDIAN && raw.byteOffset % 4 === 0) {
        return { shape: entry.shape, data: new Float32Array(raw.buffer, raw.byteOffset, n) };
      }
      const f = out();
      for (let i = 0; i < n; i++) f[i] = view.getFloat32(i * 4, true);
      return { shape: entry.shape, data: f };
    }
    case 'F16': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = f16ToF32(view.getUint16(i * 2, true));
      return { shape: entry.shape, data: f };
    }
    case 'BF16': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = bf16ToF32(view.getUint16(i * 2, true));
      return { shape: entry.shape, data: f };
    }
    case 'F64': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = view.getFloat64(i * 8, true);
      return { shape: entry.shape, data: f };
    }
    // Integer tensors appear in older checkpoints (e.g. a persisted `position_ids` buffer); they
    // are read as exact float32 values so that loading never fails on them.
    case 'I64': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = Number(view.getBigInt64(i * 8, true));
      return { shape: entry.shape, data: f };
    }
    case 'I32': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = view.getInt32(i * 4, true);
      return { shape: entry.shape, data: f };
    }
    case 'I8': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = view.getInt8(i);
      return { shape: entry.shape, data: f };
    }
    case 'U8':
    case 'BOOL': {
      const f = out();
      for (let i = 0; i < n; i++) f[i] = raw[i];
      return { shape: entry.shape, data: f };
    }
  }
}

// --- reading --------------------------------------------------------------------------------

export function parseSafetensors(bytes: Uint8Array, file: string): Map<string, TensorF32> {
  const { header, data } = splitFile(bytes, file);
  const tensors = new Map<string, TensorF32>();
  for (const [name, entry] of header.tensors) tensors.set(name, decodeTensor(entry, data));
  return tensors;
}

function readWhole(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new FormatError(file, describeIoError(e));
  }
}

function describeIoError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  if (code === 'EACCES') return 'permission denied';
  return `cannot read (${(e as Error).message})`;
}

/**
 * Reads every tensor, converting F16/BF16/F64 (and integer dtypes, exactly up to 2^24) to F32.
 * F32 data is a zero-copy view when aligned.
 */
export function readSafetensors(file: string): Map<string, TensorF32> {
  return parseSafetensors(readWhole(file), file);
}

/** Header only (names, dtypes, shapes, offsets), without reading data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new FormatError(file, describeIoError(e));
  }
  try {
    const size = fstatSync(fd).size;
    if (size < LENGTH_PREFIX_BYTES) {
      throw new FormatError(file, `safetensors file is ${size} bytes, shorter than its 8-byte header length`);
    }
    const prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
    readSync(fd, prefix, 0, LENGTH_PREFIX_BYTES, 0);
    const headerLength = readHeaderLength(prefix);
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new FormatError(file, `safetensors header length is implausibly large; not a safetensors file?`);
    }
    if (LENGTH_PREFIX_BYTES + headerLength > size) {
      throw new FormatError(file, `safetensors header length ${headerLength} runs past the end of the ${size}-byte file`);
    }
    const headerBytes = new Uint8Array(headerLength);
    readSync(fd, headerBytes, 0, headerLength, LENGTH_PREFIX_BYTES);
    return decodeHeader(headerBytes, size - LENGTH_PREFIX_BYTES - headerLength, file);
  } finally {
    closeSync(fd);
  }
}

// --- writing --------------------------------------------------------------------------------

/** Writes F32 (default) or F16; tensors in sorted-name order, header padded with spaces to 8 bytes, like the HF writer. */
export function serializeSafetensors(
  tensors: Map<string, TensorF32> | Record<string, TensorF32>,
  opts: SafetensorsWriteOptions = {},
): Uint8Array {
  const dtype = opts.dtype ?? 'F32';
  const width = BYTES_PER_ELEMENT[dtype];
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );

  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length > 0) header.__metadata__ = { ...opts.metadata };
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor');
    const n = elementCount(tensor.shape);
    if (n !== tensor.data.length) {
      throw new Error(`tensor "${name}": shape [${tensor.shape.join(', ')}] holds ${n} values, data has ${tensor.data.length}`);
    }
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + n * width] };
    offset += n * width;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const paddedLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + paddedLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(paddedLength), true);
  out.set(json, LENGTH_PREFIX_BYTES);
  out.fill(0x20, LENGTH_PREFIX_BYTES + json.byteLength, LENGTH_PREFIX_BYTES + paddedLength);

  let cursor = LENGTH_PREFIX_BYTES + paddedLength;
  for (const [, tensor] of entries) {
    const src = tensor.data;
    if (dtype === 'F32') {
      if (HOST_IS_LITTLE_ENDIAN) {
        out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), cursor);
      } else {
        for (let i = 0; i < src.length; i++) view.setFloat32(cursor + i * 4, src[i], true);
      }
    } else {
      for (let i = 0; i < src.length; i++) view.setUint16(cursor + i * 2, f32ToF16(src[i]), true);
    }
    cursor += src.length * width;
  }
  return out;
}

export function writeSafetensors(
  file: string,
  tensors: Map<string, TensorF32> | Record<string, TensorF32>,
  opts?: SafetensorsWriteOptions,
): void {
  writeFileSync(file, serializeSafetensors(tensors, opts));
}
