import request from 'supertest';
import { fakeApp, TestApp } from './support/app';

/** Each JSON inference route with a valid body, the field carrying text, and a model of another task. */
const ENDPOINTS = [
  { path: '/v1/classify', body: { inputs: 'a' }, otherTask: 'ner-model' },
  { path: '/v1/nli', body: { inputs: { premise: 'a', hypothesis: 'b' } }, otherTask: 'sentiment' },
  { path: '/v1/zero-shot', body: { inputs: 'a', candidate_labels: ['x', 'y'] }, otherTask: 'sentiment' },
  { path: '/v1/ner', body: { inputs: 'a' }, otherTask: 'sentiment' },
  { path: '/v1/qa', body: { inputs: { question: 'q', context: 'c' } }, otherTask: 'ner-model' },
  { path: '/v1/embeddings', body: { inputs: 'a' }, otherTask: 'qa-model' },
  { path: '/v1/fill-mask', body: { inputs: 'a [MASK]' }, otherTask: 'encoder' },
];

const TASK_OF: Record<string, string> = {
  'ner-model': 'token-classification',
  sentiment: 'text-classification',
  'qa-model': 'question-answering',
  encoder: 'feature-extraction',
};

function expectErrorShape(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String), details: expect.any(Object) } },
  });
}

describe.each(ENDPOINTS)('$path', ({ path, body, otherTask }) => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({ BERTH_MAX_TEXT_CHARS: '20', BERTH_MAX_INPUTS: '2' });
  });
  afterAll(() => t.app.close());
  afterEach(async () => {
    // The app keeps serving after every failure.
    await http().post(path).send(body).expect(200);
  });

  it('serves a valid request with timing headers', async () => {
    const res = await http().post(path).send(body).expect(200);
    expect(Array.isArray(res.body.results)).toBe(true);
    for (const h of ['x-model-name', 'x-model-version', 'x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time']) {
      expect(res.headers[h]).toBeDefined();
    }
  });

  it('malformed JSON → 400', async () => {
    expectErrorShape(await http().post(path).set('content-type', 'application/json').send('{"inputs": ['), 400, 'INVALID_INPUT');
  });

  it('wrong types → 400 naming inputs', async () => {
    const res = await http()
      .post(path)
      .send({ ...body, inputs: 42 });
    expectErrorShape(res, 400, 'INVALID_INPUT');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain('inputs');
    expectErrorShape(await http().post(path).send([body]), 400, 'INVALID_INPUT');
  });

  it('empty and oversize texts → 400 and 413; too many inputs → 400', async () => {
    const first = Object.keys(typeof body.inputs === 'string' ? {} : body.inputs)[0];
    const withText = (text: string) => (typeof body.inputs === 'string' ? text : { ...(body.inputs as object), [first]: text });
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body, inputs: withText('') }),
      400,
      'INVALID_INPUT',
    );
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body, inputs: withText('x'.repeat(21)) }),
      413,
      'INPUT_TOO_LONG',
    );
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body, inputs: [body.inputs, body.inputs, body.inputs] }),
      400,
      'INVALID_INPUT',
    );
  });

  it('unknown model → 404; a model of another task → 400 naming its task', async () => {
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body, model: 'no-such-model' }),
      404,
      'MODEL_NOT_FOUND',
    );
    const wrong = await http()
      .post(path)
      .send({ ...body, model: otherTask });
    expectErrorShape(wrong, 400, 'WRONG_TASK');
    expect(wrong.body.error.message).toContain(TASK_OF[otherTask]);
  });
});
