import { derivedSeed } from './seeds';

describe('derivedSeed', () => {
  it('is a pure function of (seed, purpose, index) and fits ONNX int seeds', () => {
    expect(derivedSeed(42, 'mask', 7)).toBe(derivedSeed(42, 'mask', 7));
    const seen = new Set<number>();
    for (const purpose of ['order', 'mask', 'dropout', 'validation'] as const) {
      for (const seed of [0, 1, 42]) {
        for (let i = 0; i < 50; i++) {
          const s = derivedSeed(seed, purpose, i);
          expect(Number.isInteger(s) && s >= 0 && s <= 0x7fffffff).toBe(true);
          seen.add(s);
        }
      }
    }
    // Streams for different purposes, seeds and steps do not collide.
    expect(seen.size).toBe(4 * 3 * 50);
  });
});
