import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { fakeApp, TestApp } from './support/app';
import { HF_LAYOUT_ENTRIES as HF_FILES, tarGz } from './support/tar-builder';

/**
 * What a hostile or unlucky client can do to the server over real HTTP on 127.0.0.1: bodies sent
 * without a key, bodies trickled, bodies that stop halfway, too many connections, JSON nested to
 * overflow a stack, archives with a tail of compressed zeros. Every wait is bounded.
 */

const INFERENCE_KEY = 'inference-key-1';
const ADMIN_KEY = 'admin-key-12345';
const REQUEST_TIMEOUT_MS = 1500;
const MAX_CONNECTIONS = 40;

interface RawExchange {
  socket: Socket;
  /** Everything the server sent, once it closed the connection or `waitMs` passed. */
  reply(waitMs: number): Promise<{ text: string; closed: boolean }>;
}

/** Opens a raw connection and sends `head` (request line and headers); the body is the caller's. */
function rawRequest(port: number, head: string): RawExchange {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  socket.write(head);
  return {
    socket,
    reply: async (waitMs) => {
      const end = Date.now() + waitMs;
      while (!closed && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      return { text, closed };
    },
  };
}

function head(method: string, path: string, headers: Record<string, string | number>): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? NaN);
}

function jsonBodyOf(raw: string): { error: { code: string; message: string } } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
}

describe('a hostile or unlucky client (fake core, real HTTP on 127.0.0.1)', () => {
  let t: TestApp;
  let port: number;
  const http = () => request(t.app.getHttpServer());
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  beforeAll(async () => {
    t = await fakeApp({
      BERTH_API_KEYS: INFERENCE_KEY,
      BERTH_ADMIN_KEYS: ADMIN_KEY,
      BERTH_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      BERTH_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.app.close());

  it('checks the key and the scope from the headers alone, before any of the body arrives', async () => {
    const cases = [
      { path: '/v1/classify', type: 'application/json', key: undefined, status: 401 },
      { path: '/v1/classify', type: 'application/octet-stream', key: undefined, status: 401 },
      { path: '/v1/models/sentiment/versions', type: 'application/gzip', key: undefined, status: 401 },
      { path: '/v1/models/sentiment/versions', type: 'application/gzip', key: INFERENCE_KEY, status: 403 },
      { path: '/v1/files', type: 'multipart/form-data; boundary=x', key: INFERENCE_KEY, status: 403 },
    ];
    for (const c of cases) {
      // 256 MiB announced, none sent: only an answer from the headers can come back.
      const exchange = rawRequest(
        port,
        head('POST', c.path, {
          'content-type': c.type,
          'content-length': 268_435_456,
          ...(c.key ? { authorization: `Bearer ${c.key}` } : {}),
        }),
      );
      const { text, closed } = await exchange.reply(2000);
      exchange.socket.destroy();
      expect([c.path, statusOf(text)]).toEqual([c.path, c.status]);
      expect(jsonBodyOf(text).error.code).toBe(c.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
      // The connection is closed instead of reading the body the client still means to send.
      expect(closed).toBe(true);
    }
  });

  it('lets a client that is still sending read its early 401, instead of resetting the connection (lingering close)', async () => {
    // The client sends 8 MiB of an announced 64 MiB without a key and reads nothing for 300 ms.
    // The server answers 401 from the headers with 8 MiB of body unread: closing at once would
    // send a reset, and the kernel would drop the 401 the client had not read yet.
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    await new Promise<void>((r) => socket.once('connect', r));
    socket.pause();
    socket.write(head('POST', '/v1/classify', { 'content-type': 'application/octet-stream', 'content-length': 64 * 1024 * 1024 }));
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 8; i++) socket.write(chunk);
    await new Promise((r) => setTimeout(r, 300));
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.resume();
    const end = Date.now() + 5000;
    while (!text.includes('\r\n\r\n') && error === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    socket.destroy();
    expect(error).toBeUndefined();
    expect(statusOf(text)).toBe(401);
    expect(text.toLowerCase()).toContain('connection: close');
  });

  it('takes only application/json on JSON routes (415 for forms, text and archives), and archives only where they are uploaded', async () => {
    const auth = { authorization: `Bearer ${INFERENCE_KEY}` };
    const form = await http().post('/v1/classify').set(auth).type('form').send('inputs=hello').expect(415);
    expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    await http().post('/v1/classify').set(auth).set('content-type', 'text/plain').send('{"inputs":"a"}').expect(415);
    await http()
      .post('/v1/classify')
      .set(auth)
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from('{"inputs":"a"}'))
      .expect(415);
    await http().post('/v1/fine_tuning/jobs').set(admin).type('form').send('model=sentiment&training_file=x').expect(415);
    // The same bodies as JSON are read as before.
    await http().post('/v1/classify').set(auth).set('content-type', 'application/json; charset=utf-8').send('{"inputs":"a"}').expect(200);
  });

  it('answers JSON nested 300,000 levels deep with 400, and keeps serving', async () => {
    const auth = { authorization: `Bearer ${INFERENCE_KEY}` };
    const deep = `{"inputs": ${'['.repeat(300_000)}${']'.repeat(300_000)}}`;
    const res = await http().post('/v1/classify').set(auth).set('content-type', 'application/json').send(deep).expect(400);
    expect(res.body).toEqual({
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('nested more than 64 levels'), details: { limit: 64 } },
    });
    // Strings that merely contain brackets are not nesting.
    await http()
      .post('/v1/classify')
      .set(auth)
      .send({ inputs: '['.repeat(1000) })
      .expect(200);
  });

  it('cuts off a body trickled one byte at a time with 408 and closes the connection', async () => {
    const exchange = rawRequest(
      port,
      head('POST', '/v1/classify', { authorization: `Bearer ${INFERENCE_KEY}`, 'content-type': 'application/json', 'content-length': 200 }),
    );
    const started = Date.now();
    const trickle = setInterval(() => exchange.socket.writable && exchange.socket.write(' '), 200);
    const { text, closed } = await exchange.reply(REQUEST_TIMEOUT_MS + 5000);
    clearInterval(trickle);
    exchange.socket.destroy();
    expect(statusOf(text)).toBe(408);
    expect(jsonBodyOf(text).error.code).toBe('REQUEST_TIMEOUT');
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
  });

  it('closes connections past BERTH_MAX_CONNECTIONS as they arrive, and serves again once they go', async () => {
    const extra = 5;
    const sockets = await Promise.all(
      Array.from(
        { length: MAX_CONNECTIONS + extra },
        () =>
          new Promise<{ socket: Socket; closedEarly: () => boolean }>((resolve) => {
            const socket = connect(port, '127.0.0.1');
            let closed = false;
            socket.on('error', () => undefined);
            socket.on('close', () => (closed = true));
            socket.on('connect', () => resolve({ socket, closedEarly: () => closed }));
          }),
      ),
    );
    // Well before any timeout: the server has refused exactly the connections past its limit.
    await new Promise((r) => setTimeout(r, 400));
    expect(sockets.filter((s) => s.closedEarly()).length).toBe(extra);
    for (const s of sockets) s.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    await http().get('/health/live').expect(200);
  });

  it('logs a client that leaves mid-body at info, not as an unhandled error', async () => {
    const before = t.logs.length;
    const exchange = rawRequest(
      port,
      head('POST', '/v1/classify', {
        authorization: `Bearer ${INFERENCE_KEY}`,
        'content-type': 'application/json',
        'content-length': 1000,
      }),
    );
    exchange.socket.write('{"inputs": "half');
    await new Promise((r) => setTimeout(r, 100));
    exchange.socket.destroy();
    const end = Date.now() + 3000;
    const lines = () => t.logs.slice(before).map((l) => JSON.parse(l) as { level: string; msg: string });
    while (Date.now() < end && !lines().some((l) => l.msg === 'the client closed the connection'))
      await new Promise((r) => setTimeout(r, 25));
    expect(lines()).toContainEqual(expect.objectContaining({ level: 'info', msg: 'the client closed the connection' }));
    expect(lines().filter((l) => l.level === 'error')).toEqual([]);
  });

  it('refuses an archive with a tail of compressed zeros quickly, and /health/live answers within 1 s throughout', async () => {
    // A valid archive followed, inside the gzip stream, by 256 MiB of zeros: about 260 kB sent.
    const tar = gunzipSync(tarGz(HF_FILES));
    const body = gzipSync(Buffer.concat([tar, Buffer.alloc(256 * 1024 * 1024)]), { level: 9 });
    expect(body.length).toBeLessThan(1024 * 1024);
    const base = `http://127.0.0.1:${port}`;
    let uploading = true;
    const upload = fetch(`${base}/v1/models/sentiment/versions`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/gzip' },
      body,
    }).finally(() => (uploading = false));
    const health: number[] = [];
    while (uploading) {
      const started = Date.now();
      const res = await fetch(`${base}/health/live`);
      health.push(Date.now() - started);
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await upload;
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: { code: string; message: string } };
    expect(answer.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('follow the end of the archive') });
    expect(health.length).toBeGreaterThan(0);
    expect(Math.max(...health)).toBeLessThan(1000);
    // Nothing was registered, and nothing is left in the scratch directory.
    expect(t.core.imported).toEqual([]);
  });
});
