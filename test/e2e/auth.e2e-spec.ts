import request from 'supertest';
import { fakeApp, TestApp } from './support/app';

const INFERENCE_KEY = 'inference-key-0001';
const ADMIN_KEY = 'admin-key-00000001';

/** Every route alias with the scope it needs. */
const ROUTES: { method: 'get' | 'post'; path: string; body?: object; scope: 'inference' | 'admin' | 'public' | 'metrics' }[] = [
  { method: 'post', path: '/v1/classify', body: { inputs: 'a' }, scope: 'inference' },
  { method: 'post', path: '/v1/nli', body: { inputs: { premise: 'a', hypothesis: 'b' } }, scope: 'inference' },
  { method: 'post', path: '/v1/zero-shot', body: { inputs: 'a', candidate_labels: ['x'] }, scope: 'inference' },
  { method: 'post', path: '/v1/ner', body: { inputs: 'a' }, scope: 'inference' },
  { method: 'post', path: '/v1/qa', body: { inputs: { question: 'q', context: 'c' } }, scope: 'inference' },
  { method: 'post', path: '/v1/embeddings', body: { inputs: 'a' }, scope: 'inference' },
  { method: 'post', path: '/v1/fill-mask', body: { inputs: 'a [MASK]' }, scope: 'inference' },
  { method: 'post', path: '/models/sentiment', body: { inputs: 'a' }, scope: 'inference' },
  { method: 'post', path: '/models/sentiment/pipeline/text-classification', body: { inputs: 'a' }, scope: 'inference' },
  { method: 'get', path: '/v2', scope: 'inference' },
  { method: 'get', path: '/v2/models/sentiment', scope: 'inference' },
  { method: 'get', path: '/v2/models/sentiment/ready', scope: 'inference' },
  { method: 'get', path: '/v2/models/sentiment/versions/1', scope: 'inference' },
  {
    method: 'post',
    path: '/v2/models/sentiment/infer',
    body: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['a'] }] },
    scope: 'inference',
  },
  {
    method: 'post',
    path: '/v2/models/sentiment/versions/1/infer',
    body: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['a'] }] },
    scope: 'inference',
  },
  { method: 'get', path: '/v1/models', scope: 'inference' },
  { method: 'get', path: '/v1/models/sentiment', scope: 'inference' },
  { method: 'get', path: '/info', scope: 'inference' },
  { method: 'post', path: '/v1/models/sentiment/versions/1/activate', scope: 'admin' },
  { method: 'get', path: '/health/live', scope: 'public' },
  { method: 'get', path: '/health/ready', scope: 'public' },
  { method: 'get', path: '/v2/health/live', scope: 'public' },
  { method: 'get', path: '/v2/health/ready', scope: 'public' },
  { method: 'get', path: '/metrics', scope: 'metrics' },
  { method: 'get', path: '/metrics/summary', scope: 'metrics' },
  { method: 'get', path: '/v1/auth/whoami', scope: 'public' },
];

function call(t: TestApp, r: (typeof ROUTES)[number], key?: string): request.Test {
  let req = request(t.app.getHttpServer())[r.method](r.path);
  if (key) req = req.set('authorization', `Bearer ${key}`);
  return r.body ? req.send(r.body) : req;
}

describe('auth off (no keys configured)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fakeApp();
  });
  afterAll(() => t.app.close());

  it.each(ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]))('%s is open', async (_, r) => {
    const res = await call(t, r);
    expect(res.status).toBeLessThan(300);
  });
});

describe('auth on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fakeApp({ BERTH_API_KEYS: INFERENCE_KEY, BERTH_ADMIN_KEYS: ADMIN_KEY });
  });
  afterAll(() => t.app.close());

  const guarded = ROUTES.filter((r) => r.scope === 'inference' || r.scope === 'admin');

  it.each(guarded.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]))('%s: 401 without a key and with an unknown key', async (_, r) => {
    const none = await call(t, r).expect(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const unknown = await call(t, r, 'not-a-real-key-123').expect(401);
    expect(unknown.body.error.code).toBe('UNAUTHORIZED');
  });

  it.each(guarded.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]))('%s: inference key per scope, admin key always', async (_, r) => {
    const withInference = await call(t, r, INFERENCE_KEY);
    if (r.scope === 'admin') {
      expect(withInference.status).toBe(403);
      expect(withInference.body.error.code).toBe('FORBIDDEN');
    } else {
      expect(withInference.status).toBeLessThan(300);
    }
    const withAdmin = await call(t, r, ADMIN_KEY);
    expect(withAdmin.status).toBeLessThan(300);
  });

  it.each(ROUTES.filter((r) => r.scope === 'public' || r.scope === 'metrics').map((r) => [r.path, r]))(
    '%s stays public by default',
    async (_, r) => {
      await call(t, r).expect(200);
    },
  );

  it('the model upload route needs an admin key', async () => {
    const http = () => request(t.app.getHttpServer());
    await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').send(Buffer.from('x')).expect(401);
    const forbidden = await http()
      .post('/v1/models/sentiment/versions')
      .set('authorization', `Bearer ${INFERENCE_KEY}`)
      .set('content-type', 'application/gzip')
      .send(Buffer.from('x'))
      .expect(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
  });

  it('the docs are public by default', async () => {
    await request(t.app.getHttpServer()).get('/docs-json').expect(200);
    await request(t.app.getHttpServer()).get('/docs').expect(200);
  });
});

describe('auth on with private metrics and docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fakeApp({
      BERTH_API_KEYS: INFERENCE_KEY,
      BERTH_ADMIN_KEYS: ADMIN_KEY,
      BERTH_PUBLIC_METRICS: 'false',
      BERTH_PUBLIC_DOCS: 'false',
    });
  });
  afterAll(() => t.app.close());

  it('metrics and docs need a key; health stays public', async () => {
    const http = () => request(t.app.getHttpServer());
    await http().get('/metrics').expect(401);
    await http().get('/metrics').set('authorization', `Bearer ${INFERENCE_KEY}`).expect(200);
    const docs = await http().get('/docs-json').expect(401);
    expect(docs.body.error.code).toBe('UNAUTHORIZED');
    await http().get('/docs').expect(401);
    await http().get('/docs-json').set('authorization', `Bearer ${ADMIN_KEY}`).expect(200);
    await http().get('/health/ready').expect(200);
  });
});
