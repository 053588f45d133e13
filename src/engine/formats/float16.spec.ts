import { bf16ToF32, f16ToF32, f32ToF16 } from './float16';

describe('half-precision conversions (hand-computed bit patterns)', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x3800, 0.5],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('F16 bits %i → %s', (bits, value) => {
    expect(f16ToF32(bits)).toBe(value);
  });

  it('F16 signed zero and NaN', () => {
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
  });

  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [1 + 2 ** -11, 0x3c00], // halfway between 0x3c00 and 0x3c01 → even
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 0x3c01 and 0x3c02 → even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway → up
    [65520, 0x7c00], // halfway between max and 2^16 rounds to even: infinity
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // halfway between 0 and the smallest subnormal → even (0)
    [1.5 * 2 ** -24, 0x0002], // halfway between 1 and 2 subnormal units → even (2)
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up from the largest subnormal into the smallest normal
    [1e-9, 0x0000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])('f32ToF16(%s) = bits %i', (value, bits) => {
    expect(f32ToF16(value)).toBe(bits);
  });

  it('f32ToF16 keeps NaN a NaN', () => {
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });

  it.each([
    [0x3f80, 1],
    [0xc000, -2],
    [0x4049, 3.140625],
    [0x3e80, 0.25],
    [0x7f80, Infinity],
  ])('BF16 bits %i → %s', (bits, value) => {
    expect(bf16ToF32(bits)).toBe(value);
  });
});
