import request from 'supertest';
import { fakeApp, TestApp } from './support/app';

/** BERTH_ROLE=worker: a fleet worker answers only its health and metrics; every other route is 404. */
describe('a process with BERTH_ROLE=worker (fake core)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({ BERTH_ROLE: 'worker' });
  });
  afterAll(() => t.app.close());

  it('serves /health/live, /health/ready and /metrics', async () => {
    await http().get('/health/live').expect(200);
    await http().get('/health/ready').expect(200);
    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.text).toContain('berth_');
  });

  it.each([
    ['post', '/v1/classify'],
    ['get', '/v1/models'],
    ['get', '/v1/files'],
    ['get', '/v1/fine_tuning/jobs'],
    ['get', '/v2/health/live'],
    ['get', '/info'],
    ['get', '/docs'],
  ] as const)('answers %s %s with 404 and says why', async (method, path) => {
    const res = await http()
      [method](path)
      .send(method === 'post' ? { inputs: 'a' } : undefined)
      .expect(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', details: { role: 'worker' } });
  });
});

describe('a process with BERTH_ROLE=api (fake core)', () => {
  let t: TestApp;
  afterAll(() => t.app.close());

  it('serves inference and the admin routes', async () => {
    t = await fakeApp({ BERTH_ROLE: 'api' });
    await request(t.app.getHttpServer()).post('/v1/classify').send({ inputs: 'a' }).expect(200);
    await request(t.app.getHttpServer()).get('/v1/models').expect(200);
  });
});
