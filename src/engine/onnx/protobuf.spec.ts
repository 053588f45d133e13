import { ProtoWriter, readFields, repeatedFloats, repeatedInts, signedOf, stringOf } from './protobuf';

function bytesOf(write: (w: ProtoWriter) => void): number[] {
  const w = new ProtoWriter();
  write(w);
  return Array.from(Buffer.concat(w.finish()));
}

describe('protobuf wire format', () => {
  it('encodes varints as in the protobuf documentation', () => {
    // "150" in field 1 is 08 96 01 (protobuf encoding guide); 300 is AC 02.
    expect(bytesOf((w) => w.varintField(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytesOf((w) => w.varint(300))).toEqual([0xac, 0x02]);
    // int64 -1 is ten bytes of two's complement.
    expect(bytesOf((w) => w.varint(-1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytesOf((w) => w.varint(2 ** 40))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
  });

  it('encodes strings, floats and nested messages length-delimited', () => {
    expect(bytesOf((w) => w.stringField(2, 'testing'))).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    expect(bytesOf((w) => w.floatField(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytesOf((w) => w.messageField(3, (m) => m.varintField(1, 150)))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
  });

  it('packs repeated scalars', () => {
    // Packed [3, 270, 86942] in field 4: 22 06 03 8E 02 9E A7 05 (protobuf encoding guide).
    expect(bytesOf((w) => w.packedVarintField(4, [3, 270, 86942]))).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
  });

  it('reads back what it writes, packed and unpacked, with large payloads referenced', () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const w = new ProtoWriter();
    w.varintField(1, -42);
    w.packedVarintField(2, [1, -2, 2 ** 33]);
    w.varintField(2, 7);
    w.packedFloatField(3, [0.5, -1.25]);
    w.stringField(4, 'héllo');
    w.bytesField(5, big);
    const chunks = w.finish();
    expect(chunks).toContain(big); // referenced, not copied
    const fields = readFields(Buffer.concat(chunks));
    expect(signedOf(fields[0])).toBe(-42);
    expect(repeatedInts(fields, 2)).toEqual([1, -2, 2 ** 33, 7]);
    expect(repeatedFloats(fields, 3)).toEqual([0.5, -1.25]);
    expect(stringOf(fields.find((f) => f.field === 4)!)).toBe('héllo');
    expect(Array.from(fields.find((f) => f.field === 5)!.bytes!)).toEqual(Array.from(big));
  });

  it('rejects truncated input', () => {
    expect(() => readFields(Uint8Array.from([0x12, 0x07, 0x74]))).toThrow(/truncated/);
    expect(() => readFields(Uint8Array.from([0x08, 0x96]))).toThrow(/truncated/);
  });
});
