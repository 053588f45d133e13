import type { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';

/** AdamW settings; the learning rate is a graph input so that schedules need no rebuild. */
export interface OptimizerSpec {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay for every tensor except biases and LayerNorm parameters. */
  readonly weightDecay: number;
  /** Global-norm clipping threshold (torch.nn.utils.clip_grad_norm_); 0 disables clipping. */
  readonly maxGradNorm: number;
}

/** torch.optim.AdamW's defaults with HF Trainer's clipping default. */
export const DEFAULT_OPTIMIZER: OptimizerSpec = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };

/** HF Trainer's grouping: biases and LayerNorm parameters get no weight decay. */
export function isDecayExempt(name: string): boolean {
  return name.endsWith('bias') || /layer_?norm/i.test(name);
}

export function weightDecayOf(name: string, spec: OptimizerSpec): number {
  return isDecayExempt(name) ? 0 : spec.weightDecay;
}

export interface AdamWParameter {
  readonly name: string;
  readonly param: Value;
  readonly grad: Value;
  readonly expAvg: Value;
  readonly expAvgSq: Value;
  readonly weightDecay: number;
}

export interface AdamWUpdate {
  readonly name: string;
  readonly param: Value;
  readonly expAvg: Value;
  readonly expAvgSq: Value;
}

/** The global L2 norm of the gradients (torch.nn.utils.clip_grad_norm_'s `total_norm`). */
export function emitGradNorm(g: GraphBuilder, grads: readonly Value[]): Value {
  const squares = grads.map((grad) => g.op.ReduceSumSquare(grad, undefined, false));
  return g.op.Sqrt(squares.reduce((acc, s) => g.op.Add(acc, s)));
}

/**
 * Emits global-norm clipping and one torch.optim.AdamW step (torch ≥ 1.13 `_single_tensor_adamw`):
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps)
 * `step` is the int64 scalar t of the step being taken (1-based), `learningRate` a float scalar.
 * Returns the global L2 norm of the unclipped gradients and the updated tensors.
 */
export function emitAdamW(
  g: GraphBuilder,
  params: readonly AdamWParameter[],
  learningRate: Value,
  step: Value,
  spec: OptimizerSpec,
): { gradNorm: Value; updates: AdamWUpdate[] } {
  const c = (v: number): Value => g.constant(v, 'float32');
  return g.scope('optimizer', () => {
    const gradNorm = emitGradNorm(
      g,
      params.map((p) => p.grad),
    );
    // clip_grad_norm_: coefficient max_norm / (norm + 1e-6), clamped to at most 1.
    const clip = spec.maxGradNorm > 0 ? g.op.Min(c(1), g.op.Div(c(spec.maxGradNorm), g.op.Add(gradNorm, c(1e-6)))) : undefined;

    const t = g.op.Cast(step, 'float32');
    const stepSize = g.op.Div(learningRate, g.op.Sub(c(1), g.op.Pow(c(spec.beta1), t)));
    const bias2Sqrt = g.op.Sqrt(g.op.Sub(c(1), g.op.Pow(c(spec.beta2), t)));
    const decayFactors = new Map<number, Value>();
    const decayFactor = (wd: number): Value => {
      let v = decayFactors.get(wd);
      if (!v) {
        v = g.op.Sub(c(1), g.op.Mul(learningRate, c(wd)));
        decayFactors.set(wd, v);
      }
      return v;
    };

    const updates = params.map((p) => {
      const grad = clip ? g.op.Mul(p.grad, clip) : p.grad;
      const decayed = p.weightDecay !== 0 ? g.op.Mul(p.param, decayFactor(p.weightDecay)) : p.param;
      const expAvg = g.op.Add(g.op.Mul(p.expAvg, c(spec.beta1)), g.op.Mul(grad, c(1 - spec.beta1)));
      const expAvgSq = g.op.Add(g.op.Mul(p.expAvgSq, c(spec.beta2)), g.op.Mul(g.op.Mul(grad, grad), c(1 - spec.beta2)));
      const denom = g.op.Add(g.op.Div(g.op.Sqrt(expAvgSq), bias2Sqrt), c(spec.eps));
      const param = g.op.Sub(decayed, g.op.Mul(stepSize, g.op.Div(expAvg, denom)));
      return { name: p.name, param, expAvg, expAvgSq };
    });
    return { gradNorm, updates };
  });
}
