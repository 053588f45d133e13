/**
 * The model repository on disk. Read-only embedded models live in `modelsDir/<name>/` (an HF
 * layout directory, which is version 1 of that model). Everything written lives under
 * `dataDir/models/<name>/`:
 *
 *   versions/<n>/      immutable HF layout directories (n = 2, 3, … after an embedded model)
 *   versions/<n>/berth-version.json   where the version came from and when
 *   active.json        {"version": n}, replaced atomically (temp file + rename)
 *   history.json       {"previous": [..]}: versions active before the current one, for rollback
 *
 * A version directory appears only by a rename of a complete temporary copy, so a crash never
 * leaves a half-written version behind, and a restart finds the same active version.
 *
 * Symbolic links are followed when reading: an entry of `modelsDir` may be a link to a model
 * folder, and a model folder's files may be links (a Hugging Face cache snapshot, whose files
 * link into `../../blobs/`). A link that points nowhere is skipped with a warning naming it.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { InvalidInputError, ModelNotFoundError, VersionNotFoundError } from '../errors/domain-error';
import { SCRATCH, scratchName } from '../store/scratch';
import type { ActivationLog } from './activation-log';
import type { ModelVersionInfo } from './contracts';

export const MODEL_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

/** A model name is a single safe path segment (no separators, no "..", no hidden files). */
export function isValidModelName(name: string): boolean {
  return MODEL_NAME_PATTERN.test(name) && !name.includes('..');
}

export function assertModelName(name: string): void {
  if (!isValidModelName(name)) {
    throw new InvalidInputError(
      `invalid model name "${name}": use letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)`,
      {
        model: name,
      },
    );
  }
}

interface VersionRecord {
  source: ModelVersionInfo['source'];
  created_at: string;
}

const VERSION_RECORD = 'berth-version.json';
const METRICS_FILE = 'metrics.json';
const ACTIVE_FILE = 'active.json';
const HISTORY_FILE = 'history.json';
/** Rollback depth kept on disk; older entries are dropped. */
const MAX_HISTORY = 50;

export interface ModelStoreLogger {
  warn(obj: object, msg?: string): void;
}

/** Also the single-server activation log: `active.json` and `history.json` per model. */
export class ModelStore implements ActivationLog {
  constructor(
    readonly modelsDir: string,
    readonly dataDir: string,
    private readonly logger?: ModelStoreLogger,
  ) {}

  private modelDataDir(name: string): string {
    return join(this.dataDir, 'models', name);
  }

  private versionsDir(name: string): string {
    return join(this.modelDataDir(name), 'versions');
  }

  private embeddedDir(name: string): string {
    return join(this.modelsDir, name);
  }

  hasEmbedded(name: string): boolean {
    return isValidModelName(name) && existsSync(join(this.embeddedDir(name), 'config.json'));
  }

  /**
   * Every model: embedded folders with a config.json (folders or links to folders), and models
   * that exist only as data versions. A link in `modelsDir` that points nowhere, or a model
   * folder whose config.json is such a link, is skipped with a warning.
   */
  modelNames(): string[] {
    const names = new Set<string>();
    for (const link of danglingLinks(this.modelsDir)) {
      this.logger?.warn(
        { models_dir: this.modelsDir, link: link.name, target: link.target },
        `skipping model link "${link.name}": it points to ${link.target}, which does not exist`,
      );
    }
    for (const name of subdirs(this.modelsDir)) {
      if (this.hasEmbedded(name)) names.add(name);
      else {
        const config = danglingLinks(this.embeddedDir(name)).find((l) => l.name === 'config.json');
        if (config) {
          this.logger?.warn(
            { model: name, link: `${name}/config.json`, target: config.target },
            `skipping model "${name}": its config.json links to ${config.target}, which does not exist`,
          );
        }
      }
    }
    for (const name of subdirs(join(this.dataDir, 'models'))) {
      if (isValidModelName(name) && this.dataVersionNumbers(name).length > 0) names.add(name);
    }
    return [...names].sort();
  }

  exists(name: string): boolean {
    return isValidModelName(name) && (this.hasEmbedded(name) || this.dataVersionNumbers(name).length > 0);
  }

  private dataVersionNumbers(name: string): number[] {
    return subdirs(this.versionsDir(name))
      .filter((d) => /^[1-9][0-9]*$/.test(d))
      .map(Number)
      .sort((a, b) => a - b);
  }

  versionNumbers(name: string): number[] {
    const numbers = this.dataVersionNumbers(name);
    return this.hasEmbedded(name) ? [1, ...numbers.filter((n) => n !== 1)] : numbers;
  }

  versionDir(name: string, version: number): string {
    if (!this.exists(name)) throw new ModelNotFoundError(name);
    if (version === 1 && this.hasEmbedded(name)) return this.embeddedDir(name);
    if (!this.versionNumbers(name).includes(version)) throw new VersionNotFoundError(name, version);
    return join(this.versionsDir(name), String(version));
  }

  versionInfo(name: string, version: number): ModelVersionInfo {
    const path = this.versionDir(name, version);
    const embedded = version === 1 && this.hasEmbedded(name);
    const record = embedded ? undefined : readJson<VersionRecord>(join(path, VERSION_RECORD));
    const metrics = readJson<Record<string, unknown>>(join(path, METRICS_FILE));
    const info: ModelVersionInfo = {
      version,
      source: embedded ? 'embedded' : (record?.source ?? 'imported'),
      created_at: record?.created_at ?? statSync(path).mtime.toISOString(),
      size_bytes: directorySize(path),
    };
    if (metrics) info.metrics = metrics;
    return info;
  }

  versions(name: string): ModelVersionInfo[] {
    return this.versionNumbers(name).map((v) => this.versionInfo(name, v));
  }

  /** The persisted active version, or undefined when none was ever chosen (or it no longer exists). */
  readActive(name: string): number | undefined {
    const record = readJson<{ version?: unknown }>(join(this.modelDataDir(name), ACTIVE_FILE));
    const v = record?.version;
    return typeof v === 'number' && this.versionNumbers(name).includes(v) ? v : undefined;
  }

  /** The version to serve: the pointer when set, else the embedded version 1, else the newest. */
  activeOrDefault(name: string): number {
    const numbers = this.versionNumbers(name);
    if (numbers.length === 0) throw new ModelNotFoundError(name);
    return this.readActive(name) ?? (this.hasEmbedded(name) ? 1 : numbers[numbers.length - 1]);
  }

  writeActive(name: string, version: number): void {
    assertModelName(name);
    this.writeAtomically(name, ACTIVE_FILE, { version, activated_at: new Date().toISOString() });
  }

  /**
   * The versions that were active before the current one, oldest first (`history.json`). Entries
   * may repeat the current version or name a version removed since; `previousVersion` skips those.
   */
  readHistory(name: string): number[] {
    const record = readJson<{ previous?: unknown }>(join(this.modelDataDir(name), HISTORY_FILE));
    const previous = Array.isArray(record?.previous) ? record.previous : [];
    return previous.filter((v): v is number => Number.isInteger(v) && (v as number) > 0);
  }

  /**
   * Makes `to` active, remembering `from` for a rollback. The history is written before the
   * pointer: a crash between the two leaves `from` on top of the history while `from` is still
   * active, which `previousVersion` skips, so no rollback target is ever lost or invented.
   */
  recordActivation(name: string, from: number, to: number): void {
    assertModelName(name);
    if (from !== to) {
      const previous = [...this.readHistory(name), from].slice(-MAX_HISTORY);
      this.writeAtomically(name, HISTORY_FILE, { previous });
    }
    this.writeActive(name, to);
  }

  /** The version a rollback from `current` returns to: the newest remembered one that still exists and differs. */
  previousVersion(name: string, current: number): number | undefined {
    const existing = new Set(this.versionNumbers(name));
    const history = this.readHistory(name);
    for (let i = history.length - 1; i >= 0; i--) {
      if (history[i] !== current && existing.has(history[i])) return history[i];
    }
    return undefined;
  }

  /**
   * Makes `to` (a result of `previousVersion`) active and forgets it and every
   * entry above it in the history. The pointer is written first: a crash between the two leaves
   * `to` on top of the history while it is active, which the next rollback skips.
   */
  recordRollback(name: string, to: number): void {
    assertModelName(name);
    const history = this.readHistory(name);
    let cut = history.length;
    while (cut > 0 && history[cut - 1] !== to) cut--;
    this.writeActive(name, to);
    this.writeAtomically(name, HISTORY_FILE, { previous: history.slice(0, Math.max(0, cut - 1)) });
  }

  /** Replaces `<model data dir>/<file>` by a temporary file and a rename: readers see the old or the new content, never a mix. */
  private writeAtomically(name: string, file: string, content: object): void {
    const dir = this.modelDataDir(name);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, JSON.stringify(content) + '\n');
    renameSync(tmp, join(dir, file));
  }

  /**
   * Copies an HF layout directory in as the next version: into a temporary directory first,
   * then renamed to its number, so the version appears complete or not at all. Symbolic links
   * in the source are refused (a version must not point outside itself, and an upload never
   * holds one); the copy dereferences regardless, so no link can land in a version.
   */
  async importVersion(name: string, sourceDir: string, source: ModelVersionInfo['source'] = 'imported'): Promise<ModelVersionInfo> {
    assertModelName(name);
    locateHfModelDir(sourceDir, { servable: true });
    assertNoLinks(sourceDir);
    const versions = this.versionsDir(name);
    mkdirSync(versions, { recursive: true });
    const tmp = join(versions, scratchName(SCRATCH.version.prefix));
    try {
      // Copied on libuv's thread pool: a model of hundreds of megabytes must not hold the event loop.
      await cp(sourceDir, tmp, { recursive: true, dereference: true, errorOnExist: true, force: false });
      const record: VersionRecord = { source, created_at: new Date().toISOString() };
      await writeFile(join(tmp, VERSION_RECORD), JSON.stringify(record, null, 2) + '\n');
      for (let attempt = 0; attempt < 100; attempt++) {
        const existing = this.versionNumbers(name);
        const next = existing.length === 0 ? 1 : existing[existing.length - 1] + 1;
        const target = join(versions, String(next));
        if (existsSync(target)) continue;
        try {
          renameSync(tmp, target);
        } catch (e) {
          // Another writer took this number between the check and the rename: try the next.
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOTEMPTY' || code === 'EEXIST') continue;
          throw e;
        }
        return this.versionInfo(name, next);
      }
      throw new Error(`could not allocate a version number for ${name}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** The visible subdirectories of `dir`, links to directories included. */
function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(dir, e.name)))))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Follows links; false for anything missing, including the target of a dangling link. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The visible entries of `dir` that are links to nothing (or to a loop of links), with what each points to. */
function danglingLinks(dir: string): Array<{ name: string; target: string }> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const dangling: Array<{ name: string; target: string }> = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || !e.isSymbolicLink()) continue;
    const path = join(dir, e.name);
    if (existsSync(path)) continue;
    let target = '(unreadable)';
    try {
      target = readlinkSync(path);
    } catch {
      // Removed between the listing and now: still nothing to serve.
    }
    dangling.push({ name: e.name, target });
  }
  return dangling;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Bytes of the regular files under `dir`, following links (each directory counted once, so a link loop ends). */
function directorySize(dir: string, seen = new Set<string>()): number {
  const real = realpathSync(dir);
  if (seen.has(real)) return 0;
  seen.add(real);
  let total = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    let stats;
    try {
      stats = statSync(path);
    } catch {
      continue; // a dangling link holds no bytes
    }
    if (stats.isDirectory()) total += directorySize(path, seen);
    else if (stats.isFile()) total += stats.size;
  }
  return total;
}

function assertNoLinks(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (lstatSync(path).isSymbolicLink()) {
      throw new InvalidInputError(`${path} is a symbolic link; a model version must contain plain files only`);
    }
    if (entry.isDirectory()) assertNoLinks(path);
  }
}
