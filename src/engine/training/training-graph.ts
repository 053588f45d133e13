import { backward } from '../autodiff/backward';
import { EngineError } from '../errors';
import { EncoderConfig, HeadKind } from '../formats/config';
import { TensorF32 } from '../formats/safetensors';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { BATCH, SEQUENCE, buildEncoder } from '../nn/bert';
import {
  PretrainingHeads,
  SBO_LOGITS,
  SENTENCE_LABEL,
  SENTENCE_LOGITS,
  SPAN_LEFT,
  SPAN_OFFSET,
  SPAN_RIGHT,
  sentenceLogits,
  spanBoundaryLogits,
} from '../nn/pretraining';
import { WeightSet } from '../nn/weights';
import { encodeModel } from '../onnx/encode';
import { IGNORE_INDEX, crossEntropy, meanSquaredError, spanLoss, tokenCrossEntropy } from '../losses';
import { DEFAULT_OPTIMIZER, OptimizerSpec, emitAdamW, emitGradNorm, weightDecayOf } from '../optim/adamw';
import { DistillationSpec, distilled, teacherInputsOf } from './distillation';

export { teacherInputsOf } from './distillation';
export type { DistillationSpec } from './distillation';

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
   * Masked-LM only: pre-training heads trained beside it (NSP or SOP on the pooled [CLS], SBO on
   * the masked positions, which needs `maskedPositionsOnly`); their losses are added to the MLM
   * loss with weight 1, as HF's BertForPreTraining adds NSP and SpanBERT adds SBO.
   */
  readonly pretraining?: PretrainingHeads;
  /**
   * Knowledge distillation (training graph only; the eval graph keeps the plain label loss): the
   * batch also carries the teacher's logits (`teacher_logits`, or `teacher_start_logits` and
   * `teacher_end_logits` for QA) and the loss is α·T²·KL(teacher ‖ student) + (1 − α)·label loss.
   */
  readonly distillation?: DistillationSpec;
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
export function labelInputsOf(head: TrainableHead, maskedPositionsOnly = false, pretraining: PretrainingHeads = {}): string[] {
  if (head === 'question-answering') return ['start_positions', 'end_positions'];
  if (head !== 'masked-lm') return ['labels'];
  return [
    ...(maskedPositionsOnly ? [MASKED_POSITIONS] : []),
    'labels',
    ...(pretraining.spanBoundary ? [SPAN_LEFT, SPAN_RIGHT, SPAN_OFFSET] : []),
    ...(pretraining.sentence ? [SENTENCE_LABEL[pretraining.sentence]] : []),
  ];
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
  const heads = checkPretrainingHeads(spec, sparse);
  const maskedPositions = sparse ? g.input(MASKED_POSITIONS, 'int64', [MASKED]) : undefined;
  const weights = new WeightSet(spec.weights);
  const built = buildEncoder(g, spec.config, weights, { head: spec.head, training, maskedPositions });
  const numLabels = Object.keys(spec.config.id2label).length;
  const labelInputs = labelInputsOf(spec.head, sparse, heads);
  const headOutputs: Record<string, Value> = { ...built.outputs };
  const distill = training ? spec.distillation : undefined;
  // A distilled batch may hold unlabelled transfer rows (label −100), taught by the teacher alone.
  const unlabelledRows = distill ? { zeroWhenEmpty: true } : undefined;
  const loss = g.scope('loss', () => {
    switch (spec.head) {
      case 'sequence-classification': {
        if (numLabels === 1) return meanSquaredError(g, built.outputs.logits, g.input('labels', 'float32', [BATCH]));
        const labels = g.input('labels', 'int64', [BATCH]);
        return unlabelledRows
          ? crossEntropy(g, built.outputs.logits, labels, IGNORE_INDEX, unlabelledRows)
          : crossEntropy(g, built.outputs.logits, labels);
      }
      case 'token-classification':
        return tokenCrossEntropy(g, built.outputs.logits, g.input('labels', 'int64', [BATCH, SEQUENCE]), numLabels, unlabelledRows);
      case 'masked-lm': {
        if (!sparse)
          return addPretrainingLosses(
            g,
            spec,
            built,
            tokenCrossEntropy(g, built.outputs.logits, g.input('labels', 'int64', [BATCH, SEQUENCE]), spec.config.vocab_size),
            undefined,
            weights,
            headOutputs,
          );
        const labels = g.input('labels', 'int64', [MASKED]);
        return addPretrainingLosses(g, spec, built, crossEntropy(g, built.outputs.logits, labels), labels, weights, headOutputs);
      }
      case 'question-answering': {
        const start = g.input('start_positions', 'int64', [BATCH]);
        const end = g.input('end_positions', 'int64', [BATCH]);
        return spanLoss(g, built.outputs.start_logits, built.outputs.end_logits, start, end);
      }
    }
  });
  const total = distill ? distilled(g, spec.head, built.outputs, loss, distill, numLabels) : loss;
  const batchInputs = [
    ...[built.inputs.inputIds, built.inputs.attentionMask, built.inputs.tokenTypeIds].flatMap((v) => (v ? [v.name] : [])),
    ...labelInputs,
    ...(distill ? teacherInputsOf(spec.head) : []),
  ];
  const trainable = g.parameters.filter((p) => p.trainable).map((p) => p.value);
  if (trainable.length === 0) throw new EngineError('NOTHING_TO_TRAIN', 'no parameter of the model is trainable');
  const labelDtype = spec.head === 'sequence-classification' && numLabels === 1 ? 'float32' : 'int64';
  return { g, loss: total, headOutputs, batchInputs, trainable, labelDtype };
}

function checkPretrainingHeads(spec: TrainingGraphSpec, sparse: boolean): PretrainingHeads {
  const heads = spec.pretraining ?? {};
  if ((heads.sentence || heads.spanBoundary) && spec.head !== 'masked-lm')
    throw new EngineError('UNSUPPORTED_HEAD', 'pre-training heads are trained beside a masked-LM head');
  if (heads.spanBoundary && !sparse)
    throw new EngineError('UNSUPPORTED_HEAD', 'the span boundary objective scores the masked positions only (maskedPositionsOnly)');
  return heads;
}

/** The MLM loss plus the sentence and span-boundary losses the spec asks for (weight 1 each). */
function addPretrainingLosses(
  g: GraphBuilder,
  spec: TrainingGraphSpec,
  built: ReturnType<typeof buildEncoder>,
  mlmLoss: Value,
  maskedLabels: Value | undefined,
  weights: WeightSet,
  headOutputs: Record<string, Value>,
): Value {
  const heads = spec.pretraining ?? {};
  let loss = mlmLoss;
  if (heads.spanBoundary && maskedLabels) {
    const logits = spanBoundaryLogits(g, spec.config, weights, built.lastHiddenState, built.named('embeddings.word_embeddings.weight'), {
      left: g.input(SPAN_LEFT, 'int64', [MASKED]),
      right: g.input(SPAN_RIGHT, 'int64', [MASKED]),
      offset: g.input(SPAN_OFFSET, 'int64', [MASKED]),
      maxSpanLength: heads.spanBoundary.maxSpanLength,
    });
    headOutputs[SBO_LOGITS] = logits;
    loss = g.op.Add(loss, crossEntropy(g, logits, maskedLabels));
  }
  if (heads.sentence) {
    const logits = sentenceLogits(g, spec.config, weights, built.lastHiddenState, built.named, heads.sentence);
    headOutputs[SENTENCE_LOGITS[heads.sentence]] = logits;
    loss = g.op.Add(loss, crossEntropy(g, logits, g.input(SENTENCE_LABEL[heads.sentence], 'int64', [BATCH])));
  }
  return loss;
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
