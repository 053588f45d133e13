/**
 * The serving core, as the HTTP layer sees it: the model repository (model-repository.ts) and,
 * over it, the inference facade. Each inference call checks its request (the task pipeline's
 * `check`: parameters and limits), holds the serving version of the model (the task's default when
 * unnamed), makes sure that model serves the task, runs the task pipeline (src/tasks) with its
 * stages timed, and releases the version. Plain TypeScript: the HTTP layer constructs it with
 * `ServingCore.start(...)` and maps its domain errors to statuses.
 */
import { ClientClosedError, DomainError, InvalidInputError, WrongTaskError } from '../errors/domain-error';
import type { EncodedSequence, SequenceOutputs } from '../runtime/onnx-session';
import { embeddingsPipeline } from '../tasks/feature-extraction';
import { fillMaskPipeline } from '../tasks/fill-mask';
import { LimitsConfig, RequestLimits } from '../tasks/limits';
import { nliPipeline } from '../tasks/nli';
import type { ModelRequirement, Stages, TaskPipeline } from '../tasks/pipeline';
import { qaPipeline } from '../tasks/question-answering';
import { classifyPipeline } from '../tasks/text-classification';
import { nerPipeline } from '../tasks/token-classification';
import { zeroShotPipeline } from '../tasks/zero-shot';
import type { TokenizedInput } from '../tokenizer/tokenizer';
import type {
  Answer,
  ClassifyItem,
  ClassifyParams,
  EmbeddingItem,
  EmbeddingParams,
  Entity,
  FillMaskCandidate,
  FillMaskParams,
  InferenceApi,
  ModelInfo,
  ModelRepositoryApi,
  ModelVersionInfo,
  NerParams,
  NliPair,
  QaInput,
  QaParams,
  RequestOptions,
  Served,
  TextInput,
  ZeroShotItem,
  ZeroShotParams,
} from './contracts';
import type { LoadedVersion } from './loaded-version';
import { DefaultableTask, ModelRepository, ModelRepositoryOptions } from './model-repository';

export type { DefaultableTask } from './model-repository';

export interface ServingCoreOptions extends ModelRepositoryOptions {
  /** Checked by every task pipeline, for every route (../tasks/limits.ts). */
  limits: LimitsConfig;
}

export class ServingCore implements InferenceApi, ModelRepositoryApi {
  private constructor(
    /** The repository itself, for what the contract does not cover (`converge`). */
    readonly models: ModelRepository,
    private readonly limits: RequestLimits,
  ) {}

  /** Loads and warms every model (a failure marks that model failed; the rest serve), then ready. */
  static async start(opts: ServingCoreOptions): Promise<ServingCore> {
    return new ServingCore(await ModelRepository.start(opts), new RequestLimits(opts.limits));
  }

  // ---- the repository, delegated ----------------------------------------------------------------

  isReady(): boolean {
    return this.models.isReady();
  }

  inFlight(): number {
    return this.models.inFlight();
  }

  close(): Promise<void> {
    return this.models.close();
  }

  list(): ModelInfo[] {
    return this.models.list();
  }

  get(name: string): ModelInfo {
    return this.models.get(name);
  }

  versionDir(name: string, version: number): string {
    return this.models.versionDir(name, version);
  }

  defaultModelFor(task: DefaultableTask): string | undefined {
    return this.models.defaultModelFor(task);
  }

  importVersion(name: string, sourceDir: string): Promise<ModelVersionInfo> {
    return this.models.importVersion(name, sourceDir);
  }

  activate(name: string, version: number): Promise<ModelInfo> {
    return this.models.activate(name, version);
  }

  rollback(name: string): Promise<ModelInfo> {
    return this.models.rollback(name);
  }

  unload(name: string): Promise<ModelInfo> {
    return this.models.unload(name);
  }

  load(name: string): Promise<ModelInfo> {
    return this.models.load(name);
  }

  // ---- inference: each task is one pipeline (src/tasks) ------------------------------------------

  classify(
    model: string | undefined,
    inputs: TextInput[],
    params: ClassifyParams,
    opts: RequestOptions = {},
  ): Promise<Served<ClassifyItem[]>> {
    return this.serve(classifyPipeline, model, inputs, params, opts);
  }

  nli(model: string | undefined, pairs: NliPair[], opts: RequestOptions = {}): Promise<Served<ClassifyItem[]>> {
    return this.serve(nliPipeline, model, pairs, {}, opts);
  }

  zeroShot(
    model: string | undefined,
    sequences: string[],
    params: ZeroShotParams,
    opts: RequestOptions = {},
  ): Promise<Served<ZeroShotItem[]>> {
    return this.serve(zeroShotPipeline, model, sequences, params, opts);
  }

  ner(model: string | undefined, texts: string[], params: NerParams, opts: RequestOptions = {}): Promise<Served<Entity[][]>> {
    return this.serve(nerPipeline, model, texts, params, opts);
  }

  qa(model: string | undefined, inputs: QaInput[], params: QaParams, opts: RequestOptions = {}): Promise<Served<Answer[][]>> {
    return this.serve(qaPipeline, model, inputs, params, opts);
  }

  embeddings(
    model: string | undefined,
    texts: string[],
    params: EmbeddingParams,
    opts: RequestOptions = {},
  ): Promise<Served<EmbeddingItem[]>> {
    return this.serve(embeddingsPipeline, model, texts, params, opts);
  }

  fillMask(
    model: string | undefined,
    texts: string[],
    params: FillMaskParams,
    opts: RequestOptions = {},
  ): Promise<Served<FillMaskCandidate[][]>> {
    return this.serve(fillMaskPipeline, model, texts, params, opts);
  }

  /** Checks the request, holds the model's serving version, checks its task, runs the pipeline on it, times it. */
  private async serve<I, P, R>(
    pipeline: TaskPipeline<I, P, R>,
    model: string | undefined,
    inputs: I[],
    params: P,
    opts: RequestOptions,
  ): Promise<Served<R[]>> {
    pipeline.check(inputs, params, this.limits);
    const started = performance.now();
    const lease = this.models.acquire(model, pipeline.requires);
    const v = lease.version;
    try {
      requireTask(v, pipeline.requires);
      if (opts.signal?.aborted) throw new ClientClosedError();
      const clock = new StageClock(v, opts.signal);
      const result = await pipeline.run(v, clock, inputs, params);
      const totalMs = performance.now() - started;
      return {
        model: v.name,
        version: v.version,
        timings: { tokenizationMs: clock.tokenizationMs, queueMs: clock.queueMs, inferenceMs: clock.inferenceMs, totalMs },
        result,
      };
    } catch (e) {
      if (e instanceof DomainError) throw e;
      if (e instanceof RangeError) throw new InvalidInputError(e.message);
      throw e;
    } finally {
      lease.release();
    }
  }
}

/** WRONG_TASK unless `v` serves what the pipeline requires. */
function requireTask(v: LoadedVersion, want: ModelRequirement): void {
  const ok = want === 'nli' ? v.descriptor.nli !== null : want === 'feature-extraction' ? v.hasHiddenStates : v.task === want;
  if (ok) return;
  const wanted =
    want === 'nli'
      ? 'an NLI model (labels with entailment and contradiction)'
      : want === 'feature-extraction'
        ? `a graph with a last_hidden_state output (a task head's logits are not embeddings)`
        : `a ${want} model`;
  throw new WrongTaskError(v.name, v.descriptor.nli ? 'NLI text-classification' : v.task, wanted);
}

/** Collects a request's stage timings while it tokenizes and runs. */
class StageClock implements Stages {
  tokenizationMs = 0;
  queueMs = 0;
  inferenceMs = 0;

  constructor(
    private readonly version: LoadedVersion,
    private readonly signal?: AbortSignal,
  ) {}

  async tokenize<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.tokenizationMs += performance.now() - t0;
    }
  }

  async run(sequences: TokenizedInput[]): Promise<SequenceOutputs[]> {
    const feeds: EncodedSequence[] = sequences.map((s) => ({ ids: s.ids, attentionMask: s.attentionMask, typeIds: s.typeIds }));
    const { results, queueMs, inferenceMs } = await this.version.run(feeds, this.signal);
    this.queueMs += queueMs;
    this.inferenceMs += inferenceMs;
    return results;
  }
}
