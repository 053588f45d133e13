import request from 'supertest';
import { DomainError } from '../../src/errors/domain-error';
import { FormatError } from '../../src/engine/errors';
import { fakeApp, TestApp } from './support/app';

function expectErrorShape(body: unknown, code: string): void {
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

describe('errors over HTTP (fake core)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({ BERTH_BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => {
    await t.app.close();
  });
  afterEach(async () => {
    t.core.failWith = undefined;
    t.core.overloaded = false;
    // The app keeps serving after every failure.
    await http().post('/v1/classify').send({ inputs: 'still here' }).expect(200);
  });

  it('malformed JSON is a 400 with the error shape', async () => {
    const res = await http().post('/v1/classify').set('content-type', 'application/json').send('{"inputs": "a",').expect(400);
    expectErrorShape(res.body, 'INVALID_INPUT');
  });

  it('a body over BERTH_BODY_LIMIT_BYTES is a 413', async () => {
    const res = await http()
      .post('/v1/classify')
      .send({ inputs: 'x'.repeat(4000) })
      .expect(413);
    expectErrorShape(res.body, 'PAYLOAD_TOO_LARGE');
  });

  it('an unsupported content type is a 415', async () => {
    const res = await http().post('/v1/classify').set('content-type', 'application/xml').send('<a/>').expect(415);
    expectErrorShape(res.body, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown route is a 404 with the error shape', async () => {
    const res = await http().get('/v1/nothing-here').expect(404);
    expectErrorShape(res.body, 'NOT_FOUND');
    const wrongMethod = await http().get('/v1/classify').expect(404);
    expectErrorShape(wrongMethod.body, 'NOT_FOUND');
  });

  it('overload is a 429 with Retry-After, never a 503', async () => {
    t.core.overloaded = true;
    const res = await http().post('/v1/classify').send({ inputs: 'a' }).expect(429);
    expectErrorShape(res.body, 'OVERLOADED');
    expect(res.headers['retry-after']).toBe('2');
  });

  it('an unknown error is a 500 (never a 4xx), logged with its stack, without leaking its message', async () => {
    t.core.failWith = new TypeError('secret internal detail');
    const res = await http().post('/v1/classify').send({ inputs: 'a' }).expect(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL', message: 'internal server error', details: {} } });
    const logged = t.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
    expect(logged).toMatchObject({ level: 'error', err: 'secret internal detail' });
    expect(logged.stack).toContain('TypeError');
  });

  it.each([
    ['MODEL_NOT_READY', 503],
    ['MODEL_LOAD_FAILED', 422],
    ['CONFLICT', 409],
    ['VERSION_NOT_FOUND', 404],
    ['FORBIDDEN', 403],
    ['INTERNAL', 500],
  ] as const)('domain code %s maps to %i', async (code, status) => {
    t.core.failWith = new DomainError(code, `a ${code} error`, { k: 1 });
    const res = await http().post('/v1/classify').send({ inputs: 'a' }).expect(status);
    expect(res.body).toEqual({ error: { code, message: `a ${code} error`, details: { k: 1 } } });
  });

  it('an engine format error is a 422 naming the file', async () => {
    t.core.failWith = new FormatError('config.json', 'no architectures');
    const res = await http().post('/v1/classify').send({ inputs: 'a' }).expect(422);
    expect(res.body.error).toEqual({ code: 'INVALID_MODEL_FILE', message: 'config.json: no architectures', details: {} });
  });

  it('echoes a sane x-request-id, replaces an unsafe one, and logs one JSON line per request', async () => {
    t.logs.length = 0;
    const res = await http().post('/v1/classify').set('x-request-id', 'abc-123').send({ inputs: 'a' }).expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const unsafe = await http().get('/health/live').set('x-request-id', 'bad id\twith spaces').expect(200);
    expect(unsafe.headers['x-request-id']).not.toBe('bad id\twith spaces');
    const lines = t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(lines[0]).toMatchObject({
      level: 'info',
      request_id: 'abc-123',
      method: 'POST',
      route: '/v1/classify',
      status: 200,
      model: 'sentiment',
    });
    expect(typeof lines[0].ms).toBe('number');
    expect(lines).toHaveLength(2);
  });
});
