import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../src/engine/formats/config';
import { TensorF32, readSafetensors } from '../../src/engine/formats/safetensors';
import { OptimizerPlacement, buildEvalGraph, buildTrainingGraph, isDecayExempt } from '../../src/engine/training';
import { TrainingBatch, TrainingSession } from '../../src/runtime/training-session';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { BERT_TRAINING_HEADS as HEADS, TrainReference, datasetBatch } from '../helpers/train-reference';

/**
 * AdamW on the host (a gradient-only graph, `HostAdamW` in place) against AdamW in the graph: the
 * same three steps on each PyTorch training reference give the same losses, gradients, parameters
 * and moments to 1e-6 relative, and the host path meets the references as train-parity.test.ts
 * holds the graph path to them (parameters after 3 steps 1e-4, biases and LayerNorm 1e-5).
 */

interface Run {
  losses: number[];
  gradNorms: number[];
  firstGradients: Map<string, Float32Array>;
  lossAfter3: number;
  params: Map<string, TensorF32>;
  expAvg: Map<string, Float32Array>;
  expAvgSq: Map<string, Float32Array>;
}

async function threeSteps(model: string, batch: TrainingBatch, placement: OptimizerPlacement, maxGradNorm: number): Promise<Run> {
  const dir = hfTinyDir(model);
  const spec = {
    config: readConfig(join(dir, 'config.json')),
    weights: readSafetensors(join(dir, 'model.safetensors')),
    head: HEADS[model],
    optimizer: { weightDecay: 0.01, maxGradNorm },
    emitGradients: true,
    optimizerPlacement: placement,
  };
  const session = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec), intraOpThreads: 1 });
  try {
    const run: Partial<Run> & { losses: number[]; gradNorms: number[] } = { losses: [], gradNorms: [] };
    for (let step = 0; step < 3; step++) {
      const r = await session.step(batch, 1e-3);
      run.losses.push(r.loss);
      run.gradNorms.push(r.gradNorm);
      if (step === 0) run.firstGradients = r.gradients!;
    }
    run.lossAfter3 = (await session.evaluate(batch)).loss;
    run.params = session.state.snapshot();
    const names = session.state.names;
    run.expAvg = new Map(names.map((n) => [n, Float32Array.from(session.state.expAvg(n))]));
    run.expAvgSq = new Map(names.map((n) => [n, Float32Array.from(session.state.expAvgSq(n))]));
    return run as Run;
  } finally {
    await session.release();
  }
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Names of the tensors whose max|Δ| exceeds `rel` · max|reference| (0 when the reference is all zeros). */
function beyond(actual: ReadonlyMap<string, ArrayLike<number>>, expected: ReadonlyMap<string, ArrayLike<number>>, rel: number): string[] {
  const failures: string[] = [];
  for (const [name, want] of expected) {
    const diff = maxAbsDiff(actual.get(name)!, want);
    if (!(diff <= rel * maxAbs(want)))
      failures.push(`${name}: max|Δ| ${diff.toExponential(2)} (max|ref| ${maxAbs(want).toExponential(2)})`);
  }
  return failures;
}

const data = (m: ReadonlyMap<string, TensorF32>): Map<string, Float32Array> => new Map([...m].map(([k, t]) => [k, t.data]));

describeWithFixtures('AdamW on the host: same steps as AdamW in the graph, same parity with PyTorch', () => {
  describe.each(Object.keys(HEADS))('%s', (model) => {
    const dir = hfTinyDir(model);
    const reference = JSON.parse(readFileSync(join(dir, 'train_reference.json'), 'utf8')) as TrainReference;
    const noisy = new Set(reference.noise_sensitive_parameters.map((p) => p.name));
    const runs: Record<string, Run> = {};

    beforeAll(async () => {
      const batch = await datasetBatch(model, HEADS[model]);
      runs.graph = await threeSteps(model, batch, 'graph', 0);
      runs.host = await threeSteps(model, batch, 'host', 0);
      // A threshold far below the first gradient norm, so every step clips.
      runs.graphClipped = await threeSteps(model, batch, 'graph', 1e-3);
      runs.hostClipped = await threeSteps(model, batch, 'host', 1e-3);
    });

    it.each([
      ['no clipping', 'graph', 'host'],
      ['clipping active', 'graphClipped', 'hostClipped'],
    ])('%s: losses, gradients, parameters and both moments equal the graph path to 1e-6 relative', (_, graphRun, hostRun) => {
      const [g, h] = [runs[graphRun], runs[hostRun]];
      for (const [a, b] of [
        ...h.losses.map((l, i) => [l, g.losses[i]]),
        [h.lossAfter3, g.lossAfter3],
        ...h.gradNorms.map((n, i) => [n, g.gradNorms[i]]),
      ]) {
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.abs(b));
      }
      if (graphRun === 'graphClipped') expect(g.gradNorms[0]).toBeGreaterThan(1e-3);
      expect(beyond(h.firstGradients, g.firstGradients, 1e-6)).toEqual([]);
      expect(beyond(data(h.params), data(g.params), 1e-6)).toEqual([]);
      expect(beyond(h.expAvg, g.expAvg, 1e-6)).toEqual([]);
      expect(beyond(h.expAvgSq, g.expAvgSq, 1e-6)).toEqual([]);
    });

    it('parameters after 3 host AdamW steps against PyTorch: 1e-4 relative, biases and LayerNorm 1e-5', () => {
      const after3 = readSafetensors(join(dir, 'after3.safetensors'));
      const failures: string[] = [];
      for (const [name, ref] of after3) {
        if (noisy.has(name)) continue;
        const bound = (isDecayExempt(name) ? 1e-5 : 1e-4) * maxAbs(ref.data);
        const diff = maxAbsDiff(runs.host.params.get(name)!.data, ref.data);
        if (!(diff <= bound)) failures.push(`${name}: max|Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
      }
      expect(failures).toEqual([]);
      expect(Math.abs(runs.host.lossAfter3 - reference.loss_after_3)).toBeLessThanOrEqual(1e-4 * Math.abs(reference.loss_after_3));
    });
  });
});
