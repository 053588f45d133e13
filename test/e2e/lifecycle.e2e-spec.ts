import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { JsonLogger } from '../../src/http/json-logger';
import { FakeCore } from './support/fake-core';
import { fakeApp, tempDataDir } from './support/app';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const quietLogger = () => new JsonLogger('silent');

const temp = tempDataDir();
afterAll(() => temp.remove());

describe('startup, readiness and info', () => {
  it('serves liveness at once, answers 503 until the core is ready, then 200', async () => {
    const core = new FakeCore();
    const gate = deferred();
    const app = await createApp({
      config: loadConfig({ BERTH_DATA_DIR: temp.dataDir }),
      coreFactory: async () => {
        await gate.promise;
        return core;
      },
      logger: quietLogger(),
      processMetrics: false,
    });
    await app.getHttpAdapter().getInstance().ready();
    const api = () => request(app.getHttpServer());
    try {
      await api().get('/health/live').expect(200, { status: 'ok' });
      const notReady = await api().get('/health/ready').expect(503);
      expect(notReady.body.error).toMatchObject({ code: 'MODEL_NOT_READY', message: 'the server is still loading its models' });
      await api().get('/v2/health/ready').expect(503);
      expect((await api().post('/v1/classify').send({ inputs: 'a' }).expect(503)).body.error.code).toBe('MODEL_NOT_READY');
      expect((await api().get('/info').expect(200)).body).toMatchObject({ state: 'starting', models: [] });

      gate.resolve();
      await new Promise((r) => setImmediate(r));
      const ready = await api().get('/health/ready').expect(200);
      expect(ready.body.status).toBe('ready');
      expect(ready.body.models).toContainEqual({ name: 'sentiment', status: 'ready', active_version: 1 });
      await api().post('/v1/classify').send({ inputs: 'a' }).expect(200);
    } finally {
      await app.close();
    }
    expect(core.closed).toBe(true);
  });

  it('reports a core that failed to start on /health/ready', async () => {
    const app = await createApp({
      config: loadConfig({ BERTH_DATA_DIR: temp.dataDir }),
      coreFactory: async () => {
        throw new Error('models dir unreadable');
      },
      logger: quietLogger(),
      waitForCore: true,
      processMetrics: false,
    });
    await app.getHttpAdapter().getInstance().ready();
    try {
      const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(res.body.error.message).toContain('models dir unreadable');
      await request(app.getHttpServer()).get('/health/live').expect(200);
    } finally {
      await app.close();
    }
  });

  it('GET /info reports version, limits, batching, defaults and models', async () => {
    const t = await fakeApp({ BERTH_MAX_INPUTS: '7', BERTH_MAX_BATCH_SIZE: '16', BERTH_BATCHING: 'off' });
    try {
      const res = await request(t.app.getHttpServer()).get('/info').expect(200);
      expect(res.body).toMatchObject({
        name: 'berth',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        device: 'cpu',
        state: 'ready',
        limits: { max_inputs_per_request: 7, max_candidate_labels: 32, max_text_chars: 100000 },
        batching: { enabled: false, max_batch_size: 16 },
        defaults: { 'text-classification': 'sentiment', 'zero-shot': 'nli-model' },
      });
      expect(res.body.models).toHaveLength(6);
    } finally {
      await t.app.close();
    }
  });
});

describe('client disconnects and graceful shutdown', () => {
  it('a client that disconnects leaves the core (its request is aborted); the next one is served', async () => {
    const t = await fakeApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const gate = deferred();
    t.core.gate = gate.promise;
    try {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/classify',
        headers: { 'content-type': 'application/json' },
      });
      req.on('error', () => undefined);
      req.end(JSON.stringify({ inputs: 'will hang up' }));
      while (t.core.inFlight() === 0) await new Promise((r) => setTimeout(r, 5));
      req.destroy();
      while (t.core.aborted === 0) await new Promise((r) => setTimeout(r, 5));
      expect(t.core.aborted).toBe(1);
      expect(t.core.inFlight()).toBe(0);
      gate.resolve();
      t.core.gate = undefined;
      await request(t.app.getHttpServer()).post('/v1/classify').send({ inputs: 'next' }).expect(200);
    } finally {
      await t.app.close();
    }
  });

  it('close() lets in-flight requests finish, then closes the core', async () => {
    const t = await fakeApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const gate = deferred();
    t.core.gate = gate.promise;
    const inflight = fetch(`http://127.0.0.1:${port}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ inputs: 'in flight' }),
    });
    while (t.core.inFlight() === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = t.app.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.core.closed).toBe(false);
    gate.resolve();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('sentiment');
    await closing;
    expect(t.core.closed).toBe(true);
  });
});
