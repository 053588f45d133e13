/**
 * The one adapter that owns ONNX Runtime inference sessions. Everything above it speaks in
 * token-id sequences and float32 views; ONNX Runtime types never leave this file.
 *
 * Feeds are decided from the graph: `input_ids` and `attention_mask` are required,
 * `token_type_ids` is fed only when the graph declares it (DistilBERT and RoBERTa exports do not),
 * and any other required input is refused at load time with a clear error.
 */
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../errors/domain-error';

/** `tensorrt` runs on the CUDA device: TensorRT first, CUDA for what it does not take, CPU last. */
export type Device = 'cpu' | 'cuda' | 'tensorrt';

export interface SessionLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface OnnxSessionOptions {
  device: Device;
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Let intra-op threads spin between runs (ONNX Runtime's default); undefined keeps the default. */
  threadSpinning?: boolean;
  logger?: SessionLogger;
  /** Name used in log lines and errors. */
  label?: string;
  /** What the installation offers; the real one unless a test injects another. */
  probe?: ProviderProbe;
}

/** One unpadded sequence; the session pads a batch to its longest member. */
export interface EncodedSequence {
  ids: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  typeIds?: ArrayLike<number>;
}

/** A sequence's slice of one output: the batch axis removed, and for token-level outputs the
 *  sequence axis cut to the sequence's own length. `data` is a view into the batch output. */
export interface OutputSlice {
  data: Float32Array;
  dims: number[];
}

export type SequenceOutputs = Record<string, OutputSlice>;

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

type GpuProvider = 'cuda' | 'tensorrt';

/** What this onnxruntime-node installation offers; injectable so the selection logic is testable anywhere. */
export interface ProviderProbe {
  /** Execution providers the build lists (`ort.listSupportedBackends()`). */
  listed(): string[];
  /** The provider's shared library path when it is missing, undefined when installed (or not checkable). */
  missingLibrary(provider: GpuProvider): string | undefined;
}

/**
 * onnxruntime-node lists "cuda" and "tensorrt" on Linux x64 even when their provider libraries
 * were never downloaded (`bundled: false`); they sit beside the native binding when installed.
 */
export const installedProviders: ProviderProbe = {
  listed: () => ort.listSupportedBackends().map((b) => b.name),
  missingLibrary(provider) {
    if (process.platform !== 'linux') return undefined;
    try {
      const root = dirname(require.resolve('onnxruntime-node/package.json'));
      const dir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
      const library = join(dir, `libonnxruntime_providers_${provider}.so`);
      return existsSync(dir) && !existsSync(library) ? library : undefined;
    } catch {
      return undefined;
    }
  },
};

const INSTALL_HINT: Record<GpuProvider, string> = {
  cuda: 'install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12',
  tensorrt: 'install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a host with TensorRT 10 (libnvinfer)',
};

function requireProvider(device: Device, provider: GpuProvider, probe: ProviderProbe): void {
  const listed = probe.listed();
  if (!listed.includes(provider)) {
    throw new ModelLoadError(
      `device "${device}" was requested but this onnxruntime-node build has no ${provider} execution provider (available: ${listed.join(', ')}); ${INSTALL_HINT[provider]} or use device "cpu"`,
    );
  }
  const missing = probe.missingLibrary(provider);
  if (missing) {
    throw new ModelLoadError(
      `device "${device}" was requested but the ${provider} execution provider is not installed (${missing} is missing); ${INSTALL_HINT[provider]} or use device "cpu"`,
    );
  }
}

/** Which execution providers to ask for, refusing a GPU device whose provider this installation lacks. */
export function executionProvidersFor(device: Device, probe: ProviderProbe = installedProviders): string[] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'tensorrt') requireProvider(device, 'tensorrt', probe);
  requireProvider(device, 'cuda', probe);
  return device === 'tensorrt' ? ['tensorrt', 'cuda', 'cpu'] : ['cuda', 'cpu'];
}

/**
 * Providers for an inference session. On `cuda`, TensorRT goes first on its own when the build
 * lists it and its provider library is installed (`automatic`); if TensorRT then fails to start
 * (its libnvinfer runtime is a separate install), the session falls back to CUDA with a warning.
 */
export function inferenceProvidersFor(
  device: Device,
  probe: ProviderProbe = installedProviders,
): { providers: string[]; automatic: boolean } {
  const providers = executionProvidersFor(device, probe);
  if (device === 'cuda' && probe.listed().includes('tensorrt') && probe.missingLibrary('tensorrt') === undefined) {
    return { providers: ['tensorrt', ...providers], automatic: true };
  }
  return { providers, automatic: false };
}

/** ONNX Runtime's options for an inference session on `executionProviders`. */
export function inferenceSessionOptions(
  executionProviders: string[],
  opts: Pick<OnnxSessionOptions, 'intraOpThreads' | 'interOpThreads' | 'threadSpinning'>,
): ort.InferenceSession.SessionOptions {
  const o: ort.InferenceSession.SessionOptions = { executionProviders, graphOptimizationLevel: 'all' };
  if (opts.intraOpThreads !== undefined) o.intraOpNumThreads = opts.intraOpThreads;
  if (opts.interOpThreads !== undefined) o.interOpNumThreads = opts.interOpThreads;
  if (opts.threadSpinning !== undefined) {
    // Session config entries (onnxruntime_session_options_config_keys.h) travel in `extra`.
    const allowSpinning = opts.threadSpinning ? '1' : '0';
    o.extra = { session: { intra_op: { allow_spinning: allowSpinning }, inter_op: { allow_spinning: allowSpinning } } };
  }
  return o;
}

export class OnnxModelSession {
  private released = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly file: string,
    readonly provider: string,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    /** Outputs whose second axis is the sequence axis, from the graph's declared shapes. */
    readonly tokenLevelOutputs: ReadonlySet<string>,
  ) {}

  /**
   * Opens a graph: an ONNX file, or graph bytes built in memory (`file` then names where they came
   * from, for logs and errors).
   */
  static async load(graph: string | { bytes: Uint8Array; file: string }, opts: OnnxSessionOptions): Promise<OnnxModelSession> {
    const file = typeof graph === 'string' ? graph : graph.file;
    const create = (o: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> =>
      typeof graph === 'string' ? ort.InferenceSession.create(graph, o) : ort.InferenceSession.create(graph.bytes, o);
    const chosen = inferenceProvidersFor(opts.device, opts.probe);
    let providers = chosen.providers;
    const sessionOptions = (executionProviders: string[]) => inferenceSessionOptions(executionProviders, opts);
    let session: ort.InferenceSession;
    try {
      try {
        session = await create(sessionOptions(providers));
      } catch (e) {
        if (!chosen.automatic) throw e;
        const reason = e instanceof Error ? e.message : String(e);
        opts.logger?.warn({ model: opts.label, file, err: reason }, 'TensorRT is installed but failed to start; using CUDA');
        providers = providers.filter((p) => p !== 'tensorrt');
        session = await create(sessionOptions(providers));
      }
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const hint =
        opts.device === 'tensorrt'
          ? ' (the TensorRT provider failed to start: check TensorRT 10 (libnvinfer), the CUDA 12 runtime and cuDNN 9)'
          : opts.device === 'cuda'
            ? ' (the CUDA provider failed to start: check the CUDA 12 runtime and cuDNN 9)'
            : '';
      throw new ModelLoadError(`cannot load ${file}${hint}: ${reason}`, { file });
    }
    const inputNames = session.inputNames;
    for (const required of ['input_ids', 'attention_mask']) {
      if (!inputNames.includes(required)) {
        await session.release();
        throw new ModelLoadError(`${file}: the graph has no "${required}" input (inputs: ${inputNames.join(', ')})`, { file });
      }
    }
    const unknown = inputNames.filter((n) => !KNOWN_INPUTS.has(n));
    if (unknown.length > 0) {
      await session.release();
      throw new ModelLoadError(`${file}: the graph needs inputs this server cannot feed: ${unknown.join(', ')}`, { file });
    }
    const tokenLevel = new Set<string>();
    for (const meta of session.outputMetadata) {
      if (meta.isTensor && meta.shape.length >= 2 && typeof meta.shape[1] !== 'number') tokenLevel.add(meta.name);
    }
    const provider = providers[0];
    opts.logger?.info(
      { model: opts.label, file, provider, providers, inputs: inputNames, outputs: session.outputNames },
      `onnxruntime session on ${provider}` +
        (providers.length > 1 ? ` (falling back to ${providers.slice(1).join(', ')} for unsupported nodes)` : ''),
    );
    return new OnnxModelSession(session, file, provider, inputNames, session.outputNames, tokenLevel);
  }

  hasInput(name: string): boolean {
    return this.inputNames.includes(name);
  }

  /**
   * Pads the sequences on the right to the longest one, runs the graph once, and returns each
   * sequence's own slice of every output.
   */
  async runBatch(sequences: EncodedSequence[], outputs: readonly string[] = this.outputNames): Promise<SequenceOutputs[]> {
    if (this.released) throw new Error(`session for ${this.file} was released`);
    if (sequences.length === 0) return [];
    const batch = sequences.length;
    const length = Math.max(...sequences.map((s) => s.ids.length));
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64Tensor(sequences, (s) => s.ids, batch, length),
      attention_mask: int64Tensor(sequences, (s) => s.attentionMask, batch, length),
    };
    if (this.hasInput('token_type_ids')) {
      feeds.token_type_ids = int64Tensor(sequences, (s) => s.typeIds, batch, length);
    }
    const results = await this.session.run(feeds, outputs as string[]);
    const perSequence: SequenceOutputs[] = sequences.map(() => ({}));
    for (const name of outputs) {
      const tensor = results[name];
      if (!tensor) throw new Error(`${this.file}: output "${name}" missing from the run`);
      if (tensor.type !== 'float32') throw new Error(`${this.file}: output "${name}" is ${tensor.type}, expected float32`);
      const data = tensor.data as Float32Array;
      const dims = tensor.dims.map(Number);
      const rowSize = data.length / batch;
      const tokenLevel = this.tokenLevelOutputs.has(name) && dims[1] === length;
      const perToken = tokenLevel ? rowSize / length : 0;
      sequences.forEach((s, b) => {
        const offset = b * rowSize;
        if (tokenLevel) {
          const n = s.ids.length;
          perSequence[b][name] = { data: data.subarray(offset, offset + n * perToken), dims: [n, ...dims.slice(2)] };
        } else {
          perSequence[b][name] = { data: data.subarray(offset, offset + rowSize), dims: dims.slice(1) };
        }
      });
    }
    return perSequence;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

const littleEndian = endianness() === 'LE';

/**
 * A padded [batch, length] int64 tensor. The values are small non-negative ints, so they are
 * written as 32-bit halves into the BigInt64Array's buffer: no BigInt per element.
 */
function int64Tensor(
  sequences: EncodedSequence[],
  pick: (s: EncodedSequence) => ArrayLike<number> | undefined,
  batch: number,
  length: number,
): ort.Tensor {
  const values = new BigInt64Array(batch * length);
  const halves = new Int32Array(values.buffer);
  const lo = littleEndian ? 0 : 1;
  sequences.forEach((s, b) => {
    const row = pick(s);
    if (!row) return; // absent token types are all zero, which the buffer already holds
    const base = b * length;
    for (let t = 0; t < row.length; t++) {
      const v = row[t];
      halves[2 * (base + t) + lo] = v;
      halves[2 * (base + t) + (1 - lo)] = v < 0 ? -1 : 0;
    }
  });
  return new ort.Tensor('int64', values, [batch, length]);
}
