import * as ort from 'onnxruntime-node';
import { decodeModel } from '../onnx/decode';
import { encodeModel } from '../onnx/encode';
import { GraphBuilder } from './builder';
import { dropout, gelu, geluTanh, layerNorm, linear } from './composites';

const weight = (shape: number[], f: (i: number) => number) => ({
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(encodeModel(g.model()));
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('GraphBuilder shape rules', () => {
  it('broadcasts symbolic and fixed dims', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    const b = g.input('b', 'float32', [8]);
    expect(g.op.Add(x, b).shape).toEqual(['batch', 'seq', 8]);
    const m = g.input('m', 'float32', ['batch', 1, 1, 'seq']);
    const s = g.input('s', 'float32', ['batch', 2, 'seq', 'seq']);
    expect(g.op.Add(s, m).shape).toEqual(['batch', 2, 'seq', 'seq']);
    expect(() => g.op.Add(x, g.input('c', 'float32', [7]))).toThrow(/cannot broadcast 8 with 7/);
    expect(() => g.op.Add(x, g.input('i', 'int64', [8]))).toThrow(/dtype mismatch/);
  });

  it('infers MatMul, Transpose, Reshape (0 and -1), Gather, Concat and Split', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 'seq', 32]);
    const w = g.input('w', 'float32', [32, 64]);
    expect(g.op.MatMul(x, w).shape).toEqual(['batch', 'seq', 64]);
    expect(() => g.op.MatMul(x, g.input('w2', 'float32', [16, 4]))).toThrow(/inner dimensions differ/);
    const heads = g.op.Reshape(x, [0, 0, 2, 16]);
    expect(heads.shape).toEqual(['batch', 'seq', 2, 16]);
    const t = g.op.Transpose(heads, [0, 2, 1, 3]);
    expect(t.shape).toEqual(['batch', 2, 'seq', 16]);
    expect(g.op.MatMul(t, g.op.Transpose(heads, [0, 2, 3, 1])).shape).toEqual(['batch', 2, 'seq', 'seq']);
    expect(g.op.Reshape(heads, [0, 0, -1]).shape).toEqual(['batch', 'seq', 32]);
    expect(g.op.Reshape(x, [-1, 32]).shape).toEqual([expect.stringMatching(/^unk__/), 32]);
    const table = g.input('table', 'float32', [100, 32]);
    const ids = g.input('ids', 'int64', ['batch', 'seq']);
    expect(g.op.Gather(table, ids).shape).toEqual(['batch', 'seq', 32]);
    expect(g.op.Concat([x, x], -1).shape).toEqual(['batch', 'seq', 64]);
    expect(g.op.Split(w, 1, [16, 48]).map((v) => v.shape)).toEqual([
      [32, 16],
      [32, 48],
    ]);
    expect(g.op.Split(w, 1, 4).map((v) => v.shape[1])).toEqual([16, 16, 16, 16]);
  });

  it('infers scatter, Pad and Size', () => {
    const g = new GraphBuilder();
    const table = g.input('table', 'float32', [100, 32]);
    const idx = g.input('idx', 'int64', ['n', 1]);
    const upd = g.input('upd', 'float32', ['n', 32]);
    expect(g.op.ScatterND(table, idx, upd, 'add').shape).toEqual([100, 32]);
    expect(g.nodes[0].attributes).toEqual({ reduction: { kind: 'string', value: 'add' } });
    const x = g.input('x', 'float32', ['batch', 5]);
    expect(g.op.Pad(x, [0, 1, 0, 2]).shape).toEqual(['batch', 8]);
    expect(g.op.Size(x).shape).toEqual([]);
  });

  it('tracks shape-valued tensors through Shape, Gather and Concat', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 'seq', 32]);
    const shape = g.op.Shape(x);
    expect(shape.shape).toEqual([3]);
    const batchDim = g.op.Gather(shape, g.constant([0], 'int64'));
    const target = g.op.Concat([batchDim, g.int64s([-1])], 0);
    expect(g.op.Reshape(x, target).shape).toEqual(['batch', expect.any(String)]);
    expect(g.op.Expand(g.constant(0, 'float32'), shape).shape).toEqual(['batch', 'seq', 32]);
    expect(g.op.Shape(x, 1, 2).known).toEqual(['seq']);
  });

  it('infers reductions, LayerNormalization statistics and Dropout masks', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 'seq', 32]);
    expect(g.op.ReduceMean(x, [-1]).shape).toEqual(['batch', 'seq', 1]);
    expect(g.op.ReduceSum(x, [1], false).shape).toEqual(['batch', 32]);
    expect(g.op.ReduceSum(x).shape).toEqual([1, 1, 1]);
    const s = g.input('s', 'float32', [32]);
    const [y, mean, invStd] = g.op.LayerNormalization(x, s, s, { epsilon: 1e-12, stats: true });
    expect([y.shape, mean.shape, invStd.shape]).toEqual([
      ['batch', 'seq', 32],
      ['batch', 'seq', 1],
      ['batch', 'seq', 1],
    ]);
    const [out, mask] = g.op.Dropout(x, 0.1, 7);
    expect([out.dtype, mask.dtype, mask.shape]).toEqual(['float32', 'bool', ['batch', 'seq', 32]]);
  });
});

describe('GraphBuilder naming and parameters', () => {
  it('names intermediates by scope and op counter, and caches constants', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const a = g.scope('encoder', () => g.scope('layer.0', () => g.op.Add(x, g.constant(1))));
    const b = g.scope('encoder', () => g.scope('layer.0', () => g.op.Add(a, g.constant(1))));
    const c = g.op.Add(b, g.constant(2));
    expect([a.name, b.name, c.name]).toEqual(['encoder/layer.0/Add_0', 'encoder/layer.0/Add_1', 'Add_0']);
    expect(g.initializers.map((i) => i.name)).toEqual(['const_f32_1', 'const_f32_2']);
    expect(g.constant(1)).toBe(g.constant(1, 'float32'));
    expect(g.constant(1, 'int64')).not.toBe(g.constant(1, 'float32'));
    g.output(c, 'y');
    expect(g.nodes[2].outputs).toEqual(['y']);
    expect(g.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: [2] }]);
    // An input exported under another name goes through an Identity node.
    g.output(x, 'x_copy');
    expect(g.nodes[3]).toMatchObject({ opType: 'Identity', inputs: ['x'], outputs: ['x_copy'] });
  });

  it('renames a node output in its consumers too', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const a = g.op.Neg(x);
    const b = g.op.Exp(a);
    g.rename(a, 'negated');
    expect(g.nodes[0].outputs).toEqual(['negated']);
    expect(g.nodes[1].inputs).toEqual(['negated']);
    expect(a.name).toBe('negated');
    expect(() => g.rename(b, 'x')).toThrow(/already taken/);
    expect(() => g.rename(x, 'z')).toThrow(/only node outputs/);
  });

  it('makes trainable parameters graph inputs and frozen ones initializers', () => {
    const w = weight([3, 2], (i) => i);
    const g = new GraphBuilder({ trainable: ['enc.weight', 'enc.bias'] });
    const train = g.param('enc.weight', w);
    const frozen = g.param('head.weight', w);
    expect(g.param('enc.weight', w)).toBe(train); // tied weights resolve to one value
    expect(g.inputs.map((i) => i.name)).toEqual(['enc.weight']);
    expect(g.initializers.map((i) => i.name)).toEqual(['head.weight']);
    expect(g.parameters.map((p) => [p.name, p.trainable])).toEqual([
      ['enc.weight', true],
      ['head.weight', false],
    ]);
    expect(frozen.shape).toEqual([3, 2]);
  });

  it('stores frozen Linear weights pre-transposed and transposes trainable ones in-graph', () => {
    const w = weight([3, 2], (i) => i); // [[0,1],[2,3],[4,5]]
    const frozen = new GraphBuilder();
    const t = frozen.paramTransposed('dense.weight', w);
    expect(t.name).toBe('dense.weight.T');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(frozen.initializers[0].data as Float32Array)).toEqual([0, 2, 4, 1, 3, 5]);
    const trainable = new GraphBuilder({ trainable: (n) => n.startsWith('dense.') });
    const t2 = trainable.paramTransposed('dense.weight', w);
    expect(t2.name).toBe('dense.weight.T');
    expect(trainable.inputs).toEqual([{ name: 'dense.weight', dtype: 'float32', shape: [3, 2] }]);
    expect(trainable.nodes.map((n) => n.opType)).toEqual(['Transpose']);
  });
});

describe('GraphBuilder output runs in ONNX Runtime', () => {
  it('computes linear + GELU + LayerNorm like an independent JS reference', async () => {
    const g = new GraphBuilder({ trainable: ['dense.weight'] });
    const x = g.input('x', 'float32', ['batch', 3]);
    const wt = g.paramTransposed(
      'dense.weight',
      weight([4, 3], (i) => ((i * 7) % 5) / 5 - 0.4),
    );
    const bias = g.param(
      'dense.bias',
      weight([4], (i) => i / 10 - 0.1),
    );
    const ln = [
      g.param(
        'ln.weight',
        weight([4], (i) => 1 + i / 4),
      ),
      g.param(
        'ln.bias',
        weight([4], (i) => -i / 8),
      ),
    ];
    const h = g.scope('block', () => layerNorm(g, gelu(g, linear(g, x, wt, bias)), ln[0], ln[1], 1e-5));
    g.output(h, 'y');
    const xs = [0.3, -1.2, 2.5, -0.7, 0.0, 1.1];
    const wData = Float32Array.from({ length: 12 }, (_, i) => ((i * 7) % 5) / 5 - 0.4);
    const out = await run(g, {
      x: new ort.Tensor('float32', Float32Array.from(xs), [2, 3]),
      'dense.weight': new ort.Tensor('float32', wData, [4, 3]),
    });
    const erf = (z: number): number => {
      // Abramowitz–Stegun 7.1.26 is too coarse; use the series/continued-fraction free form via
      // high-precision numerical integration of exp(-t²).
      const n = 2000;
      let s = 0;
      for (let k = 0; k < n; k++) {
        const t = ((k + 0.5) / n) * z;
        s += Math.exp(-t * t);
      }
      return ((2 / Math.sqrt(Math.PI)) * s * z) / n;
    };
    for (let r = 0; r < 2; r++) {
      const pre = [0, 1, 2, 3].map(
        (o) => wData[o * 3] * xs[r * 3] + wData[o * 3 + 1] * xs[r * 3 + 1] + wData[o * 3 + 2] * xs[r * 3 + 2] + (o / 10 - 0.1),
      );
      const act = pre.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      const mean = act.reduce((a, b) => a + b) / 4;
      const variance = act.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      const expected = act.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * (1 + i / 4) - i / 8);
      const got = Array.from(out.y.data as Float32Array).slice(r * 4, r * 4 + 4);
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    }
  });

  it('computes the tanh GELU approximation like its formula', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [7]);
    g.output(geluTanh(g, x), 'y');
    const xs = [-4, -1.5, -0.3, 0, 0.2, 1, 3.7];
    const y = (await run(g, { x: new ort.Tensor('float32', Float32Array.from(xs), [7]) })).y.data as Float32Array;
    xs.forEach((v, i) => expect(y[i]).toBeCloseTo(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 6));
  });

  it('emits a seeded Dropout only in training graphs, with its mask', async () => {
    const build = (training: boolean) => {
      const g = new GraphBuilder({ training, seed: 3 });
      const x = g.input('x', 'float32', [1000]);
      g.output(g.op.Identity(dropout(g, x, 0.5)), 'y');
      return g;
    };
    expect(build(false).nodes.map((n) => n.opType)).toEqual(['Identity']);
    const g = build(true);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Dropout', 'Identity']);
    expect(g.nodes[0].outputs).toEqual(['Dropout_0', 'Dropout_0:1']);
    const ones = new ort.Tensor('float32', new Float32Array(1000).fill(1), [1000]);
    const y = (await run(g, { x: ones })).y.data as Float32Array;
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(kept.length).toBeGreaterThan(400);
    expect(kept.length).toBeLessThan(600);
  });
});

describe('serialization', () => {
  const build = () => {
    const g = new GraphBuilder({ name: 'tiny' });
    const x = g.input('x', 'float32', ['batch', 4]);
    const w = g.paramTransposed(
      'dense.weight',
      weight([2, 4], (i) => Math.sin(i)),
    );
    const y = g.op.Reshape(
      linear(
        g,
        x,
        w,
        g.param(
          'dense.bias',
          weight([2], (i) => i),
        ),
      ),
      [0, -1],
    );
    g.output(g.op.Softmax(y, -1), 'probs');
    return g;
  };

  it('is deterministic: the same graph twice gives identical bytes', () => {
    expect(Buffer.from(encodeModel(build().model())).equals(Buffer.from(encodeModel(build().model())))).toBe(true);
  });

  it('round-trips through the reader', () => {
    const g = build();
    const decoded = decodeModel(encodeModel(g.model({ task: 'test' })));
    expect(decoded.irVersion).toBe(8);
    expect(decoded.producerName).toBe('berth');
    expect(decoded.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(decoded.metadata).toEqual({ task: 'test' });
    expect(decoded.graph.name).toBe('tiny');
    expect(decoded.graph.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 4] }]);
    expect(decoded.graph.outputs).toEqual([{ name: 'probs', dtype: 'float32', shape: ['batch', 2] }]);
    expect(decoded.graph.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs, n.attributes])).toEqual(
      g.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs, n.attributes]),
    );
    expect(decoded.graph.initializers.map((t) => [t.name, t.dtype, t.dims, Array.from(t.data as ArrayLike<number | bigint>)])).toEqual(
      g.initializers.map((t) => [t.name, t.dtype, t.dims, Array.from(t.data as ArrayLike<number | bigint>)]),
    );
  });
});
