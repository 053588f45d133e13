import request from 'supertest';
import { FakeCore } from './support/fake-core';
import { fakeApp, TestApp } from './support/app';

const text = (data: unknown[], name = 'text', shape = [data.length]) => ({ name, datatype: 'BYTES', shape, data });

describe('KServe v2 / Open Inference Protocol (fake core)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const lastCall = () => t.core.calls[t.core.calls.length - 1];

  beforeAll(async () => {
    t = await fakeApp();
  });
  afterAll(() => t.app.close());

  it('health, server and model metadata', async () => {
    expect((await http().get('/v2/health/live').expect(200)).body).toEqual({ live: true });
    expect((await http().get('/v2/health/ready').expect(200)).body).toEqual({ ready: true });
    expect((await http().get('/v2').expect(200)).body).toMatchObject({ name: 'berth', extensions: [] });
    const meta = await http().get('/v2/models/sentiment').expect(200);
    expect(meta.body).toEqual({
      name: 'sentiment',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'text', datatype: 'BYTES', shape: [-1] },
        { name: 'text_pair', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'scores', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
    expect((await http().get('/v2/models/sentiment/ready').expect(200)).body).toEqual({ name: 'sentiment', ready: true });
    await http().get('/v2/models/sentiment/versions/1').expect(200);
    expect((await http().get('/v2/models/sentiment/versions/7').expect(404)).body.error.code).toBe('VERSION_NOT_FOUND');
    expect((await http().get('/v2/models/nope').expect(404)).body.error.code).toBe('MODEL_NOT_FOUND');
  });

  it('classification: label and scores in the model label order', async () => {
    const res = await http()
      .post('/v2/models/sentiment/infer')
      .send({ id: 'r1', inputs: [text(['good', 'terrible!'])] })
      .expect(200);
    const s0 = FakeCore.scores('good', 3);
    const s1 = FakeCore.scores('terrible!', 3);
    const labels = ['negative', 'neutral', 'positive'];
    expect(res.body).toEqual({
      model_name: 'sentiment',
      model_version: '1',
      id: 'r1',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [2], data: [labels[s0.indexOf(Math.max(...s0))], labels[s1.indexOf(Math.max(...s1))]] },
        { name: 'scores', datatype: 'FP32', shape: [2, 3], data: [...s0, ...s1] },
      ],
    });
    expect(res.headers['x-model-version']).toBe('1');
    expect(lastCall().params).toEqual({ top_k: null, function_to_apply: undefined });
  });

  it('text pairs, [n,1] shapes, nested data, parameters and requested outputs', async () => {
    const res = await http()
      .post('/v2/models/nli-model/versions/1/infer')
      .send({
        parameters: { function_to_apply: 'none' },
        inputs: [text([['p1'], ['p2']], 'text', [2, 1]), text(['h1', 'h2'], 'text_pair')],
        outputs: [{ name: 'scores' }],
      })
      .expect(200);
    expect(res.body.outputs.map((o: { name: string }) => o.name)).toEqual(['scores']);
    expect(lastCall().inputs).toEqual([
      { text: 'p1', text_pair: 'h1' },
      { text: 'p2', text_pair: 'h2' },
    ]);
    expect(lastCall().params).toEqual({ top_k: null, function_to_apply: 'none' });
  });

  it('zero-shot on an NLI model with candidate_labels', async () => {
    const res = await http()
      .post('/v2/models/nli-model/infer')
      .send({ parameters: { candidate_labels: ['a', 'b'] }, inputs: [text(['x'])] })
      .expect(200);
    expect(res.body.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).toEqual([
      ['labels', [1, 2]],
      ['scores', [1, 2]],
    ]);
    const notNli = await http()
      .post('/v2/models/sentiment/infer')
      .send({ parameters: { candidate_labels: ['a', 'b'] }, inputs: [text(['x'])] })
      .expect(400);
    expect(notNli.body.error).toMatchObject({ code: 'WRONG_TASK', details: { model: 'sentiment', task: 'text-classification' } });
  });

  it('NER, QA, fill-mask and embeddings tensors', async () => {
    const ner = await http()
      .post('/v2/models/ner-model/infer')
      .send({ inputs: [text(['Ada x'])] })
      .expect(200);
    expect(JSON.parse(ner.body.outputs[0].data[0])).toEqual([{ entity_group: 'PER', score: 0.9, word: 'Ada', start: 0, end: 3 }]);
    const qa = await http()
      .post('/v2/models/qa-model/infer')
      .send({ inputs: [text(['who?'], 'question'), text(['Ada wrote'], 'context')] })
      .expect(200);
    expect(qa.body.outputs).toEqual([
      { name: 'answer', datatype: 'BYTES', shape: [1], data: ['Ada'] },
      { name: 'score', datatype: 'FP32', shape: [1], data: [0.5] },
      { name: 'start', datatype: 'INT64', shape: [1], data: [0] },
      { name: 'end', datatype: 'INT64', shape: [1], data: [3] },
    ]);
    const fm = await http()
      .post('/v2/models/mlm/infer')
      .send({ parameters: { top_k: 2 }, inputs: [text(['a [MASK]'])] })
      .expect(200);
    expect(JSON.parse(fm.body.outputs[0].data[0])).toHaveLength(2);
    const emb = await http()
      .post('/v2/models/encoder/infer')
      .send({ inputs: [text(['ab', 'abc'])] })
      .expect(200);
    expect(emb.body.outputs[0]).toEqual({ name: 'embedding', datatype: 'FP32', shape: [2, 3], data: [2, 1, 0.5, 3, 1, 0.5] });
  });

  it.each([
    ['shape and data disagree', { inputs: [text(['a', 'b'], 'text', [3])] }],
    ['non-BYTES datatype', { inputs: [{ name: 'text', datatype: 'FP32', shape: [1], data: [1] }] }],
    ['empty string', { inputs: [text([''])] }],
    ['unknown input', { inputs: [text(['a']), text(['b'], 'other')] }],
    ['missing text', { inputs: [text(['a'], 'text_pair')] }],
    ['duplicate input', { inputs: [text(['a']), text(['b'])] }],
    ['unknown output', { inputs: [text(['a'])], outputs: [{ name: 'logits' }] }],
    ['no inputs', { inputs: [] }],
    ['malformed tensor', { inputs: [{ name: 'text' }] }],
    ['pair length mismatch', { inputs: [text(['a', 'b']), text(['c'], 'text_pair')] }],
  ])('400 on %s', async (_, body) => {
    const res = await http().post('/v2/models/sentiment/infer').send(body).expect(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
  });

  it('a version that is not active is refused with 409; an unknown one with 404', async () => {
    t.core.models.get('sentiment')!.info.versions.push({ version: 2, source: 'imported', created_at: '', size_bytes: 1 });
    const res = await http()
      .post('/v2/models/sentiment/versions/2/infer')
      .send({ inputs: [text(['a'])] })
      .expect(409);
    expect(res.body.error).toMatchObject({ code: 'CONFLICT', details: { active_version: 1, requested_version: 2 } });
    await http()
      .post('/v2/models/sentiment/versions/9/infer')
      .send({ inputs: [text(['a'])] })
      .expect(404);
  });
});
