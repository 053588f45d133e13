import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { TensorF32, parseSafetensors, readSafetensors, readSafetensorsHeader, serializeSafetensors, writeSafetensors } from './safetensors';

/** Builds a safetensors file by hand (header JSON padded to 8 bytes, then `data`). */
function handBuilt(header: unknown, data: Uint8Array, opts: { headerLength?: bigint; pad?: boolean } = {}): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  if (opts.pad !== false) while (json.length % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.headerLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

function littleEndian(values: number[], kind: 'f32' | 'u16' | 'f64' | 'i64'): Uint8Array {
  const width = { f32: 4, u16: 2, f64: 8, i64: 8 }[kind];
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    if (kind === 'f32') view.setFloat32(i * width, v, true);
    else if (kind === 'u16') view.setUint16(i * width, v, true);
    else if (kind === 'f64') view.setFloat64(i * width, v, true);
    else view.setBigInt64(i * width, BigInt(v), true);
  });
  return bytes;
}

function expectFormatError(fn: () => unknown, file: string, problem: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FormatError);
  const error = caught as FormatError;
  expect(error.file).toBe(file);
  expect(error.message.startsWith(`${file}: `)).toBe(true);
  expect(error.problem).toMatch(problem);
}

describe('safetensors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-safetensors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('reading', () => {
    it('reads F32, F16, BF16, F64 and I64 tensors as float32 with their shapes', () => {
      const f32 = littleEndian([1.5, -2.25, 3, 4], 'f32');
      const f16 = littleEndian([0x3c00, 0xc000, 0x3555], 'u16');
      const bf16 = littleEndian([0x3f80, 0x4049], 'u16');
      const f64 = littleEndian([0.1, -1e300], 'f64');
      const i64 = littleEndian([0, 1, 127], 'i64');
      const parts = [f32, f16, bf16, f64, i64];
      const offsets: Array<[number, number]> = [];
      let cursor = 0;
      for (const part of parts) {
        offsets.push([cursor, cursor + part.length]);
        cursor += part.length;
      }
      const data = new Uint8Array(cursor);
      parts.forEach((part, i) => data.set(part, offsets[i][0]));
      const bytes = handBuilt(
        {
          __metadata__: { format: 'pt' },
          a: { dtype: 'F32', shape: [2, 2], data_offsets: offsets[0] },
          b: { dtype: 'F16', shape: [3], data_offsets: offsets[1] },
          c: { dtype: 'BF16', shape: [1, 2], data_offsets: offsets[2] },
          d: { dtype: 'F64', shape: [2], data_offsets: offsets[3] },
          e: { dtype: 'I64', shape: [3], data_offsets: offsets[4] },
        },
        data,
      );
      const tensors = parseSafetensors(bytes, 'mixed.safetensors');
      expect([...tensors.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(tensors.get('a')).toEqual({ shape: [2, 2], data: new Float32Array([1.5, -2.25, 3, 4]) });
      expect(tensors.get('b')).toEqual({ shape: [3], data: new Float32Array([1, -2, 0.333251953125]) });
      expect(tensors.get('c')).toEqual({ shape: [1, 2], data: new Float32Array([1, 3.140625]) });
      expect(tensors.get('d')!.data[0]).toBe(Math.fround(0.1));
      expect(tensors.get('d')!.data[1]).toBe(-Infinity); // beyond float32 range
      expect(tensors.get('e')).toEqual({ shape: [3], data: new Float32Array([0, 1, 127]) });
    });

    it('F32 data is a zero-copy view when aligned, and a correct copy when not', () => {
      const bytes = serializeSafetensors({ w: { shape: [3], data: new Float32Array([1, 2, 3]) } });
      const aligned = parseSafetensors(bytes, 'x').get('w')!;
      expect(aligned.data.buffer).toBe(bytes.buffer);

      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      const unaligned = parseSafetensors(shifted.subarray(1), 'x').get('w')!;
      expect(unaligned.data.buffer).not.toBe(shifted.buffer);
      expect(Array.from(unaligned.data)).toEqual([1, 2, 3]);
    });

    it('reads scalars and empty tensors', () => {
      const bytes = handBuilt(
        {
          s: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
          z: { dtype: 'F32', shape: [0, 5], data_offsets: [4, 4] },
        },
        littleEndian([7], 'f32'),
      );
      const tensors = parseSafetensors(bytes, 'x');
      expect(tensors.get('s')).toEqual({ shape: [], data: new Float32Array([7]) });
      expect(tensors.get('z')).toEqual({ shape: [0, 5], data: new Float32Array(0) });
    });

    it('the header reader gives names, dtypes, shapes, offsets and metadata without the data', () => {
      const file = join(dir, 'header.safetensors');
      writeSafetensors(
        file,
        { b: { shape: [2], data: new Float32Array([1, 2]) }, a: { shape: [1, 1], data: new Float32Array([3]) } },
        {
          metadata: { format: 'pt' },
        },
      );
      const header = readSafetensorsHeader(file);
      expect(header.metadata).toEqual({ format: 'pt' });
      expect([...header.tensors.entries()]).toEqual([
        ['a', { dtype: 'F32', shape: [1, 1], dataOffsets: [0, 4] }],
        ['b', { dtype: 'F32', shape: [2], dataOffsets: [4, 12] }],
      ]);
    });
  });

  describe('writing', () => {
    const tensors: Record<string, TensorF32> = {
      'z.weight': { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      'a.bias': { shape: [2], data: new Float32Array([-0.5, 0.25]) },
    };

    it('writes the HF layout: u64 header length, compact JSON padded with spaces to 8 bytes, sorted names, no gaps', () => {
      const bytes = serializeSafetensors(tensors, { metadata: { format: 'pt' } });
      const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      const expectedJson =
        '{"__metadata__":{"format":"pt"},"a.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"z.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}';
      expect(text.trimEnd()).toBe(expectedJson);
      expect(text.slice(expectedJson.length)).toMatch(/^ *$/);
      expect(bytes.length).toBe(8 + headerLength + 32);
      const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + headerLength);
      expect([data.getFloat32(0, true), data.getFloat32(4, true), data.getFloat32(8, true)]).toEqual([-0.5, 0.25, 1]);
    });

    it('round-trips a Map through a file', () => {
      const file = join(dir, 'roundtrip.safetensors');
      writeSafetensors(file, new Map(Object.entries(tensors)));
      const back = readSafetensors(file);
      expect([...back.keys()]).toEqual(['a.bias', 'z.weight']);
      for (const [name, tensor] of Object.entries(tensors)) expect(back.get(name)).toEqual(tensor);
    });

    it('writes F16 with round-to-nearest-even bits and reads them back', () => {
      const values = new Float32Array([1, -2, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 2 ** -24]);
      const bytes = serializeSafetensors({ h: { shape: [6], data: values } }, { dtype: 'F16' });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const view = new DataView(bytes.buffer, 8 + headerLength);
      const bits = Array.from({ length: 6 }, (_, i) => view.getUint16(i * 2, true));
      expect(bits).toEqual([0x3c00, 0xc000, 0x3c00, 0x3c02, 0x7c00, 0x0001]);
      const back = parseSafetensors(bytes, 'h').get('h')!;
      expect(Array.from(back.data)).toEqual([1, -2, 1, 1 + 2 ** -9, Infinity, 2 ** -24]);
      expect(readSafetensorsHeaderFromBytes(bytes)).toContain('"dtype":"F16"');
    });

    it('refuses a tensor whose data does not match its shape', () => {
      expect(() => serializeSafetensors({ bad: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/holds 4 values, data has 3/);
    });
  });

  describe('malformed files are FormatErrors naming the file and the problem', () => {
    const write = (name: string, bytes: Uint8Array): string => {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      return file;
    };
    const valid = serializeSafetensors({ w: { shape: [4], data: new Float32Array([1, 2, 3, 4]) } });

    it('missing file', () => {
      const file = join(dir, 'absent.safetensors');
      expectFormatError(() => readSafetensors(file), file, /file not found/);
      expectFormatError(() => readSafetensorsHeader(file), file, /file not found/);
    });

    it('shorter than 8 bytes', () => {
      const file = write('short.safetensors', new Uint8Array([1, 2, 3]));
      expectFormatError(() => readSafetensors(file), file, /3 bytes, shorter than its 8-byte header length/);
      expectFormatError(() => readSafetensorsHeader(file), file, /shorter than/);
    });

    it('header length beyond the file', () => {
      const bytes = handBuilt({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), { headerLength: 4000n });
      const file = write('long-header.safetensors', bytes);
      expectFormatError(() => readSafetensors(file), file, /header length 4000 runs past the end of the \d+-byte file/);
      expectFormatError(() => readSafetensorsHeader(file), file, /header length 4000 runs past the end/);
    });

    it('absurd header length (a file of another format)', () => {
      const bytes = handBuilt({}, new Uint8Array(0), { headerLength: 2n ** 62n });
      const file = write('absurd.safetensors', bytes);
      expectFormatError(() => readSafetensors(file), file, /implausibly large/);
    });

    it('header not JSON', () => {
      const file = write('not-json.safetensors', handBuilt('{"w": {"dtype": "F32",', new Uint8Array(0)));
      expectFormatError(() => readSafetensors(file), file, /header is not valid JSON/);
      expectFormatError(() => readSafetensorsHeader(file), file, /header is not valid JSON/);
    });

    it('header JSON that is not an object', () => {
      expectFormatError(() => parseSafetensors(handBuilt('[1, 2]', new Uint8Array(0)), 'arr'), 'arr', /not a JSON object/);
    });

    it('unknown dtype', () => {
      const bytes = handBuilt({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
      expectFormatError(() => parseSafetensors(bytes, 'f8'), 'f8', /tensor "w": unknown dtype "F8_E4M3"/);
    });

    it('shape and offsets disagree on the byte count', () => {
      const bytes = handBuilt({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(16));
      expectFormatError(
        () => parseSafetensors(bytes, 'mismatch'),
        'mismatch',
        /F32 shape \[2, 2\] needs 16 bytes but data_offsets span 12/,
      );
    });

    it('malformed shape or offsets', () => {
      const shape = handBuilt({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4));
      expectFormatError(() => parseSafetensors(shape, 's'), 's', /shape must be an array of non-negative integers/);
      const offsets = handBuilt({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4));
      expectFormatError(() => parseSafetensors(offsets, 'o'), 'o', /data_offsets must be \[begin, end\]/);
    });

    it('overlapping offsets', () => {
      const bytes = handBuilt(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      );
      expectFormatError(() => parseSafetensors(bytes, 'overlap'), 'overlap', /tensors "a" and "b" have overlapping data_offsets/);
    });

    it('offsets beyond the data', () => {
      const bytes = handBuilt({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, new Uint8Array(8));
      expectFormatError(() => parseSafetensors(bytes, 'range'), 'range', /data_offsets \[8, 16\] run past the end of the data \(8 bytes/);
    });

    it('truncated data (a cut-off download)', () => {
      const file = write('truncated.safetensors', valid.subarray(0, valid.length - 3));
      expectFormatError(
        () => readSafetensors(file),
        file,
        /tensor "w": data_offsets \[0, 16\] run past the end of the data \(13 bytes; file truncated\?\)/,
      );
      expectFormatError(() => readSafetensorsHeader(file), file, /file truncated/);
    });

    it('metadata that is not a map of strings', () => {
      const bytes = handBuilt({ __metadata__: { format: 1 } }, new Uint8Array(0));
      expectFormatError(() => parseSafetensors(bytes, 'meta'), 'meta', /__metadata__.format must be a string/);
    });

    it('the valid file itself parses (the cases above fail for their stated reason only)', () => {
      expect(parseSafetensors(valid, 'ok').get('w')!.data).toEqual(new Float32Array([1, 2, 3, 4]));
    });
  });
});

function readSafetensorsHeaderFromBytes(bytes: Uint8Array): string {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}
