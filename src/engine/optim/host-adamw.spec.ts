import { Tensor64, evaluate64, tensor64 } from '../../../test/support/float64-evaluator';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { DEFAULT_OPTIMIZER, OptimizerSpec, emitAdamW, weightDecayOf } from './adamw';
import { HostAdamW } from './host-adamw';

/** The training graph's AdamW (`emitAdamW`) for these tensors, evaluated in float64. */
function graphStep(
  tensors: readonly { name: string; p: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array; wd: number }[],
  o: { lr: number; step: number; spec: OptimizerSpec },
): { norm: number; next: Map<string, { p: Float64Array; m: Float64Array; v: Float64Array }> } {
  const g = new GraphBuilder();
  const feeds: Record<string, Tensor64> = {
    learning_rate: tensor64('float32', [], [o.lr]),
    step: tensor64('int64', [], [o.step]),
  };
  const params = tensors.map((t) => {
    const dims = [t.p.length];
    const input = (suffix: string, values: Float32Array): Value => {
      feeds[t.name + suffix] = tensor64('float32', dims, values);
      return g.input(t.name + suffix, 'float32', dims);
    };
    return {
      name: t.name,
      param: input('', t.p),
      grad: input('.grad', t.g),
      expAvg: input('.m', t.m),
      expAvgSq: input('.v', t.v),
      weightDecay: t.wd,
    };
  });
  const { gradNorm, updates } = emitAdamW(g, params, g.input('learning_rate', 'float32', []), g.input('step', 'int64', []), o.spec);
  g.output(gradNorm, 'grad_norm');
  for (const u of updates) for (const [k, v] of Object.entries({ p: u.param, m: u.expAvg, v: u.expAvgSq })) g.output(v, `${u.name}/${k}`);
  const out = evaluate64(g.graph(), feeds);
  const next = new Map(
    tensors.map((t) => [t.name, { p: out.get(`${t.name}/p`)!.data, m: out.get(`${t.name}/m`)!.data, v: out.get(`${t.name}/v`)!.data }]),
  );
  return { norm: out.get('grad_norm')!.data[0], next };
}

/** Seeded values in [-scale, scale). */
function values(n: number, seed: number, scale: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/** max|a − b| / max|b| over a tensor, the parity tests' measure (float32 against float64). */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
};

describe('HostAdamW (WebAssembly SIMD, in place)', () => {
  // Sizes that are not multiples of the 16-float padding, one weight-decayed and one exempt tensor.
  const tensors = [
    { name: 'encoder.dense.weight', size: 37 },
    { name: 'encoder.dense.bias', size: 5 },
    { name: 'encoder.LayerNorm.weight', size: 16 },
  ];

  it.each([
    { name: 'no clipping', maxGradNorm: 0, lr: 1e-3 },
    { name: 'clipping active', maxGradNorm: 0.5, lr: 2e-3 },
    { name: 'clipping inactive', maxGradNorm: 100, lr: 5e-4 },
  ])("three steps give the training graph's AdamW to 1e-6 relative: $name", ({ maxGradNorm, lr }) => {
    const spec = { ...DEFAULT_OPTIMIZER, weightDecay: 0.01, maxGradNorm };
    const adamw = new HostAdamW(tensors);
    tensors.forEach((t, k) => adamw.param(t.name).set(values(t.size, 10 + k, 1)));
    for (let step = 1; step <= 3; step++) {
      tensors.forEach((t, k) => adamw.grad(t.name).set(values(t.size, 100 * step + k, 0.5)));
      const before = tensors.map((t) => ({
        name: t.name,
        p: Float32Array.from(adamw.param(t.name)),
        g: Float32Array.from(adamw.grad(t.name)),
        m: Float32Array.from(adamw.expAvg(t.name)),
        v: Float32Array.from(adamw.expAvgSq(t.name)),
        wd: weightDecayOf(t.name, spec),
      }));
      const ref = graphStep(before, { lr, step, spec });
      if (maxGradNorm === 0.5) expect(ref.norm).toBeGreaterThan(0.5); // clipping is active
      adamw.step({ spec, learningRate: lr, step, gradNorm: Math.fround(ref.norm), weightDecay: (n) => weightDecayOf(n, spec) });
      for (const t of tensors) {
        const want = ref.next.get(t.name)!;
        expect(relErr(adamw.expAvg(t.name), want.m)).toBeLessThan(1e-6);
        expect(relErr(adamw.expAvgSq(t.name), want.v)).toBeLessThan(1e-6);
        expect(relErr(adamw.param(t.name), want.p)).toBeLessThan(1e-6);
      }
    }
  });

  it('keeps every tensor in its own aligned slot: neighbours and padding are untouched', () => {
    const adamw = new HostAdamW(tensors);
    const spec = { ...DEFAULT_OPTIMIZER, weightDecay: 0.01 };
    adamw.param('encoder.dense.bias').set([1, 2, 3, 4, 5]);
    adamw.grad('encoder.dense.weight').fill(1);
    adamw.step({ spec, learningRate: 0, step: 1, gradNorm: 1, weightDecay: () => 0 });
    expect(Array.from(adamw.param('encoder.dense.bias'))).toEqual([1, 2, 3, 4, 5]);
    expect(adamw.expAvg('encoder.dense.bias').every((v) => v === 0)).toBe(true);
    expect(adamw.expAvg('encoder.dense.weight').every((v) => Math.abs(v - 0.1) < 1e-7)).toBe(true);
    expect(adamw.param('encoder.dense.weight').byteOffset % 64).toBe(0);
    expect(adamw.param('encoder.LayerNorm.weight').byteOffset % 64).toBe(0);
  });

  it('packs tensors into several memories when they exceed one, with the same results', () => {
    const spec = { ...DEFAULT_OPTIMIZER, weightDecay: 0.01, maxGradNorm: 1 };
    // 4 regions × 64 floats fill 1 KiB: the first two tensors share a memory, the third is alone
    // in one larger than the packing size.
    const sizes = [
      { name: 'a.weight', size: 20 },
      { name: 'b.bias', size: 30 },
      { name: 'c.weight', size: 200 },
    ];
    const one = new HostAdamW(sizes);
    const many = new HostAdamW(sizes, { bankBytes: 1024 });
    expect(many.param('a.weight').buffer).toBe(many.param('b.bias').buffer);
    expect(many.param('c.weight').buffer).not.toBe(many.param('a.weight').buffer);
    for (const adamw of [one, many]) {
      sizes.forEach((t, k) => {
        adamw.param(t.name).set(values(t.size, k, 1));
        adamw.grad(t.name).set(values(t.size, 50 + k, 0.5));
      });
      adamw.step({ spec, learningRate: 1e-3, step: 1, gradNorm: 2, weightDecay: (n) => weightDecayOf(n, spec) });
    }
    for (const t of sizes) {
      expect(many.param(t.name)).toEqual(one.param(t.name));
      expect(many.expAvgSq(t.name)).toEqual(one.expAvgSq(t.name));
    }
  });

  it('names an unknown tensor', () => {
    expect(() => new HostAdamW(tensors).param('nope')).toThrow('"nope" is not a trainable tensor');
  });
});
