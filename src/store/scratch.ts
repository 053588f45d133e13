import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Names for scratch files and directories (uploads being received, archives being unpacked,
 * versions being copied) that say who made them: `<prefix><host>~<pid>~<random>[<suffix>]`. A
 * process that dies mid-write (SIGKILL, power loss) leaves its scratch behind; at boot the
 * server removes the scratch of processes on this host that no longer run. Scratch of a live
 * process, or of another host sharing the volume, is left alone.
 */

/** Where each kind of scratch lives under the data directory, and the prefix of its names. */
export const SCRATCH = {
  /** Model archives being received and unpacked. */
  archive: { dir: 'tmp', prefix: 'archive-' },
  /** Datasets being received and validated. */
  upload: { dir: 'files', prefix: '.upload-' },
  /** Versions being copied into a model's `versions/` (one such folder per model). */
  version: { dir: 'models/*/versions', prefix: '.import-' },
} as const;

const HOST = hostname().replace(/[^A-Za-z0-9._-]/g, '_');

export function scratchName(prefix: string, suffix = ''): string {
  return `${prefix}${HOST}~${process.pid}~${randomBytes(6).toString('hex')}${suffix}`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a scratch entry named `name` was left by a process that is gone. At boot, an entry with
 * this process's own pid is a previous life's (a container restarts its server as pid 1 again).
 */
export function isLeftover(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const m = /^(.+)~(\d+)~[0-9a-f]{12}/.exec(name.slice(prefix.length));
  if (!m || m[1] !== HOST) return false;
  const pid = Number(m[2]);
  return pid === process.pid || !isRunning(pid);
}

/** Removes the leftovers under `dir` (not recursive); returns the names removed. Call at boot only. */
async function sweepDir(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isLeftover(name, prefix)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * At boot, before any request: removes every kind of scratch a crashed process of this host left
 * under the data directory. Returns the removed paths, relative to the data directory.
 */
export async function sweepLeftovers(dataDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const { dir, prefix } of Object.values(SCRATCH)) {
    const [head, , tail] = dir.split('/');
    const dirs =
      tail === undefined ? [dir] : (await readdir(join(dataDir, head)).catch(() => [] as string[])).map((m) => join(head, m, tail));
    for (const d of dirs) for (const name of await sweepDir(join(dataDir, d), prefix)) removed.push(join(d, name));
  }
  return removed;
}
