import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, resolve, sep } from 'node:path';
import * as tar from 'tar';
import { DomainError, InvalidInputError } from '../../errors/domain-error';

/**
 * Unpacks an uploaded model archive (`.tar.gz` of a Hugging Face layout directory) into a fresh
 * temporary directory. The archive is untrusted: every entry is checked before anything is
 * written, and the archive is refused whole (not silently filtered) when an entry is a link, a
 * device or a FIFO, when its path is absolute or climbs out of the target, or when the unpacked
 * size or entry count passes the limits. Nothing in it is ever executed.
 */

export interface ArchiveLimits {
  maxExtractedBytes: number;
  maxEntries?: number;
}

export interface ExtractedArchive {
  /** The directory holding config.json (the archive root, or its single top-level folder). */
  modelDir: string;
  cleanup(): Promise<void>;
}

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

function entryProblem(path: string, type: string): string | undefined {
  if (!ALLOWED_TYPES.has(type)) return `entry "${path}" is a ${type}; only regular files and directories are accepted`;
  if (path.includes('\\') || path.includes('\0')) return `entry "${path}" has a disallowed character in its path`;
  if (isAbsolute(path) || posix.isAbsolute(path) || /^[a-zA-Z]:/.test(path)) return `entry "${path}" has an absolute path`;
  if (path.split('/').includes('..')) return `entry "${path}" escapes the archive root`;
  return undefined;
}

function isInside(root: string, path: string): boolean {
  const full = resolve(root, path);
  return full === root || full.startsWith(root + sep);
}

/**
 * Reads every header before anything is written. Stops reading as soon as a problem is seen or the
 * declared sizes pass the limit, so a compressed bomb costs no more than the limit to refuse.
 */
async function inspect(file: string, limits: ArchiveLimits): Promise<void> {
  const maxEntries = limits.maxEntries ?? 10_000;
  let total = 0;
  let entries = 0;
  let problem: string | undefined;
  let tooLarge = false;
  const source = createReadStream(file);
  try {
    await new Promise<void>((resolveDone, reject) => {
      const stop = (): void => {
        source.unpipe();
        source.destroy();
        resolveDone();
      };
      const parser = new tar.Parser({
        strict: true,
        onReadEntry: (entry) => {
          entries++;
          total += entry.size ?? 0;
          problem ??= entryProblem(entry.path, String(entry.type));
          if (!problem && entries > maxEntries) problem = `the archive has more than ${maxEntries} entries`;
          tooLarge = total > limits.maxExtractedBytes;
          entry.resume();
          if (problem || tooLarge) stop();
        },
      });
      parser.on('error', reject);
      parser.on('end', () => resolveDone());
      source.on('error', reject);
      source.pipe(parser);
    });
  } catch (err) {
    throw new InvalidInputError(`not a readable .tar.gz archive: ${(err as Error).message}`);
  }
  if (problem) throw new InvalidInputError(`refused archive: ${problem}`);
  if (tooLarge) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `the archive unpacks to more than ${limits.maxExtractedBytes} bytes`, {
      limit: limits.maxExtractedBytes,
    });
  }
  if (entries === 0) throw new InvalidInputError('the archive is empty');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function extractModelArchive(archive: Buffer, limits: ArchiveLimits): Promise<ExtractedArchive> {
  const work = await mkdtemp(join(tmpdir(), 'berth-upload-'));
  const cleanup = (): Promise<void> => rm(work, { recursive: true, force: true });
  try {
    const file = join(work, 'upload.tar.gz');
    const target = join(work, 'model');
    await writeFile(file, archive);
    await inspect(file, limits);
    await mkdir(target);
    // Checked again while extracting, so that nothing the inspection missed lands outside the
    // target; a refused entry is skipped here and fails the whole upload below.
    let refused: string | undefined;
    await tar.x({
      file,
      cwd: target,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (path, entry) => {
        const type = 'type' in entry ? String(entry.type) : 'File';
        const problem = entryProblem(path, type) ?? (isInside(target, path) ? undefined : `entry "${path}" escapes the archive root`);
        refused ??= problem;
        return problem === undefined;
      },
    });
    if (refused) throw new InvalidInputError(`refused archive: ${refused}`);
    let modelDir = target;
    if (!(await exists(join(target, 'config.json')))) {
      const top = await readdir(target, { withFileTypes: true });
      const dirs = top.filter((d) => d.isDirectory());
      if (top.length === 1 && dirs.length === 1 && (await exists(join(target, dirs[0].name, 'config.json')))) {
        modelDir = join(target, dirs[0].name);
      } else {
        throw new InvalidInputError('the archive holds no config.json at its root or in a single top-level folder');
      }
    }
    return { modelDir, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
