import request from 'supertest';
import { fakeApp, TestApp } from './support/app';

/**
 * The bad-input matrix of every-endpoint.e2e-spec.ts, for the two other dialects: the Hugging
 * Face alias (`POST /models/{model}`) and KServe v2 (`POST /v2/models/{model}/infer`), per task.
 * Each failure must answer the one JSON error shape, and the app must keep serving after it.
 */

const LIMITS = { BERTH_MAX_TEXT_CHARS: '20', BERTH_MAX_INPUTS: '2', BERTH_MAX_CANDIDATE_LABELS: '3', BERTH_BODY_LIMIT_BYTES: '4096' };

function expectErrorShape(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String), details: expect.any(Object) } },
  });
}

/** A fill-mask text from `t` (an empty `t` stays empty, to test empty input). */
const withMask = (t: string) => (t === '' ? t : `${t} [MASK]`);

/** Per task: a model, how to build a valid HF body from texts, and a model of another task. */
const HF_TASKS = [
  {
    task: 'text-classification',
    model: 'sentiment',
    body: (t: string) => ({ inputs: t }),
    pipeline: 'text-classification',
    otherModel: 'ner-model',
  },
  {
    task: 'zero-shot-classification',
    model: 'nli-model',
    body: (t: string) => ({ inputs: t, parameters: { candidate_labels: ['x', 'y'] } }),
    pipeline: 'zero-shot-classification',
    otherModel: 'sentiment',
  },
  {
    task: 'token-classification',
    model: 'ner-model',
    body: (t: string) => ({ inputs: t }),
    pipeline: 'token-classification',
    otherModel: 'qa-model',
  },
  {
    task: 'question-answering',
    model: 'qa-model',
    body: (t: string) => ({ inputs: { question: 'q', context: t } }),
    pipeline: 'question-answering',
    otherModel: 'sentiment',
  },
  { task: 'fill-mask', model: 'mlm', body: (t: string) => ({ inputs: withMask(t) }), pipeline: 'fill-mask', otherModel: 'encoder' },
  { task: 'feature-extraction', model: 'encoder', body: (t: string) => ({ inputs: t }), pipeline: 'feature-extraction', otherModel: 'mlm' },
];

describe.each(HF_TASKS)('Hugging Face alias, $task: POST /models/$model', ({ model, body, pipeline, otherModel }) => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const path = `/models/${model}`;

  beforeAll(async () => {
    t = await fakeApp(LIMITS);
  });
  afterAll(() => t.app.close());
  afterEach(async () => {
    await http().post(path).send(body('still here')).expect(200);
  });

  it('serves one input and a batch, with timing headers', async () => {
    const one = await http().post(path).send(body('a')).expect(200);
    for (const h of ['x-model-name', 'x-model-version', 'x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time']) {
      expect(one.headers[h]).toBeDefined();
    }
    const single = body('a') as { inputs: unknown };
    const batch = await http()
      .post(path)
      .send({ ...single, inputs: [single.inputs, (body('b') as { inputs: unknown }).inputs] })
      .expect(200);
    expect(Array.isArray(batch.body)).toBe(true);
    expect(batch.body).toHaveLength(2);
  });

  it('malformed JSON → 400', async () => {
    expectErrorShape(await http().post(path).set('content-type', 'application/json').send('{"inputs": ['), 400, 'INVALID_INPUT');
  });

  it('wrong types → 400', async () => {
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body('a'), inputs: 42 }),
      400,
      'INVALID_INPUT',
    );
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body('a'), parameters: 'top' }),
      400,
      'INVALID_INPUT',
    );
    expectErrorShape(
      await http()
        .post(path)
        .send([body('a')]),
      400,
      'INVALID_INPUT',
    );
  });

  it('empty, oversize and too many inputs → 400, 413, 400; an oversize body → 413', async () => {
    expectErrorShape(await http().post(path).send(body('')), 400, 'INVALID_INPUT');
    expectErrorShape(await http().post(path).send({ inputs: [] }), 400, 'INVALID_INPUT');
    const long = await http()
      .post(path)
      .send(body('x'.repeat(21)));
    expectErrorShape(long, 413, 'INPUT_TOO_LONG');
    expect(long.body.error.details).toMatchObject({ limit: 20, received: expect.any(Number) });
    const single = (body('a') as { inputs: unknown }).inputs;
    const tooMany = await http()
      .post(path)
      .send({ ...body('a'), inputs: [single, single, single] });
    expectErrorShape(tooMany, 400, 'INVALID_INPUT');
    expect(tooMany.body.error.details).toEqual({ limit: 2, received: 3 });
    expectErrorShape(
      await http()
        .post(path)
        .send({ ...body('a'), options: { pad: 'y'.repeat(5000) } }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('unknown model → 404; a pipeline the model does not serve → 400 naming its task', async () => {
    expectErrorShape(await http().post('/models/no-such-model').send(body('a')), 404, 'MODEL_NOT_FOUND');
    await http().post(`${path}/pipeline/${pipeline}`).send(body('a')).expect(200);
    const wrong = await http().post(`/models/${otherModel}/pipeline/${pipeline}`).send(body('a'));
    expectErrorShape(wrong, 400, 'WRONG_TASK');
    expect(wrong.body.error.details.model).toBe(otherModel);
  });
});

const bytes = (data: unknown[], name = 'text') => ({ name, datatype: 'BYTES', shape: [data.length], data });

/** Per task: a model and its KServe inputs for a list of texts. */
const KSERVE_TASKS = [
  { task: 'text-classification', model: 'sentiment', inputs: (ts: string[]) => [bytes(ts)], parameters: {} },
  {
    task: 'zero-shot-classification',
    model: 'nli-model',
    inputs: (ts: string[]) => [bytes(ts)],
    parameters: { candidate_labels: ['x', 'y'] },
  },
  { task: 'token-classification', model: 'ner-model', inputs: (ts: string[]) => [bytes(ts)], parameters: {} },
  {
    task: 'question-answering',
    model: 'qa-model',
    inputs: (ts: string[]) => [
      bytes(
        ts.map(() => 'q'),
        'question',
      ),
      bytes(ts, 'context'),
    ],
    parameters: {},
  },
  { task: 'fill-mask', model: 'mlm', inputs: (ts: string[]) => [bytes(ts.map(withMask))], parameters: {} },
  { task: 'feature-extraction', model: 'encoder', inputs: (ts: string[]) => [bytes(ts)], parameters: {} },
];

describe.each(KSERVE_TASKS)('KServe v2, $task: POST /v2/models/$model/infer', ({ model, inputs, parameters }) => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const path = `/v2/models/${model}/infer`;
  const body = (ts: string[]) => ({ parameters, inputs: inputs(ts) });

  beforeAll(async () => {
    t = await fakeApp(LIMITS);
  });
  afterAll(() => t.app.close());
  afterEach(async () => {
    await http()
      .post(path)
      .send(body(['still here']))
      .expect(200);
  });

  it('serves a batch with timing headers', async () => {
    const res = await http()
      .post(path)
      .send(body(['a', 'b']))
      .expect(200);
    expect(res.body.model_name).toBe(model);
    expect(res.body.outputs.length).toBeGreaterThan(0);
    for (const o of res.body.outputs as { shape: number[] }[]) expect(o.shape[0]).toBe(2);
    expect(res.headers['x-total-time']).toBeDefined();
  });

  it('malformed JSON and wrong types → 400', async () => {
    expectErrorShape(await http().post(path).set('content-type', 'application/json').send('{"inputs": ['), 400, 'INVALID_INPUT');
    expectErrorShape(await http().post(path).send({ inputs: 'text' }), 400, 'INVALID_INPUT');
    expectErrorShape(
      await http()
        .post(path)
        .send({ parameters, inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [7] }] }),
      400,
      'INVALID_INPUT',
    );
  });

  it('empty, oversize and too many inputs → 400, 413, 400', async () => {
    expectErrorShape(
      await http()
        .post(path)
        .send(body([''])),
      400,
      'INVALID_INPUT',
    );
    expectErrorShape(
      await http()
        .post(path)
        .send(body(['x'.repeat(21)])),
      413,
      'INPUT_TOO_LONG',
    );
    const tooMany = await http()
      .post(path)
      .send(body(['a', 'b', 'c']));
    expectErrorShape(tooMany, 400, 'INVALID_INPUT');
    expect(tooMany.body.error.details).toEqual({ limit: 2, received: 3 });
  });

  it('unknown model → 404', async () => {
    expectErrorShape(
      await http()
        .post('/v2/models/no-such-model/infer')
        .send(body(['a'])),
      404,
      'MODEL_NOT_FOUND',
    );
  });
});

describe('too many candidate labels, in every dialect', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const four = ['a', 'b', 'c', 'd'];

  beforeAll(async () => {
    t = await fakeApp(LIMITS);
  });
  afterAll(() => t.app.close());
  afterEach(async () => {
    await http()
      .post('/v1/zero-shot')
      .send({ inputs: 'x', candidate_labels: ['a', 'b', 'c'] })
      .expect(200);
  });

  it.each([
    ['/v1/zero-shot', { inputs: 'x', candidate_labels: four }],
    ['/models/nli-model', { inputs: 'x', parameters: { candidate_labels: four } }],
    ['/models/nli-model', { inputs: 'x', parameters: { candidate_labels: four.join(', ') } }],
    ['/models/nli-model/pipeline/zero-shot-classification', { inputs: 'x', parameters: { candidate_labels: four } }],
    ['/v2/models/nli-model/infer', { parameters: { candidate_labels: four }, inputs: [bytes(['x'])] }],
  ])('%s → 400 with the limit', async (path, body) => {
    const res = await http().post(path).send(body);
    expectErrorShape(res, 400, 'INVALID_INPUT');
    expect(res.body.error.details).toEqual({ limit: 3, received: 4 });
    expect(
      t.core.calls.filter((c) => c.method === 'zeroShot' && (c.params as { candidate_labels: string[] }).candidate_labels.length > 3),
    ).toHaveLength(0);
  });
});
