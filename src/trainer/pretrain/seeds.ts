const PURPOSE = { order: 1n, mask: 2n, dropout: 3n, validation: 4n, heads: 5n } as const;

export type SeedPurpose = keyof typeof PURPOSE;

/** A seed for one purpose and index, mixed from the run's seed (fits ONNX's int seed attribute). */
export function derivedSeed(seed: number, purpose: SeedPurpose, index: number): number {
  let z =
    (BigInt(seed) * 0x9e3779b97f4a7c15n + PURPOSE[purpose] * 0xbf58476d1ce4e5b9n + BigInt(index) * 0x94d049bb133111ebn) &
    ((1n << 64n) - 1n);
  z = ((z ^ (z >> 31n)) * 0xd6e8feb86659fd93n) & ((1n << 64n) - 1n);
  return Number((z ^ (z >> 32n)) & 0x7fffffffn);
}
