import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, cpSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { ensureBuilt, killed, rssBytes, ServerProcess, startServer, stopServer, until } from './support/server-process';

/**
 * Hardening checks that need the server as its own OS process: its memory while clients without a
 * key send large bodies, and what a SIGKILL in the middle of an upload leaves on disk.
 */

const MiB = 1024 * 1024;

/**
 * Sends `total` bytes of `content-type` to `path` without a key, in 1 MiB writes, until the server
 * answers or closes. Returns the status line's code (NaN when the server answered nothing).
 */
function unauthenticatedUpload(port: number, path: string, contentType: string, total: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(MiB, 7);
    let reply = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? NaN));
    };
    socket.on('data', (c: Buffer) => {
      reply += c.toString('utf8');
      if (reply.includes('\r\n\r\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: ${contentType}\r\ncontent-length: ${total}\r\n\r\n`);
      for (let sent = 0; sent < total && !done && socket.writable; sent += MiB) {
        if (!socket.write(chunk)) await new Promise((r) => (socket.once('drain', r), socket.once('close', r)));
      }
    });
  });
}

describe('memory while clients without a key send large bodies (built server)', () => {
  let root: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'berth-memory-'));
    mkdirSync(join(root, 'models'));
  });
  afterAll(async () => {
    await stopServer(server);
    rmSync(root, { recursive: true, force: true });
  });

  it('stays flat (under 48 MiB of growth) through four concurrent 64 MiB bodies, each answered 401', async () => {
    server = await startServer(
      join(root, 'models'),
      join(root, 'data'),
      { BERTH_API_KEYS: 'inference-key-1', BERTH_ADMIN_KEYS: 'admin-key-12345' },
      { ready: false },
    );
    const pid = server.process.pid as number;
    await new Promise((r) => setTimeout(r, 500));
    const baseline = rssBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
    const statuses = await Promise.all([
      unauthenticatedUpload(server.port, '/v1/classify', 'application/octet-stream', 64 * MiB),
      unauthenticatedUpload(server.port, '/v1/classify', 'application/json', 64 * MiB),
      unauthenticatedUpload(server.port, '/v1/models/any/versions', 'application/gzip', 64 * MiB),
      unauthenticatedUpload(server.port, '/v1/files', 'multipart/form-data; boundary=x', 64 * MiB),
    ]);
    clearInterval(sampler);
    peak = Math.max(peak, rssBytes(pid));
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect((peak - baseline) / MiB).toBeLessThan(48);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});

describeWithFixtures('a server killed mid-upload and started again (built server)', () => {
  let root: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'berth-leftovers-'));
    mkdirSync(join(root, 'models'));
    cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
  });
  afterAll(async () => {
    await stopServer(server);
    rmSync(root, { recursive: true, force: true });
  });

  it('sweeps the partial archive and the partial dataset at the next boot', async () => {
    const modelsDir = join(root, 'models');
    const dataDir = join(root, 'data');
    server = await startServer(modelsDir, dataDir);
    const port = server.port;
    // Two uploads that announce more than they send, so they are mid-write when the server dies.
    const partial = (head: string, first: string) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(head + first);
      return socket;
    };
    const archive = partial(
      'POST /v1/models/sentiment/versions HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/gzip\r\ncontent-length: 10000000\r\n\r\n',
      '\x1f\x8b' + 'x'.repeat(4096),
    );
    const boundary = 'berthboundary';
    const dataset = partial(
      `POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: 10000000\r\n\r\n`,
      `--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.csv"\r\ncontent-type: text/csv\r\n\r\ntext,target\n${'a good film,positive\n'.repeat(500)}`,
    );
    const scratch = () => ({
      archives: existsSync(join(dataDir, 'tmp')) ? readdirSync(join(dataDir, 'tmp')) : [],
      uploads: existsSync(join(dataDir, 'files')) ? readdirSync(join(dataDir, 'files')).filter((n) => n.startsWith('.upload-')) : [],
    });
    await until(
      'both uploads to be half-written on disk',
      async () => {
        const s = scratch();
        return s.archives.length === 1 && s.uploads.length === 1 ? s : undefined;
      },
      10_000,
    );

    server.process.kill('SIGKILL');
    await killed(server.process);
    archive.destroy();
    dataset.destroy();
    expect(scratch().archives).toHaveLength(1);
    expect(scratch().uploads).toHaveLength(1);

    server = await startServer(modelsDir, dataDir);
    expect(scratch()).toEqual({ archives: [], uploads: [] });
    expect(server.output()).not.toMatch(/"level":"error"/);
  }, 120_000);
});
