/**
 * Berth's one seeded pseudo-random generator: xoshiro128** (Blackman & Vigna). Everything random
 * draws from it — initial weights, LoRA and prompt init, shuffling, masking, dropout seeds — so a
 * run is reproducible from its seed alone, on any platform.
 *
 * Two seedings fill the 128-bit state; each is kept so that seeded results stay what they were:
 *  - `'splitmix64'` (the default): SplitMix64, as the generator's authors recommend. The trainer's
 *    streams (data order, masks) use it.
 *  - `'splitmix32'`: a 32-bit SplitMix (a golden-ratio counter through MurmurHash3's fmix32).
 *    Initial weights (`init.ts`), PEFT init and the micro models have always been drawn from it.
 */
export type Seeding = 'splitmix64' | 'splitmix32';

const UINT32 = 0x1_0000_0000;
const MASK64 = (1n << 64n) - 1n;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** One SplitMix64 step: returns the next state and its 64-bit output. */
function splitMix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

function seedSplitMix64(seed: number): Uint32Array {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  const s = new Uint32Array(4);
  let state = BigInt(seed);
  let out: bigint;
  [state, out] = splitMix64(state);
  s[0] = Number(out & 0xffffffffn);
  s[1] = Number(out >> 32n);
  [, out] = splitMix64(state);
  s[2] = Number(out & 0xffffffffn);
  s[3] = Number(out >> 32n);
  return s;
}

/** Any number, taken modulo 2^32. */
function seedSplitMix32(seed: number): Uint32Array {
  let x = seed >>> 0;
  const next = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return Uint32Array.from([next(), next(), next(), next()]);
}

export class Rng {
  private readonly s: Uint32Array;

  /**
   * Equal (seed, seeding) pairs give equal streams. With `'splitmix64'` the seed must be a
   * non-negative safe integer; `'splitmix32'` takes any number modulo 2^32.
   */
  constructor(
    readonly seed: number,
    seeding: Seeding = 'splitmix64',
  ) {
    this.s = seeding === 'splitmix64' ? seedSplitMix64(seed) : seedSplitMix32(seed);
  }

  /** The next raw 32-bit output, as an unsigned integer. */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (two draws). */
  float(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in (0, 1) from one draw: never 0, so safe for log. */
  uniform(): number {
    return (this.uint32() + 0.5) / 4294967296;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform (one value per two `uniform()` draws). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Uniform integer in [0, n), without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > UINT32) {
      throw new RangeError(`int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    }
    const limit = UINT32 - (UINT32 % n);
    for (;;) {
      const r = this.uint32();
      if (r < limit) return r % n;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}
