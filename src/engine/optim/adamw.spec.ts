import { evaluate64, tensor64 } from '../../../test/support/float64-evaluator';
import { GraphBuilder } from '../graph/builder';
import { DEFAULT_OPTIMIZER, emitAdamW, isDecayExempt, weightDecayOf } from './adamw';
import { constantSchedule, constantWithWarmupSchedule, linearSchedule } from './schedule';

/** torch.optim.AdamW (decoupled decay first) and clip_grad_norm_, written out in double precision. */
function referenceStep(
  params: { p: number[]; g: number[]; m: number[]; v: number[]; wd: number }[],
  o: { lr: number; step: number; beta1: number; beta2: number; eps: number; maxGradNorm: number },
): { norm: number; out: { p: number[]; m: number[]; v: number[] }[] } {
  const norm = Math.sqrt(params.reduce((s, x) => s + x.g.reduce((t, v) => t + v * v, 0), 0));
  const coef = o.maxGradNorm > 0 ? Math.min(1, o.maxGradNorm / (norm + 1e-6)) : 1;
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  const out = params.map((x) => {
    const p = x.p.map((v) => v * (1 - o.lr * x.wd));
    const g = x.g.map((v) => v * coef);
    const m = x.m.map((v, i) => o.beta1 * v + (1 - o.beta1) * g[i]);
    const vv = x.v.map((v, i) => o.beta2 * v + (1 - o.beta2) * g[i] * g[i]);
    return { p: p.map((v, i) => v - (o.lr / bc1) * (m[i] / (Math.sqrt(vv[i]) / Math.sqrt(bc2) + o.eps))), m, v: vv };
  });
  return { norm, out };
}

describe('AdamW in the graph', () => {
  const cases = [
    { name: 'no clipping, step 1', maxGradNorm: 0, step: 1, lr: 1e-3 },
    { name: 'clipping active (norm > max), step 3', maxGradNorm: 0.5, step: 3, lr: 2e-3 },
    { name: 'clipping inactive (norm < max), step 10', maxGradNorm: 100, step: 10, lr: 5e-4 },
  ];
  it.each(cases)('matches torch.optim.AdamW: $name', ({ maxGradNorm, step, lr }) => {
    const spec = { ...DEFAULT_OPTIMIZER, weightDecay: 0.01, maxGradNorm };
    const tensors = [
      { name: 'dense.weight', p: [0.5, -1.2, 0.03, 2], g: [0.4, -0.1, 0, 1.3], m: [0.01, 0.02, 0, -0.3], v: [1e-4, 2e-3, 0, 0.5] },
      { name: 'dense.bias', p: [0.1, -0.2], g: [-0.7, 1e-9], m: [0, 0], v: [0, 0] },
    ].map((t) => ({ ...t, wd: weightDecayOf(t.name, spec) }));
    const g = new GraphBuilder();
    const lrV = g.input('learning_rate', 'float32', []);
    const stepV = g.input('step', 'int64', []);
    const feeds: Record<string, ReturnType<typeof tensor64>> = {
      learning_rate: tensor64('float32', [], [lr]),
      step: tensor64('int64', [], [step]),
    };
    const params = tensors.map((t) => {
      const dims = [t.p.length];
      for (const [suffix, values] of [
        ['', t.p],
        ['.grad', t.g],
        ['.exp_avg', t.m],
        ['.exp_avg_sq', t.v],
      ] as const) {
        feeds[`${t.name}${suffix}`] = tensor64('float32', dims, values);
      }
      return {
        name: t.name,
        param: g.input(t.name, 'float32', dims),
        grad: g.input(`${t.name}.grad`, 'float32', dims),
        expAvg: g.input(`${t.name}.exp_avg`, 'float32', dims),
        expAvgSq: g.input(`${t.name}.exp_avg_sq`, 'float32', dims),
        weightDecay: t.wd,
      };
    });
    const { gradNorm, updates } = emitAdamW(g, params, lrV, stepV, spec);
    g.output(gradNorm, 'grad_norm');
    for (const u of updates) {
      g.output(u.param, `${u.name}.next`);
      g.output(u.expAvg, `${u.name}.exp_avg.next`);
      g.output(u.expAvgSq, `${u.name}.exp_avg_sq.next`);
    }
    const out = evaluate64(g.graph(), feeds);
    // The graph's scalar constants are float32 (relative rounding ≤ 6e-8), hence the 1e-6 bound.
    const ref = referenceStep(tensors, { lr, step, beta1: 0.9, beta2: 0.999, eps: 1e-8, maxGradNorm });
    expect(out.get('grad_norm')!.data[0]).toBeCloseTo(ref.norm, 12);
    tensors.forEach((t, i) => {
      const close = (got: Float64Array, want: number[]): void =>
        want.forEach((w, k) => expect(Math.abs(got[k] - w)).toBeLessThan(1e-6 * Math.max(1e-3, Math.abs(w))));
      close(out.get(`${t.name}.next`)!.data, ref.out[i].p);
      close(out.get(`${t.name}.exp_avg.next`)!.data, ref.out[i].m);
      close(out.get(`${t.name}.exp_avg_sq.next`)!.data, ref.out[i].v);
    });
    if (maxGradNorm === 0.5) expect(ref.norm).toBeGreaterThan(0.5);
  });

  it('groups parameters as HF Trainer does: no decay for biases and LayerNorm', () => {
    expect(isDecayExempt('bert.encoder.layer.0.output.dense.bias')).toBe(true);
    expect(isDecayExempt('cls.predictions.bias')).toBe(true);
    expect(isDecayExempt('bert.embeddings.LayerNorm.weight')).toBe(true);
    expect(isDecayExempt('lm_head.layer_norm.weight')).toBe(true);
    expect(isDecayExempt('bert.embeddings.word_embeddings.weight')).toBe(false);
    expect(isDecayExempt('classifier.weight')).toBe(false);
  });
});

describe('learning-rate schedules (HF LambdaLR semantics, step = steps already taken)', () => {
  it('linear warm-up then linear decay to 0', () => {
    const s = linearSchedule({ lr: 1e-3, warmupSteps: 2, totalSteps: 6 });
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(s)).toEqual([0, 5e-4, 1e-3, 7.5e-4, 5e-4, 2.5e-4, 0, 0]);
  });
  it('constant, with and without warm-up', () => {
    expect([0, 5, 100].map(constantSchedule(2e-5))).toEqual([2e-5, 2e-5, 2e-5]);
    expect([0, 1, 2, 3].map(constantWithWarmupSchedule({ lr: 1e-3, warmupSteps: 2 }))).toEqual([0, 5e-4, 1e-3, 1e-3]);
  });
});
