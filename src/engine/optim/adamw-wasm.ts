/**
 * The AdamW update as one WebAssembly SIMD function, assembled here byte by byte (one function, no
 * toolchain). It is the host-side twin of `emitAdamW`: the same float32 operations in the same
 * order, four lanes at a time, so it gives the graph's numbers.
 *
 *   adamw(p, m, v, g, bytes, clip, decay, beta1, 1−beta1, beta2, 1−beta2, √(1−β2ᵗ), eps, lr/(1−β1ᵗ))
 *
 * updates `bytes / 4` floats in place in the imported memory: p, m and v from the addresses given,
 * reading g. `bytes` must be a multiple of 16 (the host pads every tensor to 16 floats).
 * Per lane: g' = g·clip; m = m·β1 + g'·(1−β1); v = v·β2 + (g'·g')·(1−β2);
 * p = p·decay − stepSize·(m / (√v / √(1−β2ᵗ) + eps)).
 */

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));

// Instructions used by the kernel.
const localGet = (i: number): number[] => [0x20, i];
const localSet = (i: number): number[] => [0x21, i];
const localTee = (i: number): number[] => [0x22, i];
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const I32_ADD = [0x6a];
const I32_EQZ = [0x45];
const I32_LT_U = [0x49];
const i32Const = (v: number): number[] => [0x41, v]; // small non-negative values only (< 64)
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const brIf = (depth: number): number[] => [0x0d, depth];
const END = [0x0b];
const V128_LOAD = [...simd(0x00), 4, 0]; // align 2^4, offset 0
const V128_STORE = [...simd(0x0b), 4, 0];
const F32X4_SPLAT = simd(0x13);
const F32X4_SQRT = simd(0xe3);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_DIV = simd(0xe7);

// Parameters: the four addresses, the byte count, then the nine float scalars.
const [P, M, V, G, BYTES] = [0, 1, 2, 3, 4];
const SCALARS = ['clip', 'decay', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'bias2Sqrt', 'eps', 'stepSize'] as const;
const scalarParam = (k: number): number => 5 + k;
// Locals: the running byte offset, the nine scalars splatted, and the lane temporaries g', m, v.
const OFFSET = 14;
const splatted = (k: number): number => 15 + k;
const [GRAD, EXP_AVG, EXP_AVG_SQ] = [24, 25, 26];
const lane = (k: (typeof SCALARS)[number]): number[] => localGet(splatted(SCALARS.indexOf(k)));
const address = (base: number): number[] => [...localGet(base), ...localGet(OFFSET), ...I32_ADD];

function kernelBody(): number[] {
  return [
    ...SCALARS.flatMap((_, k) => [...localGet(scalarParam(k)), ...F32X4_SPLAT, ...localSet(splatted(k))]),
    ...BLOCK,
    ...localGet(BYTES),
    ...I32_EQZ,
    ...brIf(0),
    ...LOOP,
    // g' = g · clip
    ...address(G),
    ...V128_LOAD,
    ...lane('clip'),
    ...F32X4_MUL,
    ...localSet(GRAD),
    // m = m·β1 + g'·(1−β1)
    ...address(M),
    ...V128_LOAD,
    ...lane('beta1'),
    ...F32X4_MUL,
    ...localGet(GRAD),
    ...lane('oneMinusBeta1'),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...localSet(EXP_AVG),
    ...address(M),
    ...localGet(EXP_AVG),
    ...V128_STORE,
    // v = v·β2 + (g'·g')·(1−β2)
    ...address(V),
    ...V128_LOAD,
    ...lane('beta2'),
    ...F32X4_MUL,
    ...localGet(GRAD),
    ...localGet(GRAD),
    ...F32X4_MUL,
    ...lane('oneMinusBeta2'),
    ...F32X4_MUL,
    ...F32X4_ADD,
    ...localSet(EXP_AVG_SQ),
    ...address(V),
    ...localGet(EXP_AVG_SQ),
    ...V128_STORE,
    // p = p·decay − stepSize · (m / (√v / √(1−β2ᵗ) + eps))
    ...address(P),
    ...address(P),
    ...V128_LOAD,
    ...lane('decay'),
    ...F32X4_MUL,
    ...lane('stepSize'),
    ...localGet(EXP_AVG),
    ...localGet(EXP_AVG_SQ),
    ...F32X4_SQRT,
    ...lane('bias2Sqrt'),
    ...F32X4_DIV,
    ...lane('eps'),
    ...F32X4_ADD,
    ...F32X4_DIV,
    ...F32X4_MUL,
    ...F32X4_SUB,
    ...V128_STORE,
    // offset += 16; loop while offset < bytes
    ...localGet(OFFSET),
    ...i32Const(16),
    ...I32_ADD,
    ...localTee(OFFSET),
    ...localGet(BYTES),
    ...I32_LT_U,
    ...brIf(0),
    ...END,
    ...END,
    ...END,
  ];
}

/** The module: imports `env.memory`, exports `adamw`. */
export function adamWModuleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, ...SCALARS.map(() => F32)];
  const body = [
    ...vec([
      [1, I32],
      [SCALARS.length + 3, V128],
    ]),
    ...kernelBody(),
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), ...vec([])]])),
    // A memory import with minimum 1 page and no maximum: any non-shared memory fits.
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...leb(1)]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('adamw'), 0x00, 0]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
  ]);
}

/** The scalars of one update, in the kernel's parameter order. */
export type AdamWKernelScalars = Readonly<Record<(typeof SCALARS)[number], number>>;

export type AdamWKernel = (p: number, m: number, v: number, g: number, bytes: number, ...scalars: number[]) => void;

export function kernelArguments(s: AdamWKernelScalars): number[] {
  return SCALARS.map((k) => s[k]);
}
