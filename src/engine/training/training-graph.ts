import { backward } from '../autodiff/backward';
import { EngineError } from '../errors';
import { EncoderConfig, HeadKind } from '../formats/config';
import { TensorF32 } from '../formats/safetensors';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { BATCH, SEQUENCE, buildEncoder } from '../nn/bert';
import { WeightSet } from '../nn/weights';
import { encodeModel } from '../onnx/encode';
import { IGNORE_INDEX, crossEntropy, distillationLoss, meanSquaredError, softTargetKl, spanLoss, tokenCrossEntropy } from '../losses';
import { DEFAULT_OPTIMIZER, OptimizerSpec, emitAdamW, emitGradNorm, weightDecayOf } from '../optim/adamw';

export type TrainableHead = Exclude<HeadKind, 'base'>;

/**
 * Where the AdamW update runs. `graph`: in the training graph, which takes the moments in and
 * returns new parameters and moments (one run does the whole step). `host`: the graph stops at the
 * gradients and the session applies AdamW in place on the host (`HostAdamW`), so only the
 * gradients leave ONNX Runtime; onnxruntime-node hands every output back as a fresh copy, and for
 * BERT-base 3 × parameters per step was the largest cost outside the graph (docs/benchmarks.md).
 */
export type OptimizerPlacement = 'graph' | 'host';

export interface TrainingGraphSpec {
  readonly config: EncoderConfig;
  readonly weights: ReadonlyMap<string, TensorF32>;
  readonly head: TrainableHead;
  /** Parameters to train (default: all); the others are baked in as initializers. */
  readonly trainable?: ReadonlySet<string> | ((name: string) => boolean);
  readonly optimizer?: Partial<OptimizerSpec>;
  /** Base seed of the Dropout nodes (default 0). */
  readonly dropoutSeed?: number;
  /** Also output `{param}_grad` (the unclipped gradients) and return them from each step. */
  readonly emitGradients?: boolean;
  /** Default `graph`. */
  readonly optimizerPlacement?: OptimizerPlacement;
  /**
   * Masked-LM only: score the masked positions alone. The batch then carries `masked_positions`
   * (int64 [M], row-major into batch × sequence) and `labels` [M] (their token ids) instead of
   * [B, L] labels with −100; loss and gradients are the same, the output layer runs on M rows.
   */
  readonly maskedPositionsOnly?: boolean;
  /**
   * Knowledge distillation (training graph only; the eval graph keeps the plain label loss): the
   * batch also carries the teacher's logits (`teacher_logits`, or `teacher_start_logits` and
   * `teacher_end_logits` for QA) and the loss is α·T²·KL(teacher ‖ student) + (1 − α)·label loss.
   */
  readonly distillation?: DistillationSpec;
}

export interface DistillationSpec {
  readonly temperature: number;
  /** Weight of the soft-target term; 1 − alpha weighs the label loss. */
  readonly alpha: number;
}

/** The teacher inputs a distilled head reads, in contract order. */
export function teacherInputsOf(head: TrainableHead): string[] {
  if (head === 'question-answering') return ['teacher_start_logits', 'teacher_end_logits'];
  if (head === 'sequence-classification' || head === 'token-classification') return ['teacher_logits'];
  throw new EngineError('UNSUPPORTED_HEAD', `distillation supports classification, NER and QA heads, not ${head}`);
}

/** Symbolic size of the masked-position axis. */
export const MASKED = 'masked_tokens';
export const MASKED_POSITIONS = 'masked_positions';

interface GraphContract {
  /** Serialised ONNX model (deterministic bytes). */
  readonly model: Uint8Array;
  readonly inputs: string[];
  readonly outputs: string[];
  /** `input_ids`, `attention_mask`, `token_type_ids` (when present), then the label inputs. */
  readonly batchInputs: string[];
  /** Trainable parameter names, in graph order. */
  readonly trainable: string[];
  /** Element type of `labels` (float32 for single-label regression, else int64). */
  readonly labelDtype: 'int64' | 'float32';
}

export interface TrainingGraph extends GraphContract {
  readonly frozen: string[];
  /** Starting value of each trainable parameter (what the first step feeds). */
  readonly initial: Map<string, TensorF32>;
  /** Weight decay per trainable parameter (0 for biases and LayerNorm). */
  readonly weightDecay: Map<string, number>;
  readonly optimizer: OptimizerSpec;
  readonly optimizerPlacement: OptimizerPlacement;
  /** Whether a step returns the gradients (the spec's `emitGradients`). */
  readonly emitGradients: boolean;
}

export type EvalGraph = GraphContract;

/** Graph input names of the training contract. */
export const LEARNING_RATE = 'learning_rate';
export const STEP = 'step';
export const LOSS = 'loss';
export const GRAD_NORM = 'grad_norm';
export const expAvgName = (param: string): string => `${param}.exp_avg`;
export const expAvgSqName = (param: string): string => `${param}.exp_avg_sq`;
export const nextName = (name: string): string => `${name}.next`;
export const gradName = (param: string): string => `${param}_grad`;

/** The label inputs each head's loss reads. */
export function labelInputsOf(head: TrainableHead, maskedPositionsOnly = false): string[] {
  if (head === 'masked-lm' && maskedPositionsOnly) return [MASKED_POSITIONS, 'labels'];
  return head === 'question-answering' ? ['start_positions', 'end_positions'] : ['labels'];
}

interface Forward {
  readonly g: GraphBuilder;
  readonly loss: Value;
  readonly headOutputs: Readonly<Record<string, Value>>;
  readonly batchInputs: string[];
  readonly trainable: Value[];
  readonly labelDtype: 'int64' | 'float32';
}

function trainablePredicate(spec: TrainingGraphSpec): (name: string) => boolean {
  const t = spec.trainable;
  if (t === undefined) return () => true;
  if (typeof t === 'function') return t;
  return (name) => t.has(name);
}

/** The encoder, its head and the HF loss, with trainable parameters as graph inputs. */
function buildForward(spec: TrainingGraphSpec, training: boolean): Forward {
  if ((spec.head as HeadKind) === 'base') throw new EngineError('UNSUPPORTED_HEAD', 'a bare encoder has no training loss');
  const g = new GraphBuilder({
    name: training ? 'training_graph' : 'eval_graph',
    trainable: trainablePredicate(spec),
    training,
    seed: spec.dropoutSeed ?? 0,
  });
  const sparse = spec.head === 'masked-lm' && spec.maskedPositionsOnly === true;
  const maskedPositions = sparse ? g.input(MASKED_POSITIONS, 'int64', [MASKED]) : undefined;
  const built = buildEncoder(g, spec.config, new WeightSet(spec.weights), { head: spec.head, training, maskedPositions });
  const numLabels = Object.keys(spec.config.id2label).length;
  const labelInputs = labelInputsOf(spec.head, sparse);
  const loss = g.scope('loss', () => {
    switch (spec.head) {
      case 'sequence-classification': {
        if (numLabels === 1) return meanSquaredError(g, built.outputs.logits, g.input('labels', 'float32', [BATCH]));
        return crossEntropy(g, built.outputs.logits, g.input('labels', 'int64', [BATCH]));
      }
      case 'token-classification':
        return tokenCrossEntropy(g, built.outputs.logits, g.input('labels', 'int64', [BATCH, SEQUENCE]), numLabels);
      case 'masked-lm':
        if (sparse) return crossEntropy(g, built.outputs.logits, g.input('labels', 'int64', [MASKED]));
        return tokenCrossEntropy(g, built.outputs.logits, g.input('labels', 'int64', [BATCH, SEQUENCE]), spec.config.vocab_size);
      case 'question-answering': {
        const start = g.input('start_positions', 'int64', [BATCH]);
        const end = g.input('end_positions', 'int64', [BATCH]);
        return spanLoss(g, built.outputs.start_logits, built.outputs.end_logits, start, end);
      }
    }
  });
  const distill = training ? spec.distillation : undefined;
  const total = distill ? distilled(g, spec, built.outputs, loss, distill, numLabels) : loss;
  const batchInputs = [
    ...[built.inputs.inputIds, built.inputs.attentionMask, built.inputs.tokenTypeIds].flatMap((v) => (v ? [v.name] : [])),
    ...labelInputs,
    ...(distill ? teacherInputsOf(spec.head) : []),
  ];
  const trainable = g.parameters.filter((p) => p.trainable).map((p) => p.value);
  if (trainable.length === 0) throw new EngineError('NOTHING_TO_TRAIN', 'no parameter of the model is trainable');
  const labelDtype = spec.head === 'sequence-classification' && numLabels === 1 ? 'float32' : 'int64';
  return { g, loss: total, headOutputs: built.outputs, batchInputs, trainable, labelDtype };
}

/** The distillation loss around a head's label loss, reading the teacher's logits as batch inputs. */
function distilled(
  g: GraphBuilder,
  spec: TrainingGraphSpec,
  outputs: Readonly<Record<string, Value>>,
  hard: Value,
  d: DistillationSpec,
  numLabels: number,
): Value {
  return g.scope('distillation', () => {
    switch (spec.head) {
      case 'sequence-classification': {
        if (numLabels === 1) throw new EngineError('UNSUPPORTED_HEAD', 'distillation needs class logits, not a regression head');
        const teacher = g.input('teacher_logits', 'float32', [BATCH, numLabels]);
        return distillationLoss(g, softTargetKl(g, outputs.logits, teacher, d.temperature), hard, d.alpha);
      }
      case 'token-classification': {
        // Per token, over the tokens the label loss scores (first sub-token of each word).
        const teacher = g.input('teacher_logits', 'float32', [BATCH, SEQUENCE, numLabels]);
        const labels = g.op.Reshape(g.valueOf('labels'), [-1]);
        const weights = g.op.Cast(g.op.Not(g.op.Equal(labels, g.constant(IGNORE_INDEX, 'int64'))), 'float32');
        const flat = (v: Value): Value => g.op.Reshape(v, [-1, numLabels]);
        return distillationLoss(
          g,
          softTargetKl(g, flat(outputs.logits), flat(teacher), d.temperature, { rowWeights: weights }),
          hard,
          d.alpha,
        );
      }
      case 'question-answering': {
        // Start and end distributions over the real tokens (padding masked out of both), averaged.
        const mask = g.op.Cast(g.valueOf('attention_mask'), 'float32');
        const start = g.input('teacher_start_logits', 'float32', [BATCH, SEQUENCE]);
        const end = g.input('teacher_end_logits', 'float32', [BATCH, SEQUENCE]);
        const kl = (s: Value, t: Value): Value => softTargetKl(g, s, t, d.temperature, { logitMask: mask });
        const soft = g.op.Div(g.op.Add(kl(outputs.start_logits, start), kl(outputs.end_logits, end)), g.constant(2, 'float32'));
        return distillationLoss(g, soft, hard, d.alpha);
      }
      default:
        throw new EngineError('UNSUPPORTED_HEAD', `distillation supports classification, NER and QA heads, not ${spec.head}`);
    }
  });
}

/**
 * HF builds the word (and RoBERTa's position) embeddings as `nn.Embedding(padding_idx=pad)`, whose
 * lookup gives the padding row no gradient. Zeroing the lookup's gradient where `input_ids == pad`
 * does exactly that (those are the only positions reading the padding row), and leaves other uses
 * of the table alone (the tied MLM decoder's gradient stays dense).
 */
function paddingIdxHooks(g: GraphBuilder, padTokenId: number): Map<string, (grad: Value) => Value> {
  const hooks = new Map<string, (grad: Value) => Value>();
  const tables = new Set(
    g.parameters
      .filter((p) => p.trainable && /(^|\.)embeddings\.(word|position)_embeddings\.weight$/.test(p.name))
      .map((p) => p.value.name),
  );
  const lookups = g.nodes.filter((n) => n.opType === 'Gather' && tables.has(n.inputs[0]));
  if (lookups.length === 0) return hooks;
  const keep = g.scope('grad/padding_idx', () =>
    g.op.Unsqueeze(g.op.Cast(g.op.Not(g.op.Equal(g.valueOf('input_ids'), g.constant(padTokenId, 'int64'))), 'float32'), [-1]),
  );
  for (const node of lookups) hooks.set(node.outputs[0], (grad) => g.op.Mul(grad, keep));
  return hooks;
}

/** Puts the graph inputs in the contract's order (ONNX input order is declaration only). */
function orderInputs(g: GraphBuilder, order: readonly string[]): void {
  const rank = new Map(order.map((n, i) => [n, i]));
  const missing = g.inputs.filter((i) => !rank.has(i.name));
  if (missing.length) throw new Error(`training graph: unexpected inputs ${missing.map((i) => i.name).join(', ')}`);
  g.inputs.sort((a, b) => rank.get(a.name)! - rank.get(b.name)!);
}

/**
 * The training step as one graph: forward, loss, gradients, clipping and AdamW (placement `graph`),
 * or forward, loss, gradients and their global norm (placement `host`). See README.md for the
 * input/output contracts.
 */
export function buildTrainingGraph(spec: TrainingGraphSpec): TrainingGraph {
  const optimizer: OptimizerSpec = { ...DEFAULT_OPTIMIZER, ...spec.optimizer };
  const { g, loss, batchInputs, trainable, labelDtype } = buildForward(spec, true);
  const grads = backward(g, loss, trainable, { gradientHooks: paddingIdxHooks(g, spec.config.pad_token_id) });

  const names = trainable.map((v) => v.name);
  const weightDecay = new Map(names.map((name) => [name, weightDecayOf(name, optimizer)]));
  const placement = spec.optimizerPlacement ?? 'graph';
  if (placement === 'host') {
    const gradNorm = g.scope('optimizer', () =>
      emitGradNorm(
        g,
        names.map((n) => grads.get(n)!),
      ),
    );
    g.output(loss, LOSS);
    g.output(gradNorm, GRAD_NORM);
    for (const name of names) g.output(grads.get(name)!, gradName(name));
    orderInputs(g, [...batchInputs, ...names]);
  } else {
    emitGraphUpdate(g, trainable, grads, weightDecay, optimizer, loss, spec.emitGradients === true);
    orderInputs(g, [...batchInputs, LEARNING_RATE, STEP, ...names.flatMap((n) => [n, expAvgName(n), expAvgSqName(n)])]);
  }
  const model = encodeModel(g.model({ 'berth.graph': placement === 'host' ? 'gradients' : 'training', 'berth.head': spec.head }));
  const initial = new Map<string, TensorF32>();
  for (const p of g.parameters) if (p.trainable) initial.set(p.name, { shape: [...p.initial.shape], data: p.initial.data });
  return {
    model,
    inputs: g.inputs.map((i) => i.name),
    outputs: g.outputs.map((o) => o.name),
    batchInputs,
    trainable: names,
    labelDtype,
    frozen: g.parameters.filter((p) => !p.trainable).map((p) => p.name),
    initial,
    weightDecay,
    optimizer,
    optimizerPlacement: placement,
    emitGradients: spec.emitGradients === true,
  };
}

/** The `graph` placement: AdamW after the gradients, moments in, new values and moments out. */
function emitGraphUpdate(
  g: GraphBuilder,
  trainable: readonly Value[],
  grads: ReadonlyMap<string, Value>,
  weightDecay: ReadonlyMap<string, number>,
  optimizer: OptimizerSpec,
  loss: Value,
  emitGradients: boolean,
): void {
  const learningRate = g.input(LEARNING_RATE, 'float32', []);
  const step = g.input(STEP, 'int64', []);
  const params = trainable.map((param) => {
    const name = param.name;
    return {
      name,
      param,
      grad: grads.get(name)!,
      expAvg: g.input(expAvgName(name), 'float32', param.shape),
      expAvgSq: g.input(expAvgSqName(name), 'float32', param.shape),
      weightDecay: weightDecay.get(name)!,
    };
  });
  const { gradNorm, updates } = emitAdamW(g, params, learningRate, step, optimizer);
  g.output(loss, LOSS);
  g.output(gradNorm, GRAD_NORM);
  for (const u of updates) {
    g.output(u.param, nextName(u.name));
    g.output(u.expAvg, nextName(expAvgName(u.name)));
    g.output(u.expAvgSq, nextName(expAvgSqName(u.name)));
  }
  if (emitGradients) for (const p of params) g.output(p.grad, gradName(p.name));
}

/**
 * The eval graph from the same forward with dropout off: batch, labels and the trainable
 * parameters in, `loss` and the head outputs out.
 */
export function buildEvalGraph(spec: TrainingGraphSpec): EvalGraph {
  const { g, loss, headOutputs, batchInputs, trainable, labelDtype } = buildForward(spec, false);
  g.output(loss, LOSS);
  for (const [name, value] of Object.entries(headOutputs)) g.output(value, name);
  const names = trainable.map((v) => v.name);
  orderInputs(g, [...batchInputs, ...names]);
  return {
    model: encodeModel(g.model({ 'berth.graph': 'eval', 'berth.head': spec.head })),
    inputs: g.inputs.map((i) => i.name),
    outputs: g.outputs.map((o) => o.name),
    batchInputs,
    trainable: names,
    labelDtype,
  };
}
