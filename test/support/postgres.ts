import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster for tests: Debian's `postgresql` package, `initdb` into a
 * temporary directory, one server on a free loopback port, removed afterwards. PostgreSQL
 * refuses to run as root, so as root every command runs as the `postgres` user the package
 * creates. Tests that need it skip with a printed reason when the package is not installed
 * (`.ci/run` installs it).
 */

const PG_LIB = '/usr/lib/postgresql';

/** The newest installed server's bin directory, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB)
    .filter((v) => existsSync(join(PG_LIB, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(PG_LIB, versions[0], 'bin') : undefined;
}

/** `describe` when PostgreSQL is installed, otherwise `describe.skip` with the reason printed once. */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (postgresBinDir()) {
    describe(name, fn);
    return;
  }
  console.warn(`skipping "${name}": PostgreSQL is not installed (Debian package "postgresql")`);
  describe.skip(name, fn);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  /** `postgres://berth@127.0.0.1:<port>/berth` (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  /** Stops the server, keeping its data (`start` brings it back on the same port). */
  stop(): void;
  start(): void;
  /** Stops the server and removes the cluster. */
  destroy(): void;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package "postgresql")');
  const asRoot = userInfo().uid === 0;
  const root = mkdtempSync(join(tmpdir(), 'berth-pg-'));
  const data = join(root, 'data');
  const port = await freePort();
  if (asRoot) {
    // The postgres user must own the cluster and be able to reach it.
    chmodSync(root, 0o755);
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const run = (tool: string, args: string[]): void => {
    const command = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
    const result = spawnSync(command, argv, { encoding: 'utf8', cwd: root });
    if (result.status !== 0) throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'berth', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = (): void => run('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']);
  const stop = (): void => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'berth', 'berth']);
  let destroyed = false;
  return {
    url: `postgres://berth@127.0.0.1:${port}/berth`,
    port,
    stop,
    start,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      try {
        stop();
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
