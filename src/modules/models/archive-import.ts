import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { DomainError, InvalidInputError } from '../../errors/domain-error';
import { SCRATCH, scratchName } from '../../store/scratch';

/**
 * Unpacks an uploaded model archive (`.tar.gz` or `.tar` of a Hugging Face layout directory) into
 * a fresh scratch directory. The archive is untrusted, and every dimension of it is bounded:
 * - the bytes received (`maxArchiveBytes`, 413), counted as they stream to disk;
 * - the unpacked size and the entry count (413 / 400), read from the headers before anything is
 *   written;
 * - the bytes after the end-of-archive marker (400 past TRAILING_ALLOWANCE): they are counted, not
 *   buffered, so a small upload of compressed zeros costs no more than the allowance;
 * - the kind of every entry: links, devices, FIFOs, absolute paths and paths that climb out of the
 *   target refuse the archive whole (it is not silently filtered).
 * Decompression runs on libuv's thread pool and the headers are read chunk by chunk, so the event
 * loop is never held for long by one upload. Nothing in the archive is ever executed.
 */

export interface ArchiveLimits {
  maxArchiveBytes: number;
  maxExtractedBytes: number;
  maxEntries?: number;
}

export interface ExtractedArchive {
  /** The directory holding config.json (the archive root, or its single top-level folder). */
  modelDir: string;
  cleanup(): Promise<void>;
}

/** Bytes accepted after the end-of-archive marker: tar tools pad to a 10 KiB record, some to more. */
export const TRAILING_ALLOWANCE = 64 * 1024;
const DEFAULT_MAX_ENTRIES = 10_000;

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

function tooLarge(what: string, limit: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `${what} is larger than the limit of ${limit} bytes`, { limit });
}

/** Streams the upload to `file`, failing with 413 as soon as it passes `maxBytes`. */
async function receive(source: Readable, file: string, maxBytes: number): Promise<number> {
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(received > maxBytes ? tooLarge('the archive', maxBytes) : null, chunk);
    },
  });
  await pipeline(source, counter, createWriteStream(file, { flags: 'wx' }));
  return received;
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Reads every header before anything is written, feeding the tar parser only up to the
 * end-of-archive marker (the parser would buffer whatever follows) and counting the rest.
 */
async function inspect(file: string, limits: ArchiveLimits): Promise<void> {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  let declared = 0;
  let entries = 0;
  let problem: DomainError | undefined;
  let parseError: Error | undefined;
  let ended = false;
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      entries++;
      declared += entry.size ?? 0;
      const refused = entryProblem(entry.path, String(entry.type));
      if (refused) problem ??= new InvalidInputError(`refused archive: ${refused}`);
      else if (entries > maxEntries) problem ??= new InvalidInputError(`refused archive: it has more than ${maxEntries} entries`);
      else if (declared > limits.maxExtractedBytes) problem ??= tooLarge('the unpacked archive', limits.maxExtractedBytes);
      entry.resume();
    },
  });
  parser.on('eof', () => (ended = true));
  parser.on('error', (e: Error) => (parseError ??= e));

  const source: Readable = (await isGzip(file)) ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  // Headers and padding come on top of the declared sizes; anything beyond this before the end marker is not a tar.
  const maxBeforeEnd = limits.maxExtractedBytes + (maxEntries + 2) * 1024 + TRAILING_ALLOWANCE;
  let beforeEnd = 0;
  let trailing = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (ended) {
        trailing += chunk.length;
        if (trailing > TRAILING_ALLOWANCE) {
          problem ??= new InvalidInputError(`refused archive: more than ${TRAILING_ALLOWANCE} bytes of data follow the end of the archive`, {
            limit: TRAILING_ALLOWANCE,
          });
        }
      } else {
        beforeEnd += chunk.length;
        if (beforeEnd > maxBeforeEnd) problem ??= tooLarge('the unpacked archive', limits.maxExtractedBytes);
        else parser.write(chunk);
      }
      if (problem || parseError) break;
    }
    if (!problem && !parseError) parser.end();
  } catch (e) {
    parseError ??= e as Error;
  } finally {
    source.destroy();
  }
  if (problem) throw problem;
  if (parseError) throw new InvalidInputError(`not a readable .tar.gz archive: ${parseError.message}`);
  if (entries === 0) throw new InvalidInputError('the archive is empty');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The directory holding config.json: the archive root or its single top-level folder. */
async function findModelDir(target: string): Promise<string> {
  if (await exists(join(target, 'config.json'))) return target;
  const top = await readdir(target, { withFileTypes: true });
  const dirs = top.filter((d) => d.isDirectory());
  if (top.length === 1 && dirs.length === 1 && (await exists(join(target, dirs[0].name, 'config.json')))) {
    return join(target, dirs[0].name);
  }
  throw new InvalidInputError('the archive holds no config.json at its root or in a single top-level folder');
}

/**
 * Receives, checks and unpacks an archive in a scratch directory under `<dataDir>/tmp` (inside the
 * data directory, so the version is later copied within one filesystem); the caller removes it
 * with `cleanup`, and a crash leaves it for the boot sweep.
 */
export async function extractModelArchive(source: Readable, limits: ArchiveLimits, dataDir: string): Promise<ExtractedArchive> {
  const scratchDir = join(dataDir, SCRATCH.archive.dir);
  await mkdir(scratchDir, { recursive: true });
  const work = join(scratchDir, scratchName(SCRATCH.archive.prefix));
  await mkdir(work);
  const cleanup = (): Promise<void> => rm(work, { recursive: true, force: true });
  try {
    const file = join(work, 'upload.tar.gz');
    const target = join(work, 'model');
    const received = await receive(source, file, limits.maxArchiveBytes);
    if (received === 0) throw new InvalidInputError('the archive is empty: send it as the request body or as multipart field "file"');
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
    return { modelDir: await findModelDir(target), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
