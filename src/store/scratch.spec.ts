import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeftover, SCRATCH, scratchName, sweepLeftovers } from './scratch';

/** The pid of a process that has exited (a fresh one, so not reused yet). */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  return pid as number;
}

const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_');
const named = (prefix: string, pid: number, suffix = '', on = host) => `${prefix}${on}~${pid}~0123456789ab${suffix}`;

describe('scratch names and the boot sweep', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'berth-scratch-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('names scratch after this host and process', () => {
    const name = scratchName('.upload-', '.csv');
    expect(name).toMatch(new RegExp(`^\\.upload-${host.replace(/\./g, '\\.')}~${process.pid}~[0-9a-f]{12}\\.csv$`));
    // At boot, this process's own pid means a previous life (a container's pid 1 again).
    expect(isLeftover(name, '.upload-')).toBe(true);
  });

  it('tells a dead process from a live one, and leaves other hosts and other names alone', () => {
    expect(isLeftover(named('archive-', deadPid()), 'archive-')).toBe(true);
    expect(isLeftover(named('archive-', process.ppid), 'archive-')).toBe(false);
    expect(isLeftover(named('archive-', deadPid(), '', 'another-host'), 'archive-')).toBe(false);
    expect(isLeftover('archive-notes.txt', 'archive-')).toBe(false);
    expect(isLeftover(named('.upload-', deadPid()), 'archive-')).toBe(false);
  });

  it('removes what crashed processes left in every scratch place, and nothing else', async () => {
    const dead = deadPid();
    const tmp = join(dataDir, SCRATCH.archive.dir);
    const files = join(dataDir, SCRATCH.upload.dir);
    const versions = join(dataDir, 'models', 'sentiment', 'versions');
    for (const d of [tmp, files, versions]) mkdirSync(d, { recursive: true });
    mkdirSync(join(tmp, named('archive-', dead)));
    writeFileSync(join(tmp, named('archive-', dead), 'upload.tar.gz'), 'partial');
    mkdirSync(join(tmp, named('archive-', process.ppid)));
    writeFileSync(join(files, named('.upload-', dead, '.csv')), 'text,target\n');
    writeFileSync(join(files, 'file-abc.csv'), 'kept');
    mkdirSync(join(versions, named('.import-', dead)));
    mkdirSync(join(versions, '2'));

    const removed = await sweepLeftovers(dataDir);
    expect(removed.sort()).toEqual(
      [
        join('tmp', named('archive-', dead)),
        join('files', named('.upload-', dead, '.csv')),
        join('models', 'sentiment', 'versions', named('.import-', dead)),
      ].sort(),
    );
    expect(readdirSync(tmp)).toEqual([named('archive-', process.ppid)]);
    expect(readdirSync(files)).toEqual(['file-abc.csv']);
    expect(readdirSync(versions)).toEqual(['2']);
  });

  it('is quiet on a fresh data directory', async () => {
    expect(await sweepLeftovers(join(dataDir, 'not-there'))).toEqual([]);
  });
});
