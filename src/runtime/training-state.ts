/**
 * Trainable parameters, AdamW moments and the step count of a training session, in buffers
 * allocated once. With the optimizer in the graph each tensor has two buffers (one fed, the other
 * receiving the graph's `.next` output, swapped after the step); with the optimizer on the host the
 * tensors live in `HostAdamW`'s memory, one buffer each plus the gradient, updated in place.
 */
import type { TensorF32 } from '../engine/formats/safetensors';
import { HostAdamW, OptimizerPlacement } from '../engine/training';

interface Slot {
  readonly shape: readonly number[];
  /** [current] with the optimizer on the host; [current, spare] with it in the graph. */
  readonly param: Float32Array[];
  readonly expAvg: Float32Array[];
  readonly expAvgSq: Float32Array[];
  /** Where the graph writes the gradient (host placement only). */
  readonly grad?: Float32Array;
}

/** Trainable parameters, AdamW moments and the step count, in buffers allocated once. */
export class TrainingState {
  /** Optimizer steps taken so far (the next step feeds `step + 1`). */
  step = 0;
  readonly names: string[];
  /** @internal The in-place optimizer (host placement only). */
  readonly host: HostAdamW | undefined;
  private readonly slots = new Map<string, Slot>();

  constructor(initial: ReadonlyMap<string, TensorF32>, names: readonly string[], placement: OptimizerPlacement = 'graph') {
    this.names = [...names];
    const tensor = (name: string): TensorF32 => {
      const t = initial.get(name);
      if (!t) throw new Error(`training state: no initial value for "${name}"`);
      return t;
    };
    const host = placement === 'host' ? new HostAdamW(names.map((name) => ({ name, size: tensor(name).data.length }))) : undefined;
    this.host = host;
    for (const name of names) {
      const t = tensor(name);
      const n = t.data.length;
      if (host) {
        host.param(name).set(t.data);
        this.slots.set(name, {
          shape: [...t.shape],
          param: [host.param(name)],
          expAvg: [host.expAvg(name)],
          expAvgSq: [host.expAvgSq(name)],
          grad: host.grad(name),
        });
      } else {
        this.slots.set(name, {
          shape: [...t.shape],
          param: [Float32Array.from(t.data), new Float32Array(n)],
          expAvg: [new Float32Array(n), new Float32Array(n)],
          expAvgSq: [new Float32Array(n), new Float32Array(n)],
        });
      }
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

  /** @internal Where the gradient graph writes `name`'s gradient (host placement). */
  grad(name: string): Float32Array {
    const g = this.slot(name).grad;
    if (!g) throw new Error('training state: gradients are kept only with the optimizer on the host');
    return g;
  }

  /** @internal The buffers the next step writes into (graph placement). */
  spare(name: string): { param: Float32Array; expAvg: Float32Array; expAvgSq: Float32Array } {
    const s = this.slot(name);
    if (s.param.length < 2) throw new Error('training state: spare buffers exist only with the optimizer in the graph');
    return { param: s.param[1], expAvg: s.expAvg[1], expAvgSq: s.expAvgSq[1] };
  }

  /** @internal Makes the spare buffers current after a step (graph placement). */
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
