import { Tensor64, evaluate64, tensor64 } from '../../test/support/float64-evaluator';
import { decodeModel } from '../engine/onnx/decode';
import { microBatch, microConfig, microWeights } from '../engine/training/micro-model';
import {
  TrainableHead,
  TrainingGraphSpec,
  buildEvalGraph,
  buildTrainingGraph,
  expAvgName,
  expAvgSqName,
  gradName,
  nextName,
} from '../engine/training';
import { TrainingBatch, TrainingSession } from './training-session';

function batchOf(head: TrainableHead): TrainingBatch {
  const b = microBatch(head);
  const big = (v?: number[]): BigInt64Array | undefined => (v ? BigInt64Array.from(v, BigInt) : undefined);
  return {
    size: b.size,
    seqLength: b.seqLength,
    inputIds: big(b.inputIds)!,
    attentionMask: big(b.attentionMask)!,
    tokenTypeIds: big(b.tokenTypeIds),
    labels: big(b.labels),
    startPositions: big(b.startPositions),
    endPositions: big(b.endPositions),
  };
}

function feeds64(batch: TrainingBatch, head: TrainableHead): Map<string, Tensor64> {
  const grid = [batch.size, batch.seqLength];
  const num = (a: BigInt64Array): number[] => Array.from(a, Number);
  const f = new Map<string, Tensor64>([
    ['input_ids', tensor64('int64', grid, num(batch.inputIds))],
    ['attention_mask', tensor64('int64', grid, num(batch.attentionMask))],
    ['token_type_ids', tensor64('int64', grid, num(batch.tokenTypeIds!))],
  ]);
  if (head === 'question-answering') {
    f.set('start_positions', tensor64('int64', [batch.size], num(batch.startPositions!)));
    f.set('end_positions', tensor64('int64', [batch.size], num(batch.endPositions!)));
  } else {
    const labels = num(batch.labels as BigInt64Array);
    f.set('labels', tensor64('int64', labels.length === batch.size ? [batch.size] : grid, labels));
  }
  return f;
}

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('TrainingSession (onnxruntime-node, float32) against the float64 interpretation of the same graph', () => {
  it.each(['sequence-classification', 'question-answering', 'masked-lm'] as TrainableHead[])(
    '%s: two steps with clipping and weight decay',
    async (head) => {
      const config = microConfig(head);
      const spec: TrainingGraphSpec = {
        config,
        weights: microWeights(config, head),
        head,
        emitGradients: true,
        optimizer: { weightDecay: 0.01, maxGradNorm: 0.5 },
      };
      const graph = buildTrainingGraph(spec);
      const graphData = decodeModel(graph.model).graph;
      const batch = batchOf(head);
      const session = await TrainingSession.create(graph, { intraOpThreads: 1 });
      try {
        // float64 state carried alongside ORT's float32 one.
        const state64 = new Map<string, { p: Tensor64; m: Tensor64; v: Tensor64 }>();
        for (const name of graph.trainable) {
          const w = spec.weights.get(name)!;
          const zeros = new Float64Array(w.data.length);
          state64.set(name, {
            p: tensor64('float32', w.shape, w.data),
            m: tensor64('float32', w.shape, zeros),
            v: tensor64('float32', w.shape, zeros),
          });
        }
        for (let step = 1; step <= 2; step++) {
          const lr = step === 1 ? 1e-3 : 5e-4;
          const feeds = feeds64(batch, head);
          feeds.set('learning_rate', tensor64('float32', [], [lr]));
          feeds.set('step', tensor64('int64', [], [step]));
          for (const [name, s] of state64) {
            feeds.set(name, s.p);
            feeds.set(expAvgName(name), s.m);
            feeds.set(expAvgSqName(name), s.v);
          }
          const ref = evaluate64(graphData, feeds);
          const result = await session.step(batch, lr);
          expect(session.state.step).toBe(step);
          expect(Math.abs(result.loss - ref.get('loss')!.data[0])).toBeLessThan(1e-5 * Math.abs(ref.get('loss')!.data[0]));
          expect(Math.abs(result.gradNorm - ref.get('grad_norm')!.data[0])).toBeLessThan(1e-4 * ref.get('grad_norm')!.data[0]);
          expect(ref.get('grad_norm')!.data[0]).toBeGreaterThan(0.5); // clipping is active
          const failures: string[] = [];
          for (const name of graph.trainable) {
            const g64 = ref.get(gradName(name))!.data;
            const g32 = result.gradients!.get(name)!;
            const gErr = maxAbs(g32.map((v, i) => v - g64[i]));
            const p64 = ref.get(nextName(name))!.data;
            state64.set(name, {
              p: tensor64('float32', state64.get(name)!.p.dims, p64),
              m: tensor64('float32', state64.get(name)!.p.dims, ref.get(nextName(expAvgName(name)))!.data),
              v: tensor64('float32', state64.get(name)!.p.dims, ref.get(nextName(expAvgSqName(name)))!.data),
            });
            // Softmax shift invariance makes some gradients exactly zero (key biases, QA output
            // bias): float32 gives rounding noise there, which Adam's sign-like step amplifies.
            if (maxAbs(g64) < 1e-12) {
              if (gErr > 1e-6) failures.push(`${name} grad ${gErr} (exactly zero in float64)`);
              continue;
            }
            if (gErr > 1e-4 * maxAbs(g64)) failures.push(`${name} grad ${gErr}`);
            const pErr = maxAbs(session.state.param(name).map((v, i) => v - p64[i]));
            if (pErr > 1e-5 * Math.max(1e-3, maxAbs(p64))) failures.push(`${name} param ${pErr}`);
          }
          expect(failures).toEqual([]);
        }
      } finally {
        await session.release();
      }
    },
  );
});

describe('TrainingState', () => {
  const head: TrainableHead = 'token-classification';

  it('alternates between two buffers per tensor (no allocation per step) and restores snapshots', async () => {
    const config = microConfig(head);
    const spec = { config, weights: microWeights(config, head), head, optimizer: { weightDecay: 0.01 } };
    const session = await TrainingSession.create(buildTrainingGraph(spec), { intraOpThreads: 1 });
    try {
      const name = 'classifier.weight';
      const seen = new Set<Float32Array>([session.state.param(name)]);
      const start = session.state.snapshot();
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        losses.push((await session.step(batchOf(head), 1e-2)).loss);
        seen.add(session.state.param(name));
      }
      expect(seen.size).toBe(2);
      expect(losses[3]).toBeLessThan(losses[0]); // it learns the batch
      expect(start.get(name)!.data).toEqual(spec.weights.get(name)!.data);
      expect(session.state.param(name)).not.toEqual(spec.weights.get(name)!.data);

      session.state.load(start, undefined, 0);
      expect(session.state.step).toBe(0);
      expect(session.state.param(name)).toEqual(spec.weights.get(name)!.data);
      expect(session.state.expAvg(name).every((v) => v === 0)).toBe(true);
      expect((await session.step(batchOf(head), 1e-2)).loss).toBeCloseTo(losses[0], 6);
    } finally {
      await session.release();
    }
  });

  it('dropout from the config: seeded, reproducible, and off in evaluate()', async () => {
    const config = microConfig(head, 0.3);
    const weights = microWeights(config, head);
    const run = async (dropoutSeed: number): Promise<{ train: number; eval1: number; eval2: number }> => {
      const spec = { config, weights, head, dropoutSeed };
      const session = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec), intraOpThreads: 1 });
      try {
        const eval1 = (await session.evaluate(batchOf(head))).loss;
        const eval2 = (await session.evaluate(batchOf(head))).loss;
        const train = (await session.step(batchOf(head), 1e-3)).loss;
        return { train, eval1, eval2 };
      } finally {
        await session.release();
      }
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(b.train).toBe(a.train);
    expect(c.train).not.toBe(a.train);
    expect(a.eval1).toBe(a.eval2);
    expect(a.eval1).toBe(c.eval1);
    expect(a.train).not.toBeCloseTo(a.eval1, 4);
  });
});
