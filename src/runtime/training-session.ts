/**
 * The host side of training: runs the engine's training graph (one ONNX Runtime run per optimizer
 * step) and keeps the trainable parameters and AdamW moments between steps (`TrainingState`).
 *
 * Optimizer in the graph: each tensor has two buffers allocated once; one is fed, the graph's
 * `.next` output is written into the other (a pre-allocated output), and the two are swapped.
 * Optimizer on the host: the graph writes the gradients into pre-allocated buffers and AdamW runs
 * in place (`HostAdamW`), so only the gradients leave ONNX Runtime. ONNX Runtime types never leave
 * the runtime folder.
 */
import * as ort from 'onnxruntime-node';
import { GRAD_NORM, LEARNING_RATE, LOSS, STEP, expAvgName, expAvgSqName, gradName, nextName } from '../engine/training';
import type { EvalGraph, TrainingGraph } from '../engine/training';
import { Device, executionProvidersFor } from './onnx-session';
import { TrainingBatch, batchFeeds } from './training-feeds';
import { TrainingState } from './training-state';

export type { TrainingBatch } from './training-feeds';
export { TrainingState } from './training-state';

export interface TrainingSessionOptions {
  readonly eval?: EvalGraph;
  readonly device?: Device;
  readonly intraOpThreads?: number;
}

export interface StepResult {
  readonly loss: number;
  /** Global L2 norm of the gradients before clipping. */
  readonly gradNorm: number;
  /** `{param}` → gradient, when the graph was built with `emitGradients`. */
  readonly gradients?: Map<string, Float32Array>;
}

export interface EvalResult {
  readonly loss: number;
  readonly outputs: Record<string, { data: Float32Array; dims: number[] }>;
}

function scalarOf(t: ort.Tensor): number {
  return Number((t.data as Float32Array)[0]);
}

/** Bitwise equality (NaN payloads included), via integer views of the same bytes. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export class TrainingSession {
  /**
   * Pre-allocated outputs that ONNX Runtime did not fill itself on the first step and that are
   * therefore copied from what it returned (undefined until the first step has checked).
   */
  private copiedOutputs: Set<string> | undefined;

  private constructor(
    private readonly train: ort.InferenceSession,
    private readonly evalSession: ort.InferenceSession | undefined,
    private readonly graph: TrainingGraph,
    private readonly evalGraph: EvalGraph | undefined,
    readonly state: TrainingState,
  ) {}

  static async create(graph: TrainingGraph, options: TrainingSessionOptions = {}): Promise<TrainingSession> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: executionProvidersFor(options.device ?? 'cpu'),
      graphOptimizationLevel: 'all',
    };
    if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
    const train = await ort.InferenceSession.create(graph.model, sessionOptions);
    const evalSession = options.eval ? await ort.InferenceSession.create(options.eval.model, sessionOptions) : undefined;
    const state = new TrainingState(graph.initial, graph.trainable, graph.optimizerPlacement);
    return new TrainingSession(train, evalSession, graph, options.eval, state);
  }

  /** One optimizer step at learning rate `lr` on `batch`; advances `state.step`. */
  async step(batch: TrainingBatch, lr: number): Promise<StepResult> {
    const state = this.state;
    const feeds = batchFeeds(this.graph.batchInputs, batch, this.graph.labelDtype === 'float32');
    const targets = new Map<string, { buffer: Float32Array; dims: number[] }>();
    const host = this.graph.optimizerPlacement === 'host';
    if (!host) {
      feeds[LEARNING_RATE] = new ort.Tensor('float32', Float32Array.of(lr), []);
      feeds[STEP] = new ort.Tensor('int64', BigInt64Array.of(BigInt(state.step + 1)), []);
    }
    for (const name of state.names) {
      const dims = [...state.shape(name)];
      feeds[name] = new ort.Tensor('float32', state.param(name), dims);
      if (host) {
        targets.set(gradName(name), { buffer: state.grad(name), dims });
        continue;
      }
      feeds[expAvgName(name)] = new ort.Tensor('float32', state.expAvg(name), dims);
      feeds[expAvgSqName(name)] = new ort.Tensor('float32', state.expAvgSq(name), dims);
      const spare = state.spare(name);
      targets.set(nextName(name), { buffer: spare.param, dims });
      targets.set(nextName(expAvgName(name)), { buffer: spare.expAvg, dims });
      targets.set(nextName(expAvgSqName(name)), { buffer: spare.expAvgSq, dims });
    }
    const results = await this.runInto(feeds, targets, host ? [] : this.graph.emitGradients ? state.names.map(gradName) : []);
    const loss = scalarOf(results[LOSS]);
    const gradNorm = scalarOf(results[GRAD_NORM]);
    const gradientOf = (name: string): Float32Array =>
      Float32Array.from(host ? state.grad(name) : (results[gradName(name)].data as Float32Array));
    // Copied before the host update, which leaves the gradient buffers as they are anyway.
    const gradients = this.graph.emitGradients ? new Map(state.names.map((n) => [n, gradientOf(n)])) : undefined;
    if (state.host) {
      const weightDecay = this.graph.weightDecay;
      state.host.step({
        spec: this.graph.optimizer,
        learningRate: lr,
        step: state.step + 1,
        gradNorm,
        weightDecay: (name) => weightDecay.get(name) ?? 0,
      });
    } else {
      state.swap();
    }
    state.step += 1;
    return { loss, gradNorm, gradients };
  }

  /**
   * Runs the training graph with `targets` as pre-allocated outputs (plus loss, grad_norm and
   * `extra`, returned by ONNX Runtime). onnxruntime-node 1.30 writes into the pre-allocated buffers
   * and also returns a separate copy of each. The first step poisons the buffers with NaN and checks
   * bit for bit which of them then hold what was returned; later steps copy only the others.
   */
  private async runInto(
    feeds: Record<string, ort.Tensor>,
    targets: ReadonlyMap<string, { buffer: Float32Array; dims: number[] }>,
    extra: readonly string[],
  ): Promise<ort.InferenceSession.ReturnType> {
    const fetches: Record<string, ort.Tensor | null> = { [LOSS]: null, [GRAD_NORM]: null };
    for (const name of extra) fetches[name] = null;
    for (const [out, t] of targets) fetches[out] = new ort.Tensor('float32', t.buffer, t.dims);
    const verify = this.copiedOutputs === undefined;
    if (verify) for (const t of targets.values()) t.buffer.fill(NaN);
    const results = await this.train.run(feeds, fetches);
    const copied = this.copiedOutputs ?? new Set<string>();
    for (const [out, { buffer }] of targets) {
      const data = results[out].data as Float32Array;
      if (data.buffer === buffer.buffer && data.byteOffset === buffer.byteOffset) continue;
      if (verify && !sameBits(data, buffer)) copied.add(out);
      if (copied.has(out)) buffer.set(data);
    }
    this.copiedOutputs = copied;
    return results;
  }

  /** Loss and head outputs at the current parameters, dropout off. */
  async evaluate(batch: TrainingBatch): Promise<EvalResult> {
    if (!this.evalSession || !this.evalGraph) throw new Error('training session: created without an eval graph');
    const feeds = batchFeeds(this.evalGraph.batchInputs, batch, this.evalGraph.labelDtype === 'float32');
    for (const name of this.state.names) feeds[name] = new ort.Tensor('float32', this.state.param(name), [...this.state.shape(name)]);
    const results = await this.evalSession.run(feeds);
    const outputs: EvalResult['outputs'] = {};
    for (const name of this.evalGraph.outputs) {
      if (name === LOSS) continue;
      outputs[name] = { data: results[name].data as Float32Array, dims: results[name].dims.map(Number) };
    }
    return { loss: scalarOf(results[LOSS]), outputs };
  }

  async release(): Promise<void> {
    await this.train.release();
    await this.evalSession?.release();
  }
}
