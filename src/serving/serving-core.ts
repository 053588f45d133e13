/**
 * The serving core: the model repository (versions on disk, the active pointer, hot-swap) and the
 * inference facade (tokenize → batch → run → post-process per task). Plain TypeScript: the HTTP
 * layer constructs it with `ServingCore.start(...)` and maps its domain errors to statuses.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import {
  ClientClosedError,
  DomainError,
  InputTooLongError,
  InvalidInputError,
  ModelLoadError,
  ModelNotFoundError,
  ModelNotReadyError,
  VersionNotFoundError,
  WrongTaskError,
} from '../errors/domain-error';
import type { BatchingOptions } from '../runtime/batcher';
import type { Device, EncodedSequence, SequenceOutputs } from '../runtime/onnx-session';
import { poolHiddenStates } from '../tasks/feature-extraction';
import { maskPositions, predictMask } from '../tasks/fill-mask';
import { postprocessQa } from '../tasks/question-answering';
import { ClassificationFunction, defaultFunctionToApply, rankLabels } from '../tasks/text-classification';
import { postprocessNer } from '../tasks/token-classification';
import { hypothesisFor, rankCandidates, zeroShotScores } from '../tasks/zero-shot';
import type { QaWindow, TokenizedInput } from '../tokenizer/tokenizer';
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
  ServedTask,
  ServingObserver,
  TextInput,
  ZeroShotItem,
  ZeroShotParams,
} from './contracts';
import { ModelUnloadedError, NoPreviousVersionError } from './errors';
import { describeModel, LoadedVersion } from './loaded-version';
import { assertModelName, isValidModelName, ModelStore } from './model-store';

export type DefaultableTask = ServedTask | 'nli' | 'zero-shot';

export interface ServingCoreOptions {
  /** Read-only embedded models (each subdirectory an HF layout directory). */
  modelsDir: string;
  /** Writable: versions and active pointers live under `<dataDir>/models`. */
  dataDir: string;
  device: Device;
  intraOpThreads?: number;
  interOpThreads?: number;
  batching: BatchingOptions;
  limits: { maxInputsPerRequest: number; maxCandidateLabels: number; maxTextChars: number };
  defaults?: Partial<Record<DefaultableTask, string>>;
  observer?: ServingObserver;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

interface ModelEntry {
  name: string;
  status: ModelInfo['status'];
  active?: LoadedVersion;
  /** The version serving (or meant to serve, while loading or failed). */
  activeVersion: number;
  error?: string;
  /** Activations of one model run one after another. */
  lock: Promise<unknown>;
}

const DEFAULT_TEMPLATE = 'This example is {}.';

/** Tasks each endpoint accepts. */
type Want = 'text-classification' | 'nli' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';

export class ServingCore implements InferenceApi, ModelRepositoryApi {
  private readonly store: ModelStore;
  private readonly entries = new Map<string, ModelEntry>();
  private ready = false;
  private closing = false;
  private requests = 0;
  private idleWaiters: Array<() => void> = [];

  private constructor(private readonly opts: ServingCoreOptions) {
    this.store = new ModelStore(opts.modelsDir, opts.dataDir, opts.logger);
  }

  /** Loads and warms every model (a failure marks that model failed; the rest serve), then ready. */
  static async start(opts: ServingCoreOptions): Promise<ServingCore> {
    const core = new ServingCore(opts);
    const names = core.store.modelNames();
    for (const name of names) {
      core.entries.set(name, { name, status: 'loading', activeVersion: core.store.activeOrDefault(name), lock: Promise.resolve() });
    }
    // One at a time: loads compete for the same cores, and logs stay readable.
    for (const name of names) await core.loadInitial(core.entries.get(name)!);
    core.ready = true;
    return core;
  }

  private async loadInitial(entry: ModelEntry): Promise<void> {
    try {
      const dir = this.store.versionDir(entry.name, entry.activeVersion);
      entry.active = await LoadedVersion.load(entry.name, entry.activeVersion, dir, this.loadOptions());
      entry.status = 'ready';
      this.opts.observer?.activeVersion(entry.name, entry.activeVersion);
      this.opts.logger?.info(
        { model: entry.name, version: entry.activeVersion, task: entry.active.task, ms: Math.round(entry.active.loadMs) },
        'model ready',
      );
    } catch (e) {
      entry.status = 'failed';
      entry.error = e instanceof Error ? e.message : String(e);
      this.opts.logger?.error({ model: entry.name, version: entry.activeVersion, err: entry.error }, 'model failed to load');
    }
  }

  private loadOptions() {
    return {
      device: this.opts.device,
      intraOpThreads: this.opts.intraOpThreads,
      interOpThreads: this.opts.interOpThreads,
      batching: this.opts.batching,
      observer: this.opts.observer,
      logger: this.opts.logger,
    };
  }

  isReady(): boolean {
    return this.ready && !this.closing;
  }

  /** Requests in progress, across every model and version. */
  inFlight(): number {
    return this.requests;
  }

  /** Refuses new requests, waits for those in flight, then releases every session. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.requests > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await Promise.all([...this.entries.values()].map((e) => e.active?.retire()));
  }

  // ---- repository -------------------------------------------------------------------------

  versionDir(name: string, version: number): string {
    return this.store.versionDir(name, version);
  }

  list(): ModelInfo[] {
    return [...this.entries.keys()].sort().map((name) => this.get(name));
  }

  get(name: string): ModelInfo {
    const entry = this.entry(name);
    const versions = this.store.versions(name);
    const active = entry.active;
    let descriptor = active?.descriptor;
    let maxLength = active?.maxLength ?? 0;
    if (!descriptor) {
      // Not loaded (failed): describe it from its config when that is readable.
      try {
        const files = locateHfModelDir(this.store.versionDir(name, entry.activeVersion));
        const config = readConfig(files.configFile);
        const d = describeModel(config, files.configFile);
        descriptor = { ...d, task: d.task === 'base' ? 'feature-extraction' : d.task };
        maxLength = config.max_position_embeddings;
      } catch {
        descriptor = undefined;
      }
    }
    return {
      name,
      task: descriptor?.task ?? 'feature-extraction',
      nli: descriptor?.nli != null,
      architecture: descriptor?.architecture ?? 'unknown',
      labels: descriptor?.labels ?? [],
      max_sequence_length: maxLength,
      versions,
      active_version: entry.activeVersion,
      // The hardware: TensorRT runs on the CUDA device.
      device: this.opts.device === 'cpu' ? 'cpu' : 'cuda',
      load_time_ms: active ? Math.round(active.loadMs) : 0,
      fine_tunable: active ? active.fineTunable : this.hasSafetensors(name, entry.activeVersion),
      status: entry.status,
    };
  }

  private hasSafetensors(name: string, version: number): boolean {
    try {
      return locateHfModelDir(this.store.versionDir(name, version)).safetensorsFile !== undefined;
    } catch {
      return false;
    }
  }

  defaultModelFor(task: DefaultableTask): string | undefined {
    const configured = this.opts.defaults?.[task];
    if (configured !== undefined) return configured;
    const ready = [...this.entries.values()].filter((e) => e.status === 'ready' && e.active).sort((a, b) => a.name.localeCompare(b.name));
    if (task === 'nli' || task === 'zero-shot') return ready.find((e) => e.active!.descriptor.nli)?.name;
    if (task === 'text-classification') {
      // Prefer a plain classifier; an NLI model classifies pairs, not texts.
      return (
        ready.find((e) => e.active!.task === task && !e.active!.descriptor.nli)?.name ??
        ready.find((e) => e.active!.task === task)?.name
      );
    }
    if (task === 'feature-extraction') return ready.find((e) => e.active!.hasHiddenStates)?.name;
    return ready.find((e) => e.active!.task === task)?.name;
  }

  async importVersion(name: string, sourceDir: string): Promise<ModelVersionInfo> {
    assertModelName(name);
    const entry = this.entries.get(name);
    const run = async () => {
      // Loaded and warmed in a scratch session first (not a load of a serving version, so not
      // observed): a version that cannot serve is never registered.
      const candidate = (this.store.versionNumbers(name).at(-1) ?? 0) + 1;
      const probe = await LoadedVersion.load(name, candidate, sourceDir, { ...this.loadOptions(), observer: undefined });
      await probe.retire();
      const info = this.store.importVersion(name, sourceDir, existsMetrics(sourceDir) ? 'fine-tuned' : 'imported');
      if (!this.entries.has(name)) {
        // A model new to the repository serves its first version at once.
        const fresh: ModelEntry = { name, status: 'loading', activeVersion: info.version, lock: Promise.resolve() };
        this.entries.set(name, fresh);
        await this.loadInitial(fresh);
      }
      return info;
    };
    if (!entry) return run();
    return this.serialize(entry, run);
  }

  async activate(name: string, version: number): Promise<ModelInfo> {
    const entry = this.entry(name);
    if (!this.store.versionNumbers(name).includes(version)) throw new VersionNotFoundError(name, version);
    return this.serialize(entry, async () => {
      if (entry.status === 'ready' && entry.active?.version === version) return this.get(name);
      await this.swapTo(entry, version, () => this.store.recordActivation(name, entry.activeVersion, version));
      return this.get(name);
    });
  }

  async rollback(name: string): Promise<ModelInfo> {
    const entry = this.entry(name);
    return this.serialize(entry, async () => {
      const target = this.store.previousVersion(name, entry.activeVersion);
      if (target === undefined) throw new NoPreviousVersionError(name, entry.activeVersion);
      await this.swapTo(entry, target, () => this.store.recordRollback(name, target));
      this.opts.observer?.lifecycle?.(name, 'rollback');
      this.opts.logger?.info({ model: name, version: target }, 'model rolled back');
      return this.get(name);
    });
  }

  async unload(name: string): Promise<ModelInfo> {
    const entry = this.entry(name);
    return this.serialize(entry, async () => {
      if (entry.status === 'unloaded') return this.get(name);
      const previous = entry.active;
      // From here new requests are refused; those already holding the version finish on it.
      entry.active = undefined;
      entry.status = 'unloaded';
      entry.error = undefined;
      if (previous) {
        const draining = previous.inFlight;
        await previous.retire();
        this.opts.logger?.info({ model: name, version: previous.version, drained: draining }, 'model unloaded');
      }
      this.opts.observer?.lifecycle?.(name, 'unload');
      return this.get(name);
    });
  }

  async load(name: string): Promise<ModelInfo> {
    const entry = this.entry(name);
    return this.serialize(entry, async () => {
      if (entry.status === 'ready' && entry.active) return this.get(name);
      const version = this.store.activeOrDefault(name);
      // The model keeps its status (unloaded or failed) until the new session is warm.
      const fresh = await LoadedVersion.load(name, version, this.store.versionDir(name, version), this.loadOptions());
      entry.active = fresh;
      entry.activeVersion = version;
      entry.status = 'ready';
      entry.error = undefined;
      this.opts.observer?.activeVersion(name, version);
      this.opts.observer?.lifecycle?.(name, 'load');
      this.opts.logger?.info({ model: name, version, ms: Math.round(fresh.loadMs) }, 'model loaded');
      return this.get(name);
    });
  }

  /**
   * Loads and warms `version` beside the version serving now (a failure leaves that one serving
   * and the pointer untouched), persists the change with `persist`, switches new requests to it,
   * then drains and releases the old session.
   */
  private async swapTo(entry: ModelEntry, version: number, persist: () => void): Promise<void> {
    const name = entry.name;
    const started = performance.now();
    const fresh = await LoadedVersion.load(name, version, this.store.versionDir(name, version), this.loadOptions());
    try {
      persist();
    } catch (e) {
      await fresh.retire();
      throw e;
    }
    const previous = entry.active;
    entry.active = fresh;
    entry.activeVersion = version;
    entry.status = 'ready';
    entry.error = undefined;
    this.opts.observer?.activeVersion(name, version);
    if (previous) {
      // New requests already see `fresh`; the old one finishes what it holds, then is released.
      await previous.retire();
      const seconds = (performance.now() - started) / 1000;
      this.opts.observer?.swapped(name, previous.version, version, seconds);
      this.opts.logger?.info({ model: name, from: previous.version, to: version, seconds }, 'model version swapped');
    }
  }

  private serialize<T>(entry: ModelEntry, fn: () => Promise<T>): Promise<T> {
    const next = entry.lock.then(fn, fn);
    entry.lock = next.catch(() => undefined);
    return next;
  }

  private entry(name: string): ModelEntry {
    const entry = isValidModelName(name) ? this.entries.get(name) : undefined;
    if (!entry) throw new ModelNotFoundError(name);
    return entry;
  }

  // ---- inference ------------------------------------------------------------------------------

  async classify(model: string | undefined, inputs: TextInput[], params: ClassifyParams, opts: RequestOptions = {}): Promise<Served<ClassifyItem[]>> {
    this.checkCount(inputs.length);
    const pairs = inputs.map((input, i) => {
      const text = typeof input === 'string' ? input : input.text;
      this.checkText(text, `inputs[${i}]`);
      const pair = typeof input === 'string' ? undefined : input.text_pair;
      if (pair !== undefined) this.checkText(pair, `inputs[${i}].text_pair`);
      return pair === undefined ? text : ([text, pair] as [string, string]);
    });
    if (params.top_k !== undefined && params.top_k !== null && (!Number.isInteger(params.top_k) || params.top_k < 1)) {
      throw new InvalidInputError(`top_k must be a positive integer or null for every label (got ${params.top_k})`);
    }
    return this.serve(model, 'text-classification', opts, async (v, t) => {
      const encoded = await t.tokenize(() => encodeTruncating(v, pairs, 'longest_first'));
      const outputs = await t.run(encoded.map((e) => e.input));
      const { config, labels } = v.descriptor;
      const fn: ClassificationFunction = params.function_to_apply ?? defaultFunctionToApply(labels.length, config.problem_type);
      const topK = params.top_k === undefined ? 1 : params.top_k;
      return outputs.map((o, i) => ({ labels: rankLabels(o.logits.data, labels, fn, topK), truncated: encoded[i].truncated }));
    });
  }

  async nli(model: string | undefined, pairs: NliPair[], opts: RequestOptions = {}): Promise<Served<ClassifyItem[]>> {
    this.checkCount(pairs.length);
    pairs.forEach((p, i) => {
      this.checkText(p.premise, `pairs[${i}].premise`);
      this.checkText(p.hypothesis, `pairs[${i}].hypothesis`);
    });
    return this.serve(model, 'nli', opts, async (v, t) => {
      const encoded = await t.tokenize(() =>
        encodeTruncating(
          v,
          pairs.map((p) => [p.premise, p.hypothesis] as [string, string]),
          'longest_first',
        ),
      );
      const outputs = await t.run(encoded.map((e) => e.input));
      return outputs.map((o, i) => ({ labels: rankLabels(o.logits.data, v.descriptor.labels, 'softmax', null), truncated: encoded[i].truncated }));
    });
  }

  async zeroShot(model: string | undefined, sequences: string[], params: ZeroShotParams, opts: RequestOptions = {}): Promise<Served<ZeroShotItem[]>> {
    this.checkCount(sequences.length);
    sequences.forEach((s, i) => this.checkText(s, `sequences[${i}]`));
    const labels = params.candidate_labels ?? [];
    if (labels.length === 0) throw new InvalidInputError('candidate_labels must hold at least one label');
    if (labels.length > this.opts.limits.maxCandidateLabels) {
      throw new InvalidInputError(`too many candidate labels: ${labels.length} (limit ${this.opts.limits.maxCandidateLabels})`, {
        limit: this.opts.limits.maxCandidateLabels,
        received: labels.length,
      });
    }
    labels.forEach((l, i) => {
      if (typeof l !== 'string' || l.trim() === '') throw new InvalidInputError(`candidate_labels[${i}] is empty`);
    });
    const template = params.hypothesis_template ?? DEFAULT_TEMPLATE;
    if (!template.includes('{}')) {
      throw new InvalidInputError(`hypothesis_template must contain "{}" where the label goes (got "${template}")`);
    }
    return this.serve(model, 'nli', opts, async (v, t) => {
      const nli = v.descriptor.nli!;
      const hypotheses = labels.map((l) => hypothesisFor(template, l));
      // Every (sequence, hypothesis) pair goes to the batcher in one submission.
      const pairInputs = sequences.flatMap((s) => hypotheses.map((h) => [s, h] as [string, string]));
      // As HF: only the sequence is cut, never the hypothesis.
      const encoded = await t.tokenize(() => encodeTruncating(v, pairInputs, 'only_first'));
      const outputs = await t.run(encoded.map((e) => e.input));
      return sequences.map((sequence, s) => {
        const rows = labels.map((_, c) => outputs[s * labels.length + c].logits.data);
        const scores = zeroShotScores(rows, nli, params.multi_label ?? false);
        const truncated = labels.some((_, c) => encoded[s * labels.length + c].truncated);
        return { sequence, ...rankCandidates(labels, scores), truncated };
      });
    });
  }

  async ner(model: string | undefined, texts: string[], params: NerParams, opts: RequestOptions = {}): Promise<Served<Entity[][]>> {
    this.checkCount(texts.length);
    texts.forEach((s, i) => this.checkText(s, `texts[${i}]`));
    return this.serve(model, 'token-classification', opts, async (v, t) => {
      const room = v.maxLength - v.tokenizer.numSpecialTokens(false);
      const stride = params.stride ?? Math.min(64, Math.floor(room / 4));
      if (!Number.isInteger(stride) || stride < 0 || stride >= room) {
        throw new InvalidInputError(`stride must be an integer from 0 to ${room - 1} for this model (got ${stride})`);
      }
      const encoded = await t.tokenize(() => v.tokenizer.encodeBatch(texts, { truncation: 'longest_first', stride, returnOverflowing: true }));
      const flat = encoded.flat();
      const outputs = await t.run(flat);
      const { labels } = v.descriptor;
      let k = 0;
      return texts.map((text, i) => {
        const windows = encoded[i].map((w, windowIndex) => ({
          tokens: w,
          logits: outputs[k++].logits.data,
          // Window w's first text token is token w·(room − stride) of the whole text.
          indexBase: windowIndex * (room - stride),
        }));
        return postprocessNer(text, windows, labels.length, {
          aggregation: params.aggregation_strategy ?? 'simple',
          ignoreLabels: params.ignore_labels ?? ['O'],
          labels,
          unkId: v.tokenizer.specialIds.unk,
          subwordPrefix: v.continuingSubwordPrefix,
        });
      });
    });
  }

  async qa(model: string | undefined, inputs: QaInput[], params: QaParams, opts: RequestOptions = {}): Promise<Served<Answer[][]>> {
    this.checkCount(inputs.length);
    inputs.forEach((q, i) => {
      this.checkText(q.question, `inputs[${i}].question`);
      this.checkText(q.context, `inputs[${i}].context`);
    });
    const topK = params.top_k ?? 1;
    const maxAnswerLen = params.max_answer_len ?? 15;
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidInputError(`top_k must be a positive integer (got ${topK})`);
    if (!Number.isInteger(maxAnswerLen) || maxAnswerLen < 1) {
      throw new InvalidInputError(`max_answer_len must be a positive integer (got ${maxAnswerLen})`);
    }
    for (const key of ['max_seq_len', 'doc_stride', 'max_question_len'] as const) {
      const value = params[key];
      if (value !== undefined && (!Number.isInteger(value) || value < (key === 'doc_stride' ? 0 : 1))) {
        throw new InvalidInputError(`${key} must be a ${key === 'doc_stride' ? 'non-negative' : 'positive'} integer (got ${value})`);
      }
    }
    return this.serve(model, 'question-answering', opts, async (v, t) => {
      const maxSeqLen = Math.min(params.max_seq_len ?? Math.min(384, v.maxLength), v.maxLength);
      const docStride = params.doc_stride ?? Math.min(Math.floor(maxSeqLen / 2), 128);
      const maxQuestionLen = params.max_question_len ?? 64;
      const questionTokens = await t.tokenize(() =>
        v.tokenizer.encodeBatch(
          inputs.map((q) => q.question),
          { addSpecialTokens: false, truncation: false },
        ),
      );
      const perInput = await t.tokenize(() =>
        Promise.all(
          inputs.map(async (q, i) => {
            const qLen = questionTokens[i][0].ids.length;
            if (qLen > maxQuestionLen) {
              throw new InputTooLongError(`inputs[${i}].question has ${qLen} tokens; max_question_len is ${maxQuestionLen}`, {
                tokens: qLen,
                limit: maxQuestionLen,
              });
            }
            const room = maxSeqLen - qLen - v.tokenizer.numSpecialTokens(true);
            if (room < 1) {
              throw new InputTooLongError(`inputs[${i}].question leaves no room for the context within max_seq_len ${maxSeqLen}`);
            }
            // The overlap must be smaller than the room the context has in a window; cap it there.
            const stride = Math.max(0, Math.min(docStride, room - 1));
            return v.tokenizer.encode(q.question, q.context, { maxLength: maxSeqLen, truncation: 'only_second', stride, returnOverflowing: true });
          }),
        ),
      );
      const outputs = await t.run(perInput.flat());
      let k = 0;
      return inputs.map((q, i) =>
        postprocessQa(
          q.context,
          perInput[i].map((w) => {
            const o = outputs[k++];
            return { window: qaWindow(w, v.tokenizer.specialIds.cls), startLogits: o.start_logits.data, endLogits: o.end_logits.data };
          }),
          { topK, maxAnswerLen, handleImpossibleAnswer: params.handle_impossible_answer ?? false },
        ),
      );
    });
  }

  async embeddings(model: string | undefined, texts: string[], params: EmbeddingParams, opts: RequestOptions = {}): Promise<Served<EmbeddingItem[]>> {
    this.checkCount(texts.length);
    texts.forEach((s, i) => this.checkText(s, `texts[${i}]`));
    return this.serve(model, 'feature-extraction', opts, async (v, t) => {
      const encoded = await t.tokenize(() => encodeTruncating(v, texts, 'longest_first'));
      const outputs = await t.run(encoded.map((e) => e.input));
      const pooling = params.pooling ?? 'mean';
      return outputs.map((o, i) => {
        const hidden = o.last_hidden_state;
        const main = encoded[i].input;
        const item: EmbeddingItem = {
          embedding: poolHiddenStates(hidden.data, main.attentionMask, hidden.dims[hidden.dims.length - 1], pooling, params.normalize ?? false),
          truncated: encoded[i].truncated,
        };
        if (pooling === 'none') item.tokens = main.tokens;
        return item;
      });
    });
  }

  async fillMask(model: string | undefined, texts: string[], params: FillMaskParams, opts: RequestOptions = {}): Promise<Served<FillMaskCandidate[][]>> {
    this.checkCount(texts.length);
    texts.forEach((s, i) => this.checkText(s, `texts[${i}]`));
    const topK = params.top_k ?? 5;
    if (!Number.isInteger(topK) || topK < 1) throw new InvalidInputError(`top_k must be a positive integer (got ${topK})`);
    return this.serve(model, 'fill-mask', opts, async (v, t) => {
      const maskId = v.tokenizer.specialIds.mask;
      if (maskId === undefined) throw new WrongTaskError(v.name, 'fill-mask model without a mask token', 'a [MASK] token');
      const maskToken = v.tokenizer.idToToken(maskId) ?? '[MASK]';
      // No truncation: cutting the text could cut the mask itself.
      const encoded = await t.tokenize(() => v.tokenizer.encodeBatch(texts, { truncation: false }));
      const masks = encoded.map(([e], i) => {
        if (e.ids.length > v.maxLength) {
          throw new InputTooLongError(`texts[${i}] has ${e.ids.length} tokens; this model takes at most ${v.maxLength}`, {
            tokens: e.ids.length,
            limit: v.maxLength,
          });
        }
        const positions = maskPositions(e.ids, maskId);
        if (positions.length === 0) throw new InvalidInputError(`texts[${i}] has no ${maskToken} token to fill`);
        return positions;
      });
      const outputs = await t.run(encoded.map((w) => w[0]));
      const vocab = outputs[0]?.logits.dims[1] ?? 0;
      return Promise.all(
        encoded.map(async ([e], i) => {
          const single = masks[i].length === 1;
          const candidates: FillMaskCandidate[] = [];
          for (const [m, position] of masks[i].entries()) {
            const row = outputs[i].logits.data.subarray(position * vocab, (position + 1) * vocab);
            for (const p of predictMask(row, topK)) {
              const ids = e.ids.slice();
              ids[position] = p.token;
              const candidate: FillMaskCandidate = {
                score: p.score,
                token: p.token,
                token_str: await v.tokenizer.decode([p.token]),
                // As HF: with one mask the sequence is decoded without special tokens.
                sequence: await v.tokenizer.decode(ids, single),
              };
              if (!single) candidate.mask_index = m;
              candidates.push(candidate);
            }
          }
          return candidates;
        }),
      );
    });
  }

  // ---- request plumbing -------------------------------------------------------------------------

  private checkCount(n: number): void {
    if (n === 0) throw new InvalidInputError('no inputs: send at least one');
    const limit = this.opts.limits.maxInputsPerRequest;
    if (n > limit) throw new InvalidInputError(`too many inputs: ${n} (limit ${limit} per request)`, { limit, received: n });
  }

  private checkText(text: string, where: string): void {
    if (typeof text !== 'string' || text.trim() === '') throw new InvalidInputError(`${where} is empty`);
    const limit = this.opts.limits.maxTextChars;
    // Characters are code points, as the HTTP layer counts them and as offsets are reported.
    const n = text.length > limit ? codePointCount(text) : text.length;
    if (n > limit) {
      throw new InputTooLongError(`${where} has ${n} characters (limit ${limit})`, { field: where, limit, received: n });
    }
  }

  /** Resolves the model (default per task), checks its task, holds its version for the request. */
  private resolve(model: string | undefined, want: Want): LoadedVersion {
    if (this.closing) throw new ModelNotReadyError('the server is shutting down');
    const name = model ?? this.defaultModelFor(want);
    if (name === undefined) {
      throw new DomainError('MODEL_NOT_FOUND', `no loaded model serves ${want}; name one with "model"`, { task: want });
    }
    const entry = this.entry(name);
    if (entry.status === 'unloaded') throw new ModelUnloadedError(name);
    if (entry.status === 'loading' || (!entry.active && entry.status !== 'failed')) throw new ModelNotReadyError(`model "${name}" is still loading`);
    if (!entry.active) throw new ModelLoadError(`model "${name}" failed to load: ${entry.error ?? 'unknown error'}`, { model: name });
    const v = entry.active;
    const ok =
      want === 'nli'
        ? v.descriptor.nli !== null
        : want === 'feature-extraction'
          ? v.hasHiddenStates
          : v.task === want;
    if (!ok) {
      const wanted =
        want === 'nli'
          ? 'an NLI model (labels with entailment and contradiction)'
          : want === 'feature-extraction'
            ? `a graph with a last_hidden_state output (a task head's logits are not embeddings)`
            : `a ${want} model`;
      throw new WrongTaskError(name, v.descriptor.nli ? 'NLI text-classification' : v.task, wanted);
    }
    return v;
  }

  private async serve<T>(
    model: string | undefined,
    want: Want,
    opts: RequestOptions,
    body: (v: LoadedVersion, stages: StageClock) => Promise<T>,
  ): Promise<Served<T>> {
    const started = performance.now();
    const v = this.resolve(model, want);
    const release = v.acquire();
    this.requests++;
    try {
      if (opts.signal?.aborted) throw new ClientClosedError();
      const clock = new StageClock(v, opts.signal);
      const result = await body(v, clock);
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
      release();
      this.requests--;
      if (this.requests === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach((w) => w());
      }
    }
  }
}

/** Collects a request's stage timings while it tokenizes and runs. */
class StageClock {
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

/**
 * Encodes without truncation first, so that truncation is known rather than guessed; only the
 * inputs that do not fit are encoded again, cut to the model's maximum with `strategy`.
 */
async function encodeTruncating(
  v: LoadedVersion,
  inputs: Array<string | [string, string]>,
  strategy: 'longest_first' | 'only_first',
): Promise<Array<{ input: TokenizedInput; truncated: boolean }>> {
  const whole = await v.tokenizer.encodeBatch(inputs, { truncation: false });
  const tooLong = whole.map((w, i) => (w[0].ids.length > v.maxLength ? i : -1)).filter((i) => i >= 0);
  const cut = tooLong.length > 0 ? await v.tokenizer.encodeBatch(tooLong.map((i) => inputs[i]), { truncation: strategy }) : [];
  const result = whole.map((w) => ({ input: w[0], truncated: false }));
  tooLong.forEach((i, k) => (result[i] = { input: cut[k][0], truncated: true }));
  return result;
}

function qaWindow(w: TokenizedInput, clsId: number): QaWindow {
  return { sequenceIds: w.sequenceIds, offsets: w.offsets, wordIds: w.wordIds, clsIndex: w.ids.indexOf(clsId) };
}

function codePointCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}


function existsMetrics(dir: string): boolean {
  return existsSync(join(dir, 'metrics.json'));
}
