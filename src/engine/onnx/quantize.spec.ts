import { Rng } from '../random';
import { GraphData, ModelData, NamedTensor, NodeData } from './model';
import { QUANTIZATION_METADATA, dequantizePerChannel, isQuantized, quantizeDynamic, quantizePerChannel, roundHalfEven } from './quantize';

/**
 * The reference: ONNX Runtime's documented definitions, written out here independently of
 * quantize.ts (onnxruntime/python/tools/quantization/quant_utils.py, `compute_scale_zp` and
 * `quantize_nparray`; ORT's quantization docs: "int8 weights are symmetric, scale =
 * max(|min|, |max|) / 127, zero point 0"; uint8: "scale = (max(rmax, 0) − min(rmin, 0)) / 255,
 * zero point = round(−min(rmin, 0) / scale)"). One scale per column of a MatMul's [K, N] weight.
 */
function referenceColumn(column: number[], type: 'int8' | 'uint8'): { scale: number; zero: number } {
  const rmin = Math.min(0, ...column);
  const rmax = Math.max(0, ...column);
  if (type === 'int8') {
    const absmax = Math.max(-rmin, rmax);
    return absmax === 0 ? { scale: 1, zero: 0 } : { scale: absmax / 127, zero: 0 };
  }
  if (rmax === rmin) return { scale: 1, zero: 0 };
  const scale = (rmax - rmin) / 255;
  const z = -rmin / scale;
  // numpy rounds half to even; written with floor so it does not share code with quantize.ts.
  const zero = z - Math.floor(z) === 0.5 ? 2 * Math.round(z / 2) : Math.round(z);
  return { scale, zero: zero + 0 }; // −0 reads back from the typed array as 0
}

function randomWeight(rows: number, cols: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const w = Float32Array.from({ length: rows * cols }, () => rng.normal() * 0.05);
  // Edge columns: all zero, all positive, all negative, one outlier.
  for (let k = 0; k < rows; k++) {
    w[k * cols + 0] = 0;
    w[k * cols + 1] = Math.abs(w[k * cols + 1]);
    w[k * cols + 2] = -Math.abs(w[k * cols + 2]);
  }
  w[3] = 4;
  return w;
}

describe('per-channel weight quantization (ONNX Runtime quantize_dynamic, per_channel=True)', () => {
  const rows = 24;
  const cols = 10;
  const w = randomWeight(rows, cols, 3);
  const column = (n: number): number[] => Array.from({ length: rows }, (_, k) => w[k * cols + n]);

  it.each(['int8', 'uint8'] as const)('%s: scales and zero points follow the documented formulas, column by column', (type) => {
    const q = quantizePerChannel(w, [rows, cols], type);
    for (let n = 0; n < cols; n++) {
      const ref = referenceColumn(column(n), type);
      expect(q.scales[n]).toBeCloseTo(ref.scale, 9);
      expect(Math.abs(q.scales[n] - ref.scale)).toBeLessThanOrEqual(ref.scale * 2 ** -23);
      expect(q.zeroPoints[n]).toBe(ref.zero);
    }
    expect(q.values).toBeInstanceOf(type === 'int8' ? Int8Array : Uint8Array);
    // Edge columns, spelled out: zeros get scale 1 (ORT's guard), all-positive uint8 has zero
    // point 0, all-negative 255, and int8 is always symmetric with zero point 0.
    expect(q.scales[0]).toBe(1);
    if (type === 'uint8') expect([q.zeroPoints[1], q.zeroPoints[2]]).toEqual([0, 255]);
    else expect([...q.zeroPoints]).toEqual(new Array(cols).fill(0));
  });

  it.each(['int8', 'uint8'] as const)('%s: every dequantized weight is within scale/2 of the original, values in range', (type) => {
    const q = quantizePerChannel(w, [rows, cols], type);
    const back = dequantizePerChannel(q, [rows, cols]);
    const [lo, hi] = type === 'int8' ? [-127, 127] : [0, 255];
    for (let k = 0; k < rows; k++) {
      for (let n = 0; n < cols; n++) {
        const i = k * cols + n;
        // float32 rounding of s·(q − z) adds at most one ulp of the result on top of s/2.
        expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(q.scales[n] / 2 + Math.abs(w[i]) * 2 ** -22);
        expect(q.values[i]).toBeGreaterThanOrEqual(lo);
        expect(q.values[i]).toBeLessThanOrEqual(hi);
      }
    }
    // The outlier column uses the full range: its largest weight maps to the range's end.
    expect(q.values[3]).toBe(hi);
  });

  it('rounds halves to even, as numpy does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });
});

describe('quantizeDynamic: the graph rewrite', () => {
  const weight = (name: string, rows: number, cols: number): NamedTensor => ({
    name,
    dtype: 'float32',
    dims: [rows, cols],
    data: randomWeight(rows, cols, rows * 31 + cols),
  });
  const node = (opType: string, name: string, inputs: string[], outputs: string[]): NodeData => ({
    opType,
    name,
    inputs,
    outputs,
    attributes: {},
  });
  const graph: GraphData = {
    name: 'g',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['b', 8] }],
    outputs: [{ name: 'z', dtype: 'float32', shape: ['b', 4] }],
    initializers: [weight('w1', 8, 6), weight('w2', 8, 6), weight('w3', 6, 4)],
    nodes: [
      node('MatMul', 'mm1', ['x', 'w1'], ['y1']),
      node('MatMul', 'mm2', ['x', 'w2'], ['y2']),
      node('MatMul', 'dynamic', ['y1', 'y2t'], ['not-constant']), // B is computed: left alone
      node('Add', 'add', ['y1', 'y2'], ['y']),
      node('MatMul', 'mm3', ['y', 'w3'], ['z']),
      node('Add', 'keeps_w3', ['w3', 'w3'], ['w3x2']), // w3 is read by a non-MatMul too
    ],
  };
  const model: ModelData = { graph, metadata: { 'berth.head': 'x' } };

  it('replaces each constant-weight MatMul by DynamicQuantizeLinear → MatMulInteger → Cast → Mul', () => {
    const r = quantizeDynamic(model);
    expect(r.quantized).toEqual(['w1', 'w2', 'w3']);
    const ops = r.model.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(1);
    expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(3);
    // x feeds two MatMuls but is quantized once; y is quantized for mm3.
    expect(r.model.graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear').map((n) => n.inputs[0])).toEqual(['x', 'y']);
    const mm1 = r.model.graph.nodes.find((n) => n.opType === 'MatMulInteger')!;
    expect(mm1.inputs).toEqual(['x_quantized', 'w1_quantized', 'x_zero_point', 'w1_zero_point']);
    // The original output names are kept, so consumers need no change.
    expect(r.model.graph.nodes.filter((n) => n.outputs.includes('y1'))).toHaveLength(1);
    expect(r.model.graph.nodes.find((n) => n.outputs.includes('y1'))!.opType).toBe('Mul');
    // Each quantized tensor is produced before it is read (topological order kept).
    const seen = new Set(['x', ...r.model.graph.initializers.map((t) => t.name)]);
    for (const n of r.model.graph.nodes) {
      for (const input of n.inputs) if (input !== 'y2t') expect(seen.has(input)).toBe(true);
      n.outputs.forEach((o) => seen.add(o));
    }
  });

  it('drops float weights only MatMuls read, stores int8 with per-column scale and zero point, and marks the model', () => {
    const r = quantizeDynamic(model);
    const names = r.model.graph.initializers.map((t) => t.name);
    expect(names).not.toContain('w1');
    expect(names).toContain('w3');
    const w1q = r.model.graph.initializers.find((t) => t.name === 'w1_quantized')!;
    expect(w1q.dtype).toBe('int8');
    expect(r.model.graph.initializers.find((t) => t.name === 'w1_scale')!.dims).toEqual([6]);
    expect(r.model.graph.initializers.find((t) => t.name === 'w1_zero_point')!.dtype).toBe('int8');
    expect(r.model.metadata).toEqual({ 'berth.head': 'x', [QUANTIZATION_METADATA]: 'dynamic-per-channel-int8' });
    expect(r.bytesBefore).toBe((8 * 6 * 2 + 6 * 4) * 4);
    expect(isQuantized(r.model)).toBe(true);
    expect(() => quantizeDynamic(r.model)).toThrow(/already quantized/);
  });

  it('uint8 weights get uint8 values and zero points', () => {
    const r = quantizeDynamic(model, { weightType: 'uint8' });
    const dtypes = new Set(r.model.graph.initializers.filter((t) => /_(quantized|zero_point)$/.test(t.name)).map((t) => t.dtype));
    expect([...dtypes]).toEqual(['uint8']);
  });
});
