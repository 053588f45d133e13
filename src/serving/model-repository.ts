/**
 * The model repository: the versions of every model on disk (the model store), the version of
 * each that serves, and its lifecycle — load and warm at start, activate (hot-swap), roll back,
 * unload, load, import a version, converge to a version activated elsewhere — and, per request,
 * a hold on the serving version (`acquire`). Plain TypeScript, no inference: the ServingCore
 * facade runs the task pipelines on what `acquire` gives.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { DomainError, ModelLoadError, ModelNotFoundError, ModelNotReadyError, VersionNotFoundError } from '../errors/domain-error';
import type { ActivationLog } from './activation-log';
import type { ModelInfo, ModelRepositoryApi, ModelVersionInfo } from './contracts';
import { ModelUnloadedError, NoPreviousVersionError } from './errors';
import { describeModel, LoadedVersion } from './loaded-version';
import { assertModelName, isValidModelName, ModelStore } from './model-store';
import type { DefaultableTask, ModelRepositoryOptions } from './repository-options';

export type { DefaultableTask, ModelRepositoryOptions, RepositoryLogger } from './repository-options';

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

/** A request's hold on a serving version; `release` (idempotent) when the request ends. */
export interface Lease {
  readonly version: LoadedVersion;
  release(): void;
}

export class ModelRepository implements ModelRepositoryApi {
  private readonly store: ModelStore;
  private readonly log: ActivationLog;
  private readonly entries = new Map<string, ModelEntry>();
  private ready = false;
  private closing = false;
  private requests = 0;
  private idleWaiters: Array<() => void> = [];

  private constructor(private readonly opts: ModelRepositoryOptions) {
    this.store = new ModelStore(opts.modelsDir, opts.dataDir, opts.logger);
    this.log = opts.activationLog ?? this.store;
  }

  /** Loads and warms every model (a failure marks that model failed; the rest serve), then ready. */
  static async start(opts: ModelRepositoryOptions): Promise<ModelRepository> {
    const repo = new ModelRepository(opts);
    const names = repo.store.modelNames();
    for (const name of names) {
      const registered = opts.initialVersions?.get(name);
      const onDisk = registered !== undefined && repo.store.versionNumbers(name).includes(registered);
      if (registered !== undefined && !onDisk) {
        opts.logger?.warn(
          { model: name, version: registered },
          'the registry names a version that is not on disk; starting on the local one',
        );
      }
      const activeVersion = onDisk ? registered : repo.store.activeOrDefault(name);
      repo.entries.set(name, { name, status: 'loading', activeVersion, lock: Promise.resolve() });
    }
    // One at a time: loads compete for the same cores, and logs stay readable.
    for (const name of names) await repo.loadInitial(repo.entries.get(name)!);
    repo.ready = true;
    return repo;
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
      threadSpinning: this.opts.threadSpinning,
      graph: this.opts.graph,
      graphCacheDir: join(this.opts.dataDir, 'cache', 'graphs'),
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
      fine_tunable: active ? active.fineTunable : this.hasWeights(name, entry.activeVersion),
      status: entry.status,
    };
  }

  private hasWeights(name: string, version: number): boolean {
    try {
      return locateHfModelDir(this.store.versionDir(name, version)).weightsFile !== undefined;
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
        ready.find((e) => e.active!.task === task && !e.active!.descriptor.nli)?.name ?? ready.find((e) => e.active!.task === task)?.name
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
      const info = await this.store.importVersion(name, sourceDir, existsMetrics(sourceDir) ? 'fine-tuned' : 'imported');
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
      await this.swapTo(entry, version, () => this.log.recordActivation(name, entry.activeVersion, version));
      return this.get(name);
    });
  }

  async rollback(name: string): Promise<ModelInfo> {
    const entry = this.entry(name);
    return this.serialize(entry, async () => {
      const target = await this.log.previousVersion(name, entry.activeVersion);
      if (target === undefined) throw new NoPreviousVersionError(name, entry.activeVersion);
      await this.swapTo(entry, target, () => this.log.recordRollback(name, target));
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
   * Makes `version` the serving version of `name` because it was activated elsewhere (a fleet's
   * announcement, see activation-log.ts): the same swap as `activate` — load and warm beside the
   * serving version, flip, drain — but nothing is recorded, since whoever activated it did. A model
   * already serving `version` is left as it is; an unloaded one is loaded, as `activate` does.
   */
  async converge(name: string, version: number): Promise<ModelInfo> {
    assertModelName(name);
    if (!this.store.versionNumbers(name).includes(version)) throw new VersionNotFoundError(name, version);
    if (!this.entries.has(name)) {
      // A model new to this replica (created elsewhere, on the shared volume): it serves `version` at once.
      const fresh: ModelEntry = { name, status: 'loading', activeVersion: version, lock: Promise.resolve() };
      this.entries.set(name, fresh);
      await this.loadInitial(fresh);
      return this.get(name);
    }
    const entry = this.entry(name);
    return this.serialize(entry, async () => {
      if (entry.status === 'ready' && entry.active?.version === version) return this.get(name);
      await this.swapTo(entry, version, () => undefined);
      return this.get(name);
    });
  }

  /**
   * Holds the serving version of `model` (the task's default model when undefined) for one
   * request: refused while closing, for an unknown, unloaded, loading or failed model.
   */
  acquire(model: string | undefined, task: DefaultableTask): Lease {
    if (this.closing) throw new ModelNotReadyError('the server is shutting down');
    const name = model ?? this.defaultModelFor(task);
    if (name === undefined) {
      throw new DomainError('MODEL_NOT_FOUND', `no loaded model serves ${task}; name one with "model"`, { task });
    }
    const entry = this.entry(name);
    if (entry.status === 'unloaded') throw new ModelUnloadedError(name);
    if (entry.status === 'loading' || (!entry.active && entry.status !== 'failed'))
      throw new ModelNotReadyError(`model "${name}" is still loading`);
    if (!entry.active) throw new ModelLoadError(`model "${name}" failed to load: ${entry.error ?? 'unknown error'}`, { model: name });
    const version = entry.active;
    const releaseVersion = version.acquire();
    this.requests++;
    let released = false;
    return {
      version,
      release: () => {
        if (released) return;
        released = true;
        releaseVersion();
        this.requests--;
        if (this.requests === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          waiters.forEach((w) => w());
        }
      },
    };
  }

  /**
   * Loads and warms `version` beside the version serving now (a failure leaves that one serving
   * and the pointer untouched), persists the change with `persist`, switches new requests to it,
   * then drains and releases the old session.
   */
  private async swapTo(entry: ModelEntry, version: number, persist: () => void | Promise<void>): Promise<void> {
    const name = entry.name;
    const started = performance.now();
    const fresh = await LoadedVersion.load(name, version, this.store.versionDir(name, version), this.loadOptions());
    try {
      await persist();
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
}

function existsMetrics(dir: string): boolean {
  return existsSync(join(dir, 'metrics.json'));
}
