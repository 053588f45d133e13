/**
 * The host side of training: runs the engine's training graph (one ONNX Runtime run per optimizer
 * step) and keeps the trainable parameters and AdamW moments in Float32Arrays between steps.
 *
 * Each tensor has two buffers allocated once: one is fed, the graph's `.next` output is written
 * into the other (passed as a pre-allocated output, and copied there unless ONNX Runtime returns
 * that very memory), and the two are swapped. ONNX Runtime types never leave this file.
 */
import * as ort from 'onnxruntime-node';
import type { TensorF32 } from '../engine/formats/safetensors';
import { GRAD_NORM, LEARNING_RATE, LOSS, STEP, expAvgName, expAvgSqName, gradName, nextName } from '../engine/training';
import type { EvalGraph, TrainingGraph } from '../engine/training';
import { Device, executionProvidersFor } from './onnx-session';

/** A padded batch; structurally the `Batch` that src/trainer/data builds. */
export interface TrainingBatch {
  readonly size: number;
  readonly seqLength: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds?: BigInt64Array;
  /** [size] for sequence classification (float32 for regression), [size, seqLength] for NER and MLM. */
  readonly labels?: BigInt64Array | Float32Array;
  readonly startPositions?: BigInt64Array;
  readonly endPositions?: BigInt64Array;
  /**
   * Masked-LM scored at the masked positions only: their row-major indices into batch × sequence;
   * `labels` then holds one token id per position.
   */
  readonly maskedPositions?: BigInt64Array;
  /** Pre-training's sentence objective: one label per row (`next_sentence_label` or `sentence_order_label`). */
  readonly sentenceLabels?: BigInt64Array;
  /** The span boundary objective, per masked position: the row-major positions left and right of its span, its offset in it. */
  readonly spanLeft?: BigInt64Array;
  readonly spanRight?: BigInt64Array;
  readonly spanOffset?: BigInt64Array;
}

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

interface Slot {
  readonly shape: readonly number[];
  /** [current, spare] for the parameter, exp_avg and exp_avg_sq. */
  readonly param: [Float32Array, Float32Array];
  readonly expAvg: [Float32Array, Float32Array];
  readonly expAvgSq: [Float32Array, Float32Array];
}

/** Trainable parameters, AdamW moments and the step count, in buffers allocated once. */
export class TrainingState {
  /** Optimizer steps taken so far (the next step feeds `step + 1`). */
  step = 0;
  readonly names: string[];
  private readonly slots = new Map<string, Slot>();

  constructor(initial: ReadonlyMap<string, TensorF32>, names: readonly string[]) {
    this.names = [...names];
    for (const name of names) {
      const t = initial.get(name);
      if (!t) throw new Error(`training state: no initial value for "${name}"`);
      const n = t.data.length;
      this.slots.set(name, {
        shape: [...t.shape],
        param: [Float32Array.from(t.data), new Float32Array(n)],
        expAvg: [new Float32Array(n), new Float32Array(n)],
        expAvgSq: [new Float32Array(n), new Float32Array(n)],
      });
    }
  }

  shape(name: string): readonly number[] {
    return this.slot(name).shape;
  }

  /** The current value (a live buffer: copy it if it must outlive the next step). */
  param(name: string): Float32Array {
    return this.slot(name).param[0];
  }

  expAvg(name: string): Float32Array {
    return this.slot(name).expAvg[0];
  }

  expAvgSq(name: string): Float32Array {
    return this.slot(name).expAvgSq[0];
  }

  /** @internal The buffers the next step writes into. */
  spare(name: string): { param: Float32Array; expAvg: Float32Array; expAvgSq: Float32Array } {
    const s = this.slot(name);
    return { param: s.param[1], expAvg: s.expAvg[1], expAvgSq: s.expAvgSq[1] };
  }

  /** @internal Makes the spare buffers current after a step. */
  swap(): void {
    for (const s of this.slots.values()) {
      s.param.reverse();
      s.expAvg.reverse();
      s.expAvgSq.reverse();
    }
  }

  /** Every parameter by HF name: copies of the trainable ones, plus `frozen` as given. */
  snapshot(frozen?: ReadonlyMap<string, TensorF32>): Map<string, TensorF32> {
    const out = new Map<string, TensorF32>(frozen ?? []);
    for (const name of this.names) out.set(name, { shape: [...this.shape(name)], data: Float32Array.from(this.param(name)) });
    return out;
  }

  /** Restores parameters (and optionally moments and the step count), e.g. to resume. */
  load(
    params: ReadonlyMap<string, TensorF32>,
    moments?: { expAvg: ReadonlyMap<string, TensorF32>; expAvgSq: ReadonlyMap<string, TensorF32> },
    step?: number,
  ): void {
    for (const name of this.names) {
      const s = this.slot(name);
      const copy = (target: Float32Array, from: TensorF32 | undefined, what: string): void => {
        if (!from) throw new Error(`training state: no ${what} for "${name}"`);
        if (from.data.length !== target.length)
          throw new Error(`training state: ${what} of "${name}" has ${from.data.length} values, expected ${target.length}`);
        target.set(from.data);
      };
      copy(s.param[0], params.get(name), 'value');
      if (moments) {
        copy(s.expAvg[0], moments.expAvg.get(name), 'exp_avg');
        copy(s.expAvgSq[0], moments.expAvgSq.get(name), 'exp_avg_sq');
      } else {
        s.expAvg[0].fill(0);
        s.expAvgSq[0].fill(0);
      }
    }
    if (step !== undefined) this.step = step;
  }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s) throw new Error(`training state: "${name}" is not a trainable parameter`);
    return s;
  }
}

function batchFeeds(names: readonly string[], batch: TrainingBatch, labelsFloat: boolean): Record<string, ort.Tensor> {
  const grid = [batch.size, batch.seqLength];
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    switch (name) {
      case 'input_ids':
        feeds[name] = new ort.Tensor('int64', batch.inputIds, grid);
        break;
      case 'attention_mask':
        feeds[name] = new ort.Tensor('int64', batch.attentionMask, grid);
        break;
      case 'token_type_ids':
        feeds[name] = new ort.Tensor('int64', batch.tokenTypeIds ?? new BigInt64Array(batch.size * batch.seqLength), grid);
        break;
      case 'labels': {
        const labels = required(batch.labels, name);
        const dims = batch.maskedPositions ? [labels.length] : labels.length === batch.size ? [batch.size] : grid;
        if (labelsFloat) {
          feeds[name] = new ort.Tensor('float32', labels instanceof Float32Array ? labels : Float32Array.from(labels, Number), dims);
        } else {
          feeds[name] = new ort.Tensor(
            'int64',
            labels instanceof BigInt64Array ? labels : BigInt64Array.from(labels, (v) => BigInt(Math.trunc(v))),
            dims,
          );
        }
        break;
      }
      case 'start_positions':
        feeds[name] = new ort.Tensor('int64', required(batch.startPositions, name), [batch.size]);
        break;
      case 'end_positions':
        feeds[name] = new ort.Tensor('int64', required(batch.endPositions, name), [batch.size]);
        break;
      case 'masked_positions': {
        const positions = required(batch.maskedPositions, name);
        feeds[name] = new ort.Tensor('int64', positions, [positions.length]);
        break;
      }
      case 'next_sentence_label':
      case 'sentence_order_label':
        feeds[name] = new ort.Tensor('int64', required(batch.sentenceLabels, name), [batch.size]);
        break;
      case 'span_left':
      case 'span_right':
      case 'span_offset': {
        const values = required(name === 'span_left' ? batch.spanLeft : name === 'span_right' ? batch.spanRight : batch.spanOffset, name);
        feeds[name] = new ort.Tensor('int64', values, [values.length]);
        break;
      }
      default:
        throw new Error(`training session: the graph needs batch input "${name}", which a batch does not carry`);
    }
  }
  return feeds;
}

function required<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new Error(`training session: the batch has no "${name}"`);
  return v;
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
  /** Whether ONNX Runtime fills the pre-allocated `.next` buffers itself (known after step one). */
  private outputsLandInPlace: boolean | undefined;

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
    return new TrainingSession(train, evalSession, graph, options.eval, new TrainingState(graph.initial, graph.trainable));
  }

  /** One optimizer step at learning rate `lr` on `batch`; advances `state.step`. */
  async step(batch: TrainingBatch, lr: number): Promise<StepResult> {
    const state = this.state;
    const feeds = batchFeeds(this.graph.batchInputs, batch, this.graph.labelDtype === 'float32');
    feeds[LEARNING_RATE] = new ort.Tensor('float32', Float32Array.of(lr), []);
    feeds[STEP] = new ort.Tensor('int64', BigInt64Array.of(BigInt(state.step + 1)), []);
    const fetches: Record<string, ort.Tensor | null> = { [LOSS]: null, [GRAD_NORM]: null };
    const targets = new Map<string, Float32Array>();
    for (const name of state.names) {
      const dims = [...state.shape(name)];
      feeds[name] = new ort.Tensor('float32', state.param(name), dims);
      feeds[expAvgName(name)] = new ort.Tensor('float32', state.expAvg(name), dims);
      feeds[expAvgSqName(name)] = new ort.Tensor('float32', state.expAvgSq(name), dims);
      const spare = state.spare(name);
      for (const [out, buffer] of [
        [nextName(name), spare.param],
        [nextName(expAvgName(name)), spare.expAvg],
        [nextName(expAvgSqName(name)), spare.expAvgSq],
      ] as const) {
        fetches[out] = new ort.Tensor('float32', buffer, dims);
        targets.set(out, buffer);
      }
    }
    const emitsGradients = this.graph.outputs.includes(gradName(state.names[0]));
    if (emitsGradients) for (const name of state.names) fetches[gradName(name)] = null;

    // onnxruntime-node 1.30 writes into the pre-allocated buffers and returns a separate copy.
    // The first step poisons the buffers with NaN and checks that every one then holds what was
    // returned; only then are later steps trusted to need no copy.
    const verify = this.outputsLandInPlace === undefined;
    if (verify) for (const buffer of targets.values()) buffer.fill(NaN);
    const results = await this.train.run(feeds, fetches);
    let inPlace = true;
    for (const [out, buffer] of targets) {
      const data = results[out].data as Float32Array;
      const sameMemory = data.buffer === buffer.buffer && data.byteOffset === buffer.byteOffset;
      if (sameMemory || this.outputsLandInPlace) continue;
      if (verify && !sameBits(data, buffer)) inPlace = false;
      buffer.set(data);
    }
    if (verify) this.outputsLandInPlace = inPlace;
    state.swap();
    state.step += 1;
    let gradients: Map<string, Float32Array> | undefined;
    if (emitsGradients) gradients = new Map(state.names.map((n) => [n, Float32Array.from(results[gradName(n)].data as Float32Array)]));
    return { loss: scalarOf(results[LOSS]), gradNorm: scalarOf(results[GRAD_NORM]), gradients };
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
