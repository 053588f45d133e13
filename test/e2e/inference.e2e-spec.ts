import request from 'supertest';
import { FakeCore } from './support/fake-core';
import { fakeApp, TestApp } from './support/app';

describe('/v1 inference endpoints (fake core)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({ BERTH_MAX_INPUTS: '4', BERTH_MAX_TEXT_CHARS: '50', BERTH_MAX_CANDIDATE_LABELS: '3' });
  });
  afterAll(async () => {
    await t.app.close();
  });
  beforeEach(() => {
    t.core.calls.length = 0;
  });

  const lastCall = () => t.core.calls[t.core.calls.length - 1];

  function expectTimingHeaders(res: request.Response, model: string): void {
    expect(res.headers['x-model-name']).toBe(model);
    expect(res.headers['x-model-version']).toBe('1');
    expect(res.headers['x-tokenization-time']).toBe('0.25');
    expect(res.headers['x-queue-time']).toBe('0.5');
    expect(res.headers['x-inference-time']).toBe('1.25');
    expect(res.headers['x-total-time']).toBe('2.5');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  }

  describe('POST /v1/classify', () => {
    it('classifies one text with the default model and answers with the envelope and timing headers', async () => {
      const res = await http().post('/v1/classify').send({ inputs: 'good movie' }).expect(200);
      const scores = FakeCore.scores('good movie', 3);
      const best = Math.max(...scores);
      expect(res.body).toEqual({
        model: 'sentiment',
        version: 1,
        results: [{ labels: [{ label: ['negative', 'neutral', 'positive'][scores.indexOf(best)], score: best }], truncated: false }],
      });
      expectTimingHeaders(res, 'sentiment');
      expect(lastCall()).toEqual({
        method: 'classify',
        model: undefined,
        inputs: ['good movie'],
        params: { top_k: undefined, function_to_apply: undefined },
      });
    });

    it('passes batches, pairs, top_k and function_to_apply through', async () => {
      const res = await http()
        .post('/v1/classify')
        .send({ model: 'sentiment', inputs: ['a', { text: 'b', text_pair: 'c' }], top_k: null, function_to_apply: 'none' })
        .expect(200);
      expect(res.body.results).toHaveLength(2);
      expect(res.body.results[0].labels).toHaveLength(3);
      expect(lastCall().inputs).toEqual(['a', { text: 'b', text_pair: 'c' }]);
      expect(lastCall().params).toEqual({ top_k: null, function_to_apply: 'none' });
      await http().post('/v1/classify').send({ inputs: 'a', top_k: 2 }).expect(200);
      expect(lastCall().params).toEqual({ top_k: 2, function_to_apply: undefined });
    });

    it.each([
      ['empty string', { inputs: '' }, 'inputs'],
      ['empty array', { inputs: [] }, 'inputs'],
      ['number', { inputs: 3 }, 'inputs'],
      ['array with an empty string', { inputs: ['a', ''] }, 'inputs'],
      ['pair with an unknown key', { inputs: { text: 'a', other: 'b' } }, 'inputs'],
      ['missing inputs', {}, 'inputs'],
      ['bad top_k', { inputs: 'a', top_k: 0 }, 'top_k'],
      ['string top_k', { inputs: 'a', top_k: '2' }, 'top_k'],
      ['bad function_to_apply', { inputs: 'a', function_to_apply: 'tanh' }, 'function_to_apply'],
      ['unknown field', { inputs: 'a', temperature: 1 }, 'temperature'],
      ['bad model name', { inputs: 'a', model: '../etc' }, 'model'],
    ])('400 on %s, naming the field', async (_, body, field) => {
      const res = await http().post('/v1/classify').send(body).expect(400);
      expect(res.body.error.code).toBe('INVALID_INPUT');
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
      expect(t.core.calls).toHaveLength(0);
    });

    it('400 beyond the client batch cap, 413 beyond the character limit', async () => {
      const tooMany = await http()
        .post('/v1/classify')
        .send({ inputs: ['a', 'b', 'c', 'd', 'e'] })
        .expect(400);
      expect(tooMany.body.error).toMatchObject({ code: 'INVALID_INPUT', details: { limit: 4, received: 5 } });
      const tooLong = await http()
        .post('/v1/classify')
        .send({ inputs: ['a', 'x'.repeat(51)] })
        .expect(413);
      expect(tooLong.body.error).toMatchObject({ code: 'INPUT_TOO_LONG', details: { field: 'inputs[1]', limit: 50, received: 51 } });
      // Code points, not UTF-16 units: 50 emoji are 100 units but within the limit.
      await http()
        .post('/v1/classify')
        .send({ inputs: '😀'.repeat(50) })
        .expect(200);
      const pairTooLong = await http()
        .post('/v1/classify')
        .send({ inputs: { text: 'a', text_pair: 'y'.repeat(60) } })
        .expect(413);
      expect(pairTooLong.body.error.details.field).toBe('inputs[0].text_pair');
    });

    it('404 for an unknown model, 400 naming the task for a model of another task', async () => {
      const missing = await http().post('/v1/classify').send({ model: 'nope', inputs: 'a' }).expect(404);
      expect(missing.body.error.code).toBe('MODEL_NOT_FOUND');
      const wrong = await http().post('/v1/classify').send({ model: 'ner-model', inputs: 'a' }).expect(400);
      expect(wrong.body.error).toMatchObject({ code: 'WRONG_TASK', details: { model: 'ner-model', task: 'token-classification' } });
      expect(wrong.body.error.message).toContain('token-classification');
    });
  });

  describe('POST /v1/nli', () => {
    it('scores premise/hypothesis pairs', async () => {
      const res = await http()
        .post('/v1/nli')
        .send({
          inputs: [
            { premise: 'p', hypothesis: 'h' },
            { premise: 'p2', hypothesis: 'h2' },
          ],
        })
        .expect(200);
      expect(res.body.model).toBe('nli-model');
      expect(res.body.results).toHaveLength(2);
      expect(res.body.results[0].labels.map((l: { label: string }) => l.label).sort()).toEqual(['contradiction', 'entailment', 'neutral']);
      expectTimingHeaders(res, 'nli-model');
    });
    it('rejects a pair missing its hypothesis, and a non-NLI model', async () => {
      await http()
        .post('/v1/nli')
        .send({ inputs: { premise: 'p' } })
        .expect(400);
      const res = await http()
        .post('/v1/nli')
        .send({ model: 'sentiment', inputs: { premise: 'p', hypothesis: 'h' } })
        .expect(400);
      expect(res.body.error.code).toBe('WRONG_TASK');
    });
  });

  describe('POST /v1/zero-shot', () => {
    it('passes candidate labels, template and multi_label', async () => {
      const body = { inputs: 'the match', candidate_labels: ['sport', 'politics'], hypothesis_template: 'About {}.', multi_label: true };
      const res = await http().post('/v1/zero-shot').send(body).expect(200);
      expect(res.body.results[0].sequence).toBe('the match');
      expect(res.body.results[0].labels.sort()).toEqual(['politics', 'sport']);
      expect(lastCall().params).toEqual({ candidate_labels: ['sport', 'politics'], hypothesis_template: 'About {}.', multi_label: true });
    });
    it('400 on too many, empty, duplicate labels and a template without {}', async () => {
      const tooMany = await http()
        .post('/v1/zero-shot')
        .send({ inputs: 'x', candidate_labels: ['a', 'b', 'c', 'd'] })
        .expect(400);
      expect(tooMany.body.error.details).toEqual({ limit: 3, received: 4 });
      await http().post('/v1/zero-shot').send({ inputs: 'x', candidate_labels: [] }).expect(400);
      await http()
        .post('/v1/zero-shot')
        .send({ inputs: 'x', candidate_labels: ['a', ''] })
        .expect(400);
      await http()
        .post('/v1/zero-shot')
        .send({ inputs: 'x', candidate_labels: ['a', 'a'] })
        .expect(400);
      const tpl = await http()
        .post('/v1/zero-shot')
        .send({ inputs: 'x', candidate_labels: ['a'], hypothesis_template: 'no slot' })
        .expect(400);
      expect(tpl.body.error.details.fields[0].field).toBe('hypothesis_template');
      expect(t.core.calls).toHaveLength(0);
    });
  });

  describe('POST /v1/ner', () => {
    it('returns entities per input and passes every parameter', async () => {
      const res = await http()
        .post('/v1/ner')
        .send({ inputs: ['Ada Lovelace', 'Bob'], aggregation_strategy: 'none', ignore_labels: ['O', 'MISC'], stride: 16 })
        .expect(200);
      expect(res.body.results).toEqual([
        [{ entity_group: 'PER', entity: 'B-PER', index: 1, score: 0.9, word: 'Ada', start: 0, end: 3 }],
        [{ entity_group: 'PER', entity: 'B-PER', index: 1, score: 0.9, word: 'Bob', start: 0, end: 3 }],
      ]);
      expect(lastCall().params).toEqual({ aggregation_strategy: 'none', ignore_labels: ['O', 'MISC'], stride: 16 });
    });
    it('400 on an unknown aggregation strategy and a negative stride', async () => {
      await http().post('/v1/ner').send({ inputs: 'x', aggregation_strategy: 'longest' }).expect(400);
      await http().post('/v1/ner').send({ inputs: 'x', stride: -1 }).expect(400);
    });
  });

  describe('POST /v1/qa', () => {
    it('answers with spans and passes every parameter', async () => {
      const params = {
        top_k: 2,
        doc_stride: 32,
        max_answer_len: 10,
        max_seq_len: 64,
        max_question_len: 16,
        handle_impossible_answer: true,
      };
      const res = await http()
        .post('/v1/qa')
        .send({ inputs: { question: 'who?', context: 'Ada wrote code' }, ...params })
        .expect(200);
      expect(res.body.results).toEqual([
        [
          { answer: 'Ada', score: 0.5, start: 0, end: 3 },
          { answer: 'wrote', score: 0.25, start: 4, end: 9 },
        ],
      ]);
      expect(lastCall().params).toEqual(params);
    });
    it('400 on a missing context and a non-integer top_k', async () => {
      await http()
        .post('/v1/qa')
        .send({ inputs: { question: 'q' } })
        .expect(400);
      await http()
        .post('/v1/qa')
        .send({ inputs: { question: 'q', context: 'c' }, top_k: 1.5 })
        .expect(400);
    });
    it('doc_stride 0 (windows without overlap) is allowed, a negative one is not; max_answer_len and max_seq_len have floors', async () => {
      await http()
        .post('/v1/qa')
        .send({ inputs: { question: 'q', context: 'c' }, doc_stride: 0 })
        .expect(200);
      expect(lastCall().params).toMatchObject({ doc_stride: 0 });
      for (const bad of [
        { doc_stride: -1 },
        { max_answer_len: 0 },
        { max_seq_len: 4 },
        { max_question_len: 0 },
        { handle_impossible_answer: 'yes' },
      ]) {
        const res = await http()
          .post('/v1/qa')
          .send({ inputs: { question: 'q', context: 'c' }, ...bad })
          .expect(400);
        expect(res.body.error.details.fields[0].field).toBe(Object.keys(bad)[0]);
      }
    });
  });

  describe('POST /v1/embeddings and /v1/fill-mask', () => {
    it('embeds with pooling and normalize', async () => {
      const res = await http()
        .post('/v1/embeddings')
        .send({ inputs: ['ab'], pooling: 'none', normalize: true })
        .expect(200);
      expect(res.body.results[0].embedding).toEqual([
        [2, 1],
        [2, 2],
      ]);
      expect(lastCall().params).toEqual({ pooling: 'none', normalize: true });
      await http().post('/v1/embeddings').send({ inputs: 'ab', pooling: 'max' }).expect(400);
    });
    it('fills the mask with top_k candidates; a text without a mask is a 400 from the core', async () => {
      const res = await http().post('/v1/fill-mask').send({ inputs: 'a [MASK] b', top_k: 2 }).expect(200);
      expect(res.body.results[0]).toHaveLength(2);
      expect(res.body.results[0][0]).toEqual({ score: 0.5, token: 1000, token_str: 'w0', sequence: 'a w0 b' });
      const noMask = await http().post('/v1/fill-mask').send({ inputs: 'a b' }).expect(400);
      expect(noMask.body.error.code).toBe('INVALID_INPUT');
    });
  });
});
