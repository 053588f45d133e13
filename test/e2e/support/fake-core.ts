import { loadConfig } from '../../../src/config/app-config';
import {
  ClientClosedError,
  ModelNotFoundError,
  OverloadedError,
  VersionNotFoundError,
  WrongTaskError,
  InvalidInputError,
} from '../../../src/errors/domain-error';
import type { ServingCoreHandle } from '../../../src/modules/core/core-host';
import { embeddingsPipeline } from '../../../src/tasks/feature-extraction';
import { fillMaskPipeline } from '../../../src/tasks/fill-mask';
import { RequestLimits } from '../../../src/tasks/limits';
import { nliPipeline } from '../../../src/tasks/nli';
import type { TaskPipeline } from '../../../src/tasks/pipeline';
import { qaPipeline } from '../../../src/tasks/question-answering';
import { classifyPipeline } from '../../../src/tasks/text-classification';
import { nerPipeline } from '../../../src/tasks/token-classification';
import { zeroShotPipeline } from '../../../src/tasks/zero-shot';
import { ModelUnloadedError, NoPreviousVersionError } from '../../../src/serving/errors';
import type {
  Answer,
  ClassifyItem,
  ClassifyParams,
  EmbeddingItem,
  EmbeddingParams,
  Entity,
  FillMaskCandidate,
  FillMaskParams,
  ModelInfo,
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
} from '../../../src/serving/contracts';

/**
 * A stand-in for the serving core with the contract's behaviour and simple, predictable numbers,
 * so HTTP tests can check shapes, parameter plumbing and error mapping without ONNX Runtime.
 * Requests are checked as the core checks them (each task pipeline's `check`: parameters and the
 * request limits) before a model is resolved. Every call that passes is recorded in `calls`.
 */
export interface FakeCall {
  method: string;
  model: string | undefined;
  inputs: unknown;
  params: unknown;
}

interface FakeModel {
  info: ModelInfo;
  /** Versions active before the current one, oldest first (the real core keeps them on disk). */
  history: number[];
}

const TIMINGS = { tokenizationMs: 0.25, queueMs: 0.5, inferenceMs: 1.25, totalMs: 2.5 };

function version(v: number, source: ModelVersionInfo['source'] = 'embedded'): ModelVersionInfo {
  return { version: v, source, created_at: '2026-01-01T00:00:00.000Z', size_bytes: 1000 + v };
}

function model(name: string, task: ServedTask, labels: string[], nli = false): FakeModel {
  return {
    info: {
      name,
      task,
      nli,
      architecture: 'BertFake',
      labels,
      max_sequence_length: 128,
      versions: [version(1)],
      active_version: 1,
      device: 'cpu',
      load_time_ms: 5,
      fine_tunable: true,
      status: 'ready',
    },
    history: [],
  };
}

export class FakeCore implements ServingCoreHandle {
  readonly calls: FakeCall[] = [];
  closed = false;
  ready = true;
  /** When set, every inference call waits for this promise (to test aborts and drain). */
  gate: Promise<void> | undefined;
  /** When true, inference throws OverloadedError. */
  overloaded = false;
  /** When set, inference throws this (to test unknown-error mapping). */
  failWith: unknown;
  /** Set by the app's core factory; the fake reports one batch per request, as a core would. */
  observer: ServingObserver | undefined;
  /** Requests that left because their client went away. */
  aborted = 0;
  /** The request limits (the server's defaults; `fakeApp` sets the app's own). */
  limits = new RequestLimits(loadConfig({}).limits);
  private inflight = 0;

  readonly models = new Map<string, FakeModel>([
    ['sentiment', model('sentiment', 'text-classification', ['negative', 'neutral', 'positive'])],
    ['nli-model', model('nli-model', 'text-classification', ['entailment', 'neutral', 'contradiction'], true)],
    ['ner-model', model('ner-model', 'token-classification', ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'])],
    ['qa-model', model('qa-model', 'question-answering', [])],
    ['mlm', model('mlm', 'fill-mask', [])],
    ['encoder', model('encoder', 'feature-extraction', [])],
  ]);

  private resolve(name: string | undefined, task: ServedTask | 'nli' | 'zero-shot'): ModelInfo {
    const chosen = name ?? this.defaultModelFor(task);
    if (!chosen) throw new InvalidInputError(`no default model for ${task}`);
    const m = this.models.get(chosen);
    if (!m) throw new ModelNotFoundError(chosen);
    if (m.info.status === 'unloaded') throw new ModelUnloadedError(chosen);
    const ok = task === 'nli' || task === 'zero-shot' ? m.info.nli : m.info.task === task;
    if (!ok) throw new WrongTaskError(chosen, m.info.task, task);
    return m.info;
  }

  private async serve<I, P, T>(
    method: string,
    task: ServedTask | 'nli' | 'zero-shot',
    pipeline: TaskPipeline<I, P, unknown>,
    name: string | undefined,
    inputs: I[],
    params: P,
    opts: RequestOptions | undefined,
    run: (info: ModelInfo) => T,
  ): Promise<Served<T>> {
    pipeline.check(inputs, params, this.limits);
    const info = this.resolve(name, task);
    this.calls.push({ method, model: name, inputs, params });
    if (this.failWith !== undefined) throw this.failWith;
    if (this.overloaded) {
      this.observer?.rejected(info.name, 'overloaded');
      throw new OverloadedError('queue full', 2);
    }
    this.inflight++;
    try {
      if (this.gate) {
        const signal = opts?.signal;
        await Promise.race([
          this.gate,
          new Promise<never>((_, reject) => {
            const leave = (): void => {
              this.aborted++;
              reject(new ClientClosedError());
            };
            if (signal?.aborted) leave();
            signal?.addEventListener('abort', leave, { once: true });
          }),
        ]);
      }
      const result = run(info);
      const n = Array.isArray(inputs) ? inputs.length : 1;
      this.observer?.queued(info.name, TIMINGS.queueMs / 1000);
      this.observer?.batchRun(info.name, info.active_version, n, 5 * n, 8 * n, TIMINGS.inferenceMs / 1000);
      return { model: info.name, version: info.active_version, timings: TIMINGS, result };
    } finally {
      this.inflight--;
    }
  }

  /** Scores derived from the text length: softmax of [len % 3, len % 5, len % 7] / 2. */
  static scores(text: string, n: number): number[] {
    const logits = Array.from({ length: n }, (_, i) => (text.length % (3 + 2 * i)) / 2);
    const m = Math.max(...logits);
    const e = logits.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  }

  private labelScores(info: ModelInfo, text: string, topK: number | null | undefined): ClassifyItem {
    const scores = FakeCore.scores(text, info.labels.length);
    const labels = info.labels.map((label, i) => ({ label, score: scores[i] })).sort((a, b) => b.score - a.score);
    const k = topK === null ? labels.length : (topK ?? 1);
    return { labels: labels.slice(0, k), truncated: text.length > 100 };
  }

  classify(model: string | undefined, inputs: TextInput[], params: ClassifyParams, opts?: RequestOptions): Promise<Served<ClassifyItem[]>> {
    return this.serve('classify', 'text-classification', classifyPipeline, model, inputs, params, opts, (info) =>
      inputs.map((x) => this.labelScores(info, typeof x === 'string' ? x : x.text + '|' + (x.text_pair ?? ''), params.top_k)),
    );
  }

  nli(model: string | undefined, pairs: NliPair[], opts?: RequestOptions): Promise<Served<ClassifyItem[]>> {
    return this.serve('nli', 'nli', nliPipeline, model, pairs, {}, opts, (info) =>
      pairs.map((p) => this.labelScores(info, p.premise + '|' + p.hypothesis, null)),
    );
  }

  zeroShot(model: string | undefined, sequences: string[], params: ZeroShotParams, opts?: RequestOptions): Promise<Served<ZeroShotItem[]>> {
    return this.serve('zeroShot', 'zero-shot', zeroShotPipeline, model, sequences, params, opts, () =>
      sequences.map((sequence) => {
        const scores = FakeCore.scores(sequence, params.candidate_labels.length);
        const order = params.candidate_labels.map((l, i) => ({ l, s: scores[i] })).sort((a, b) => b.s - a.s);
        return { sequence, labels: order.map((o) => o.l), scores: order.map((o) => o.s), truncated: false };
      }),
    );
  }

  ner(model: string | undefined, texts: string[], params: NerParams, opts?: RequestOptions): Promise<Served<Entity[][]>> {
    return this.serve('ner', 'token-classification', nerPipeline, model, texts, params, opts, () =>
      texts.map((t) => {
        // The first word is a person.
        const end = t.indexOf(' ') === -1 ? t.length : t.indexOf(' ');
        const base = { entity_group: 'PER', score: 0.9, word: t.slice(0, end), start: 0, end };
        return params.aggregation_strategy === 'none' ? [{ ...base, entity: 'B-PER', index: 1 }] : [base];
      }),
    );
  }

  qa(model: string | undefined, inputs: QaInput[], params: QaParams, opts?: RequestOptions): Promise<Served<Answer[][]>> {
    return this.serve('qa', 'question-answering', qaPipeline, model, inputs, params, opts, () =>
      inputs.map((q) => {
        const words = q.context.split(' ');
        return Array.from({ length: params.top_k ?? 1 }, (_, i) => {
          const w = words[Math.min(i, words.length - 1)];
          const start = q.context.indexOf(w);
          return { answer: w, score: 0.5 / (i + 1), start, end: start + w.length };
        });
      }),
    );
  }

  embeddings(model: string | undefined, texts: string[], params: EmbeddingParams, opts?: RequestOptions): Promise<Served<EmbeddingItem[]>> {
    return this.serve('embeddings', 'feature-extraction', embeddingsPipeline, model, texts, params, opts, () =>
      texts.map((t) =>
        params.pooling === 'none'
          ? {
              embedding: [
                [t.length, 1],
                [t.length, 2],
              ],
              truncated: false,
            }
          : { embedding: [t.length, 1, 0.5], truncated: false },
      ),
    );
  }

  fillMask(
    model: string | undefined,
    texts: string[],
    params: FillMaskParams,
    opts?: RequestOptions,
  ): Promise<Served<FillMaskCandidate[][]>> {
    return this.serve('fillMask', 'fill-mask', fillMaskPipeline, model, texts, params, opts, () =>
      texts.map((t) => {
        if (!t.includes('[MASK]')) throw new InvalidInputError('no [MASK] token in the input');
        return Array.from({ length: params.top_k ?? 5 }, (_, i) => ({
          score: 0.5 / (i + 1),
          token: 1000 + i,
          token_str: `w${i}`,
          sequence: t.replace('[MASK]', `w${i}`),
        }));
      }),
    );
  }

  isReady(): boolean {
    return this.ready;
  }
  list(): ModelInfo[] {
    return [...this.models.values()].map((m) => m.info);
  }
  get(name: string): ModelInfo {
    const m = this.models.get(name);
    if (!m) throw new ModelNotFoundError(name);
    return m.info;
  }
  async activate(name: string, v: number): Promise<ModelInfo> {
    const info = this.get(name);
    if (!info.versions.some((x) => x.version === v)) throw new VersionNotFoundError(name, v);
    if (v !== info.active_version || info.status !== 'ready') {
      if (v !== info.active_version) this.models.get(name)!.history.push(info.active_version);
      this.swap(info, v);
    }
    return info;
  }
  private swap(info: ModelInfo, v: number): void {
    const from = info.active_version;
    info.active_version = v;
    info.status = 'ready';
    this.observer?.modelLoaded(info.name, v, 0.2);
    this.observer?.swapped(info.name, from, v, 0.3);
    this.observer?.activeVersion(info.name, v);
  }
  async rollback(name: string): Promise<ModelInfo> {
    const info = this.get(name);
    const history = this.models.get(name)!.history;
    const previous = history.pop();
    if (previous === undefined) throw new NoPreviousVersionError(name, info.active_version);
    this.swap(info, previous);
    this.observer?.lifecycle?.(name, 'rollback');
    return info;
  }
  async unload(name: string): Promise<ModelInfo> {
    const info = this.get(name);
    info.status = 'unloaded';
    info.load_time_ms = 0;
    this.observer?.lifecycle?.(name, 'unload');
    return info;
  }
  async load(name: string): Promise<ModelInfo> {
    const info = this.get(name);
    if (info.status !== 'ready') {
      info.status = 'ready';
      info.load_time_ms = 5;
      this.observer?.modelLoaded(name, info.active_version, 0.2);
      this.observer?.lifecycle?.(name, 'load');
    }
    return info;
  }
  /** The last imported directory's listing, for archive tests. */
  imported: { name: string; files: string[] }[] = [];
  async importVersion(name: string, sourceDir: string): Promise<ModelVersionInfo> {
    const info = this.get(name);
    const { readdirSync } = await import('node:fs');
    this.imported.push({ name, files: readdirSync(sourceDir).sort() });
    const next = version(Math.max(...info.versions.map((x) => x.version)) + 1, 'imported');
    info.versions.push(next);
    return next;
  }
  versionDir(name: string, version: number): string {
    return `/models/${name}/${version}`;
  }
  defaultModelFor(task: ServedTask | 'zero-shot' | 'nli'): string | undefined {
    const defaults: Record<string, string> = {
      'text-classification': 'sentiment',
      nli: 'nli-model',
      'zero-shot': 'nli-model',
      'token-classification': 'ner-model',
      'question-answering': 'qa-model',
      'fill-mask': 'mlm',
      'feature-extraction': 'encoder',
    };
    return defaults[task];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  inFlight(): number {
    return this.inflight;
  }
}
