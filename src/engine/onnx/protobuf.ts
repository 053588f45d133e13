/**
 * The protobuf wire format, as much of it as ONNX needs: varints, fixed32 floats,
 * length-delimited fields and packed repeated scalars.
 *
 * The writer never copies large payloads: bytes over a small threshold (tensor raw_data) are kept
 * as references in a chunk list, and a nested message contributes its chunks to its parent. The
 * output is that chunk list, which can be streamed to a file or joined once.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const SCRATCH_SIZE = 64 * 1024;
/** Payloads at least this large are referenced rather than copied into the scratch buffer. */
const REFERENCE_THRESHOLD = 1024;
const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  // Starts small: most messages (nodes, attributes, dims) are a few bytes long.
  private scratch = new Uint8Array(256);
  private view = new DataView(this.scratch.buffer);
  private pos = 0;
  private flushedLength = 0;

  get length(): number {
    return this.flushedLength + this.pos;
  }

  /** The encoded bytes, as chunks in order; the writer must not be used afterwards. */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  varintField(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  boolField(field: number, value: boolean): void {
    this.varintField(field, value ? 1 : 0);
  }

  floatField(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  stringField(field: number, value: string): void {
    this.bytesField(field, textEncoder.encode(value));
  }

  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A nested message: encoded by `write` into its own writer, then appended with its length. */
  messageField(field: number, write: (w: ProtoWriter) => void): void {
    const sub = new ProtoWriter();
    write(sub);
    const chunks = sub.finish();
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(size);
    for (const chunk of chunks) this.raw(chunk);
  }

  packedVarintField(field: number, values: readonly (number | bigint)[]): void {
    if (values.length === 0) return;
    const sub = new ProtoWriter();
    for (const v of values) sub.varint(v);
    const chunks = sub.finish();
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(sub.length);
    for (const chunk of chunks) this.raw(chunk);
  }

  packedFloatField(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.bytesField(field, bytes);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** Unsigned varint; negative numbers are written as 64-bit two's complement (int64 semantics). */
  varint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff && Number.isInteger(value)) {
      let v = value;
      while (v > 0x7f) {
        this.scratch[this.pos++] = (v & 0x7f) | 0x80;
        v = Math.floor(v / 128);
      }
      this.scratch[this.pos++] = v;
      return;
    }
    if (typeof value === 'number' && !Number.isInteger(value)) {
      throw new Error(`protobuf varint must be an integer, got ${value}`);
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.scratch[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.pos++] = Number(v);
  }

  private raw(bytes: Uint8Array): void {
    if (bytes.length >= REFERENCE_THRESHOLD) {
      this.flush();
      this.chunks.push(bytes);
      this.flushedLength += bytes.length;
      return;
    }
    this.ensure(bytes.length);
    this.scratch.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    if (this.scratch.length < SCRATCH_SIZE) {
      const grown = new Uint8Array(Math.min(SCRATCH_SIZE, Math.max(this.scratch.length * 2, this.pos + n)));
      if (this.pos + n <= grown.length) {
        grown.set(this.scratch.subarray(0, this.pos));
        this.scratch = grown;
        this.view = new DataView(grown.buffer);
        return;
      }
    }
    this.flush();
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.pos));
    this.flushedLength += this.pos;
    // The flushed bytes stay referenced; later writes go to a fresh buffer.
    this.scratch = new Uint8Array(SCRATCH_SIZE);
    this.view = new DataView(this.scratch.buffer);
    this.pos = 0;
  }
}

export interface ProtoField {
  readonly field: number;
  readonly wireType: number;
  /** Varint fields (as bigint, full 64-bit two's complement). */
  readonly varint?: bigint;
  /** Fixed32 / fixed64 fields and length-delimited payloads, as views on the input. */
  readonly bytes?: Uint8Array;
}

/** Splits one message into its fields. Length-delimited payloads are subarray views (no copy). */
export function readFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('protobuf: varint too long');
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > buf.length) throw new Error('protobuf: truncated field');
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < buf.length) {
    const key = Number(readVarint());
    const field = key >>> 3;
    const wireType = key & 7;
    switch (wireType) {
      case WIRE_VARINT:
        fields.push({ field, wireType, varint: readVarint() });
        break;
      case WIRE_FIXED64:
        fields.push({ field, wireType, bytes: take(8) });
        break;
      case WIRE_LENGTH_DELIMITED:
        fields.push({ field, wireType, bytes: take(Number(readVarint())) });
        break;
      case WIRE_FIXED32:
        fields.push({ field, wireType, bytes: take(4) });
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

/** A varint field as a signed 64-bit number (int64 fields, negative values included). */
export function signedOf(f: ProtoField): number {
  return Number(BigInt.asIntN(64, f.varint ?? 0n));
}

/** Repeated int64 field values, accepting both packed and unpacked encodings. */
export function repeatedInts(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wireType === WIRE_VARINT) {
      out.push(signedOf(f));
      continue;
    }
    const bytes = f.bytes as Uint8Array;
    let pos = 0;
    while (pos < bytes.length) {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        const b = bytes[pos++];
        result |= BigInt(b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7n;
      }
      out.push(Number(BigInt.asIntN(64, result)));
    }
  }
  return out;
}

/** Repeated float field values, packed or not. */
export function repeatedFloats(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    const bytes = f.bytes as Uint8Array;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(view.getFloat32(i, true));
  }
  return out;
}

export function floatOf(f: ProtoField): number {
  const bytes = f.bytes as Uint8Array;
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

const textDecoder = new TextDecoder();
export function stringOf(f: ProtoField): string {
  return textDecoder.decode(f.bytes);
}
