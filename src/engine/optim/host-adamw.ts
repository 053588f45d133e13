/**
 * AdamW applied in place on the host, for training graphs that output gradients only
 * (`optimizerPlacement: 'host'`). Parameters, both moments and the gradients live in WebAssembly
 * memories allocated once; the session feeds the parameter views to ONNX Runtime, has it write the
 * gradients into the gradient views, and this class updates parameters and moments where they lie.
 * Nothing of size "parameters" is allocated or copied per step.
 *
 * The update is the SIMD kernel of `adamw-wasm.ts` on the calling thread: it streams 28 bytes per
 * parameter and is bound by memory bandwidth (BERT-base's 110 M parameters: ~0.1 s on this
 * project's 2-core machine, where two worker threads measured no faster).
 */
import { EngineError } from '../errors';
import { OptimizerSpec } from './adamw';
import { AdamWKernel, AdamWKernelScalars, adamWModuleBytes, kernelArguments } from './adamw-wasm';

/**
 * The part of Node's WebAssembly global used here. TypeScript declares WebAssembly only in its DOM
 * library, which a server project does not load.
 */
interface WasmModule {
  readonly __wasmModule?: never;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
};

const f32 = Math.fround;
const PAGE = 65536;
/** Floats per alignment unit: every tensor starts on a 64-byte boundary and is padded to it. */
const ALIGN = 16;
/**
 * Bytes of one memory (four regions of equal size) that tensors are packed into. A tensor too large
 * for it gets a memory of its own, up to the wasm32 limit of 65,535 pages (the kernel's addresses
 * are unsigned, so offsets past 2 GiB are fine).
 */
const BANK_BYTES = 2 ** 30;
const MAX_MEMORY_BYTES = 2 ** 32 - PAGE;

export interface HostTensor {
  readonly name: string;
  readonly size: number;
}

interface Placed {
  readonly bank: number;
  /** Byte offset of the tensor inside each region of its bank. */
  readonly offset: number;
  readonly size: number;
  readonly paddedBytes: number;
}

interface Bank {
  readonly buffer: ArrayBuffer;
  /** Bytes per region: parameters at 0, exp_avg at 1×, exp_avg_sq at 2×, gradients at 3×. */
  readonly region: number;
  readonly kernel: AdamWKernel;
}

let compiled: WasmModule | undefined;
function adamWModule(): WasmModule {
  compiled ??= new WebAssembly.Module(adamWModuleBytes());
  return compiled;
}

/**
 * The scalars of torch's AdamW step as the training graph computes them (`emitAdamW`), in float32:
 * clip = min(1, max_norm / (norm + 1e-6)) (1 without clipping), stepSize = lr / (1 − β1ᵗ),
 * √(1 − β2ᵗ), and per weight decay the factor 1 − lr·wd.
 */
export function adamWScalars(
  spec: OptimizerSpec,
  learningRate: number,
  step: number,
  gradNorm: number,
): { scalars: (weightDecay: number) => AdamWKernelScalars } {
  const lr = f32(learningRate);
  const clip = spec.maxGradNorm > 0 ? f32(Math.min(1, f32(f32(spec.maxGradNorm) / f32(f32(gradNorm) + f32(1e-6))))) : 1;
  const beta1 = f32(spec.beta1);
  const beta2 = f32(spec.beta2);
  const stepSize = f32(lr / f32(1 - f32(Math.pow(beta1, step))));
  const bias2Sqrt = f32(Math.sqrt(f32(1 - f32(Math.pow(beta2, step)))));
  const common = { clip, beta1, oneMinusBeta1: f32(1 - spec.beta1), beta2, oneMinusBeta2: f32(1 - spec.beta2), bias2Sqrt, stepSize };
  return {
    scalars: (weightDecay) => ({
      ...common,
      decay: weightDecay !== 0 ? f32(1 - f32(lr * f32(weightDecay))) : 1,
      eps: f32(spec.eps),
    }),
  };
}

export class HostAdamW {
  private readonly placed = new Map<string, Placed>();
  private readonly banks: Bank[] = [];

  /** `bankBytes`: the packing size of one memory (tests set it small to cover several memories). */
  constructor(tensors: readonly HostTensor[], options: { bankBytes?: number } = {}) {
    const bankBytes = options.bankBytes ?? BANK_BYTES;
    const groups: HostTensor[][] = [[]];
    let used = 0;
    for (const t of tensors) {
      const bytes = paddedBytes(t.size);
      if (4 * bytes > MAX_MEMORY_BYTES)
        throw new EngineError('TENSOR_TOO_LARGE', `"${t.name}" (${t.size} values) is too large for host AdamW`);
      if (used > 0 && 4 * (used + bytes) > bankBytes) {
        groups.push([]);
        used = 0;
      }
      groups[groups.length - 1].push(t);
      used += bytes;
    }
    for (const group of groups) {
      const region = group.reduce((s, t) => s + paddedBytes(t.size), 0);
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((4 * region) / PAGE)) });
      const instance = new WebAssembly.Instance(adamWModule(), { env: { memory } });
      const bank = this.banks.length;
      this.banks.push({ buffer: memory.buffer, region, kernel: instance.exports.adamw as AdamWKernel });
      let offset = 0;
      for (const t of group) {
        this.placed.set(t.name, { bank, offset, size: t.size, paddedBytes: paddedBytes(t.size) });
        offset += paddedBytes(t.size);
      }
    }
  }

  /** The current value (fed to the graph and updated in place by `step`). */
  param(name: string): Float32Array {
    return this.view(name, 0);
  }

  expAvg(name: string): Float32Array {
    return this.view(name, 1);
  }

  expAvgSq(name: string): Float32Array {
    return this.view(name, 2);
  }

  /** Where the graph writes the gradient (unclipped). */
  grad(name: string): Float32Array {
    return this.view(name, 3);
  }

  /**
   * One AdamW step of every tensor from its gradient, in place. `step` is 1-based (the step being
   * taken), `gradNorm` the global norm of the unclipped gradients (for clipping).
   */
  step(options: {
    spec: OptimizerSpec;
    learningRate: number;
    step: number;
    gradNorm: number;
    weightDecay: (name: string) => number;
  }): void {
    const { scalars } = adamWScalars(options.spec, options.learningRate, options.step, options.gradNorm);
    const byDecay = new Map<number, number[]>();
    for (const [name, t] of this.placed) {
      const wd = options.weightDecay(name);
      let args = byDecay.get(wd);
      if (!args) byDecay.set(wd, (args = kernelArguments(scalars(wd))));
      const bank = this.banks[t.bank];
      const at = t.offset;
      bank.kernel(at, bank.region + at, 2 * bank.region + at, 3 * bank.region + at, t.paddedBytes, ...args);
    }
  }

  private view(name: string, region: number): Float32Array {
    const t = this.placed.get(name);
    if (!t) throw new EngineError('UNKNOWN_TENSOR', `host AdamW: "${name}" is not a trainable tensor`);
    const bank = this.banks[t.bank];
    return new Float32Array(bank.buffer, region * bank.region + t.offset, t.size);
  }
}

function paddedBytes(size: number): number {
  return Math.ceil(size / ALIGN) * ALIGN * 4;
}
