/**
 * One model version made ready to serve: its config read, its task decided, its tokenizer and
 * ONNX Runtime session loaded, a batcher of its own, and a warm-up run done. Requests hold it
 * (acquire/release) so that a retired version is released only after the last request on it ends.
 */
import { readFileSync } from 'node:fs';
import { readConfig, EncoderConfig, headOf, isNliConfig, labelsOf } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import type { GraphVariant } from '../engine/nn/graph-variant';
import { ModelLoadError } from '../errors/domain-error';
import { BatchedResult, BatchingOptions, DynamicBatcher } from '../runtime/batcher';
import { Device, EncodedSequence, OnnxModelSession, SequenceOutputs, SessionLogger } from '../runtime/onnx-session';
import { BerthTokenizer } from '../tokenizer/tokenizer';
import type { ServedTask, ServingObserver } from './contracts';
import { servedGraph } from './graph-cache';

export const HIDDEN_STATE_OUTPUT = 'last_hidden_state';

export interface ModelDescriptor {
  task: ServedTask;
  architecture: string;
  labels: string[];
  nli: { entailment: number; contradiction: number } | null;
  config: EncoderConfig;
}

/** The task a version serves, from its config (and, for a bare encoder, its graph's outputs). */
export function describeModel(config: EncoderConfig, configFile: string): Omit<ModelDescriptor, 'task'> & { task: ServedTask | 'base' } {
  const head = headOf(config, configFile);
  const task: ServedTask | 'base' =
    head === 'sequence-classification'
      ? 'text-classification'
      : head === 'token-classification'
        ? 'token-classification'
        : head === 'question-answering'
          ? 'question-answering'
          : head === 'masked-lm'
            ? 'fill-mask'
            : 'base';
  return {
    task,
    architecture: config.architectures[0] ?? config.model_type,
    labels: labelsOf(config),
    nli: head === 'sequence-classification' ? isNliConfig(config) : null,
    config,
  };
}

/** Outputs each task reads from the graph. */
const REQUIRED_OUTPUTS: Record<ServedTask, string[]> = {
  'text-classification': ['logits'],
  'token-classification': ['logits'],
  'question-answering': ['start_logits', 'end_logits'],
  'fill-mask': ['logits'],
  'feature-extraction': [HIDDEN_STATE_OUTPUT],
};

export interface LoadOptions {
  device: Device;
  intraOpThreads?: number;
  interOpThreads?: number;
  threadSpinning?: boolean;
  /** Fused ops and/or int8 weights (graph-cache.ts); default the plain float32 graph. */
  graph?: GraphVariant;
  /** Where prepared graph variants are kept between loads; in memory only when absent. */
  graphCacheDir?: string;
  batching: BatchingOptions;
  observer?: ServingObserver;
  logger?: SessionLogger;
}

export class LoadedVersion {
  private holders = 0;
  private retiring: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;

  private constructor(
    readonly name: string,
    readonly version: number,
    readonly dir: string,
    readonly descriptor: ModelDescriptor,
    readonly tokenizer: BerthTokenizer,
    readonly session: OnnxModelSession,
    readonly batcher: DynamicBatcher<EncodedSequence, SequenceOutputs>,
    readonly fineTunable: boolean,
    readonly loadMs: number,
    /** The tokenizer model's `continuing_subword_prefix` ("##" for WordPiece), which NER uses to tell sub-words. */
    readonly continuingSubwordPrefix: string | undefined,
    readonly wordStartMark: string | undefined,
  ) {}

  get task(): ServedTask {
    return this.descriptor.task;
  }

  get maxLength(): number {
    return this.tokenizer.maxLength;
  }

  /** The graph exposes encoder hidden states (needed for embeddings). */
  get hasHiddenStates(): boolean {
    return this.session.outputNames.includes(HIDDEN_STATE_OUTPUT);
  }

  static async load(name: string, version: number, dir: string, opts: LoadOptions): Promise<LoadedVersion> {
    const started = performance.now();
    let session: OnnxModelSession | undefined;
    try {
      const files = locateHfModelDir(dir, { servable: true });
      const config = readConfig(files.configFile);
      const described = describeModel(config, files.configFile);
      const tokenizer = await BerthTokenizer.fromModelDir(dir);
      const graph = servedGraph(dir, files, opts.graph, opts.graphCacheDir);
      session = await OnnxModelSession.load(graph, {
        device: opts.device,
        intraOpThreads: opts.intraOpThreads,
        interOpThreads: opts.interOpThreads,
        threadSpinning: opts.threadSpinning,
        logger: opts.logger,
        label: `${name}@${version}`,
      });
      let task: ServedTask;
      if (described.task === 'base') {
        if (!session.outputNames.includes(HIDDEN_STATE_OUTPUT)) {
          throw new ModelLoadError(
            `${name} v${version}: ${described.architecture} has no task head and its graph has no "${HIDDEN_STATE_OUTPUT}" output, so it can serve nothing`,
          );
        }
        task = 'feature-extraction';
      } else {
        task = described.task;
      }
      const missing = REQUIRED_OUTPUTS[task].filter((o) => !session!.outputNames.includes(o));
      if (missing.length > 0) {
        throw new ModelLoadError(
          `${name} v${version}: a ${task} graph must output ${missing.join(', ')} (it has ${session.outputNames.join(', ')})`,
        );
      }
      const descriptor: ModelDescriptor = { ...described, task };
      const observer = opts.observer;
      const s = session;
      const batcher = new DynamicBatcher<EncodedSequence, SequenceOutputs>(
        opts.batching,
        (items) =>
          s.runBatch(
            items,
            REQUIRED_OUTPUTS[task].concat(
              task !== 'feature-extraction' && s.outputNames.includes(HIDDEN_STATE_OUTPUT) ? [HIDDEN_STATE_OUTPUT] : [],
            ),
          ),
        (item) => item.ids.length,
        {
          batchRun: (st) => observer?.batchRun(name, version, st.size, st.tokens, st.paddedTokens, st.seconds),
          queued: (seconds) => observer?.queued(name, seconds),
          rejected: (reason) => observer?.rejected(name, reason),
        },
      );
      await warmUp(session, tokenizer, opts.batching, REQUIRED_OUTPUTS[task]);
      const loadMs = performance.now() - started;
      observer?.modelLoaded(name, version, loadMs / 1000);
      return new LoadedVersion(
        name,
        version,
        dir,
        descriptor,
        tokenizer,
        session,
        batcher,
        files.weightsFile !== undefined,
        loadMs,
        continuingSubwordPrefix(files.tokenizerFile),
        metaspaceMark(files.tokenizerFile),
      );
    } catch (e) {
      await session?.release().catch(() => undefined);
      if (e instanceof ModelLoadError) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      throw new ModelLoadError(`${name} v${version} failed to load: ${reason}`, { model: name, version });
    }
  }

  /** Hold this version for one request; call the returned function when the request ends. */
  acquire(): () => void {
    this.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      if (this.holders === 0) this.onIdle?.();
    };
  }

  get inFlight(): number {
    return this.holders;
  }

  run(sequences: EncodedSequence[], signal?: AbortSignal): Promise<BatchedResult<SequenceOutputs>> {
    return this.batcher.submit(sequences, signal);
  }

  /** Wait for every request holding this version, then release the session. Idempotent. */
  retire(): Promise<void> {
    this.retiring ??= (async () => {
      if (this.holders > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
      await this.batcher.close();
      await this.session.release();
    })();
    return this.retiring;
  }
}

function continuingSubwordPrefix(tokenizerFile: string): string | undefined {
  const parsed = JSON.parse(readFileSync(tokenizerFile, 'utf8')) as { model?: { continuing_subword_prefix?: unknown } };
  const prefix = parsed.model?.continuing_subword_prefix;
  return typeof prefix === 'string' && prefix.length > 0 ? prefix : undefined;
}

/** The Metaspace pre-tokenizer's replacement ("▁"), alone or inside a Sequence; undefined without one. */
function metaspaceMark(tokenizerFile: string): string | undefined {
  const parsed = JSON.parse(readFileSync(tokenizerFile, 'utf8')) as { pre_tokenizer?: unknown };
  const find = (node: unknown): string | undefined => {
    if (!node || typeof node !== 'object') return undefined;
    const { type, replacement, pretokenizers } = node as { type?: unknown; replacement?: unknown; pretokenizers?: unknown };
    if (type === 'Metaspace') return typeof replacement === 'string' && replacement.length > 0 ? replacement : '▁';
    return Array.isArray(pretokenizers) ? pretokenizers.map(find).find((m) => m !== undefined) : undefined;
  };
  return find(parsed.pre_tokenizer);
}

/**
 * One run at a representative shape before the version takes traffic, so the first request does
 * not pay for ONNX Runtime's lazy initialisation; its outputs are checked to be finite.
 */
async function warmUp(session: OnnxModelSession, tokenizer: BerthTokenizer, batching: BatchingOptions, outputs: string[]): Promise<void> {
  const length = Math.min(tokenizer.maxLength, 128);
  const size = Math.max(1, Math.min(batching.maxBatchSize, Math.floor(batching.maxBatchTokens / length), 8));
  const { cls, sep, unk } = tokenizer.specialIds;
  const ids = Array.from({ length }, (_, i) => (i === 0 ? cls : i === length - 1 ? sep : unk));
  const sequence: EncodedSequence = { ids, attentionMask: new Array(length).fill(1), typeIds: new Array(length).fill(0) };
  const results = await session.runBatch(new Array(size).fill(sequence), outputs);
  for (const name of outputs) {
    const data = results[0][name].data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new Error(`warm-up produced a non-finite value in "${name}"`);
    }
  }
}
