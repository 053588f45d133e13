import { decodeModel } from '../../src/engine/onnx/decode';
import { GraphData } from '../../src/engine/onnx/model';
import { microBatch, microConfig, microWeights } from '../../src/engine/training/micro-model';
import {
  TrainableHead,
  TrainingGraphSpec,
  buildEvalGraph,
  buildTrainingGraph,
  expAvgName,
  expAvgSqName,
  gradName,
} from '../../src/engine/training/training-graph';
import { Tensor64, evaluate64, tensor64 } from './float64-evaluator';

/** The micro model's training graphs checked in float64: specs, feeds and the whole-graph finite-difference check. */

export const HEADS: TrainableHead[] = ['sequence-classification', 'token-classification', 'question-answering', 'masked-lm'];
export const WORD = 'bert.embeddings.word_embeddings.weight';
export const maxAbsOf = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export function specFor(head: TrainableHead, extra: Partial<TrainingGraphSpec> = {}): TrainingGraphSpec {
  const config = microConfig(head);
  return {
    config,
    weights: microWeights(config, head),
    head,
    emitGradients: true,
    optimizer: { weightDecay: 0.01, maxGradNorm: 0 },
    ...extra,
  };
}

export function batchFeeds(head: TrainableHead): Map<string, Tensor64> {
  const b = microBatch(head);
  const grid = [b.size, b.seqLength];
  const feeds = new Map<string, Tensor64>([
    ['input_ids', tensor64('int64', grid, b.inputIds)],
    ['attention_mask', tensor64('int64', grid, b.attentionMask)],
    ['token_type_ids', tensor64('int64', grid, b.tokenTypeIds)],
  ]);
  if (b.labels) feeds.set('labels', tensor64('int64', b.labelShape!, b.labels));
  if (b.startPositions) feeds.set('start_positions', tensor64('int64', [b.size], b.startPositions));
  if (b.endPositions) feeds.set('end_positions', tensor64('int64', [b.size], b.endPositions));
  return feeds;
}

/**
 * The whole training graph interpreted in float64: every gradient output against central
 * differences of the eval graph's loss (the same forward), on a sample of elements of every
 * parameter.
 */
/** Every `{param}_grad` of the training graph against central differences of the eval loss. */
export function finiteDifferenceCheck(
  spec: TrainingGraphSpec,
  batch?: Map<string, Tensor64>,
): { graph: ReturnType<typeof buildTrainingGraph>; trained: Map<string, Tensor64> } {
  const head = spec.head;
  {
    const graph = buildTrainingGraph(spec);
    const trainGraph: GraphData = decodeModel(graph.model).graph;
    const evalGraph: GraphData = decodeModel(buildEvalGraph(spec).model).graph;
    const feeds = batch ?? batchFeeds(head);
    const params = new Map<string, Tensor64>();
    for (const name of graph.trainable) {
      const w = spec.weights.get(name)!;
      params.set(name, tensor64('float32', w.shape, w.data));
    }
    const trainFeeds = new Map(feeds);
    trainFeeds.set('learning_rate', tensor64('float32', [], [1e-3]));
    trainFeeds.set('step', tensor64('int64', [], [1]));
    for (const [name, t] of params) {
      trainFeeds.set(name, t);
      trainFeeds.set(expAvgName(name), tensor64('float32', t.dims, new Float64Array(t.data.length)));
      trainFeeds.set(expAvgSqName(name), tensor64('float32', t.dims, new Float64Array(t.data.length)));
    }
    const trained = evaluate64(trainGraph, trainFeeds);
    const lossAt = (name: string, index: number, delta: number): number => {
      const t = params.get(name)!;
      const data = Float64Array.from(t.data);
      data[index] += delta;
      const f = new Map(feeds);
      for (const [n, p] of params) f.set(n, n === name ? { ...p, data } : p);
      return evaluate64(evalGraph, f).get('loss')!.data[0];
    };
    const base = lossAt(graph.trainable[0], 0, 0);
    expect(trained.get('loss')!.data[0]).toBeCloseTo(base, 12);

    const hidden = spec.config.hidden_size;
    const failures: string[] = [];
    let k = 7;
    for (const name of graph.trainable) {
      const grad = trained.get(gradName(name))!;
      expect(grad.dims).toEqual(params.get(name)!.dims);
      const n = grad.data.length;
      // A deterministic spread of elements; the word table also gets rows that are in the batch.
      const picks =
        name === WORD ? [5 * hidden + 1, 7 * hidden + 3, 11 * hidden + 2, 2 * hidden] : [0, n - 1, (k * 31) % n, (k * 17 + 3) % n];
      k++;
      const scale = Math.max(1e-3, ...Array.from(grad.data, Math.abs));
      for (const i of picks) {
        const h = 1e-5;
        const fd = (lossAt(name, i, h) - lossAt(name, i, -h)) / (2 * h);
        if (Math.abs(grad.data[i] - fd) > 1e-6 * scale) failures.push(`${name}[${i}]: analytic ${grad.data[i]} vs fd ${fd}`);
      }
    }
    expect(failures).toEqual([]);
    return { graph, trained };
  }
}

/** The dense batch's [B, L] labels as masked positions plus their labels. */
export function sparseFeeds(): Map<string, Tensor64> {
  const feeds = batchFeeds('masked-lm');
  const dense = feeds.get('labels')!;
  const positions: number[] = [];
  const labels: number[] = [];
  dense.data.forEach((label, i) => {
    if (label !== -100) {
      positions.push(i);
      labels.push(label);
    }
  });
  expect(positions.length).toBeGreaterThan(1);
  expect(positions.length).toBeLessThan(dense.data.length);
  feeds.set('masked_positions', tensor64('int64', [positions.length], positions));
  feeds.set('labels', tensor64('int64', [labels.length], labels));
  return feeds;
}
