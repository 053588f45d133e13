import { InferenceClient } from '@huggingface/inference';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { FakeCore } from './support/fake-core';
import { fakeApp, TestApp } from './support/app';

const KEY = 'inference-key-0001';

describe('Hugging Face Inference API compatibility: POST /models/{model}', () => {
  let t: TestApp;
  let base: string;
  const http = () => request(t.app.getHttpServer());
  const client = (model: string) => new InferenceClient(KEY, { endpointUrl: `${base}/models/${model}` });
  const lastCall = () => t.core.calls[t.core.calls.length - 1];

  beforeAll(async () => {
    t = await fakeApp({ BERTH_API_KEYS: KEY });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t.app.close());

  describe('with the official @huggingface/inference client as endpointUrl', () => {
    it('textClassification: every label, best first, from the nested [[...]] answer', async () => {
      const out = await client('sentiment').textClassification({ inputs: 'I like it' });
      const scores = FakeCore.scores('I like it', 3);
      const expected = ['negative', 'neutral', 'positive']
        .map((label, i) => ({ label, score: scores[i] }))
        .sort((a, b) => b.score - a.score);
      expect(out).toEqual(expected);
      expect(lastCall().params).toEqual({ top_k: null, function_to_apply: undefined });
    });

    it('textClassification passes top_k and function_to_apply', async () => {
      const out = await client('sentiment').textClassification({
        inputs: 'I like it',
        parameters: { top_k: 1, function_to_apply: 'sigmoid' },
      });
      expect(out).toHaveLength(1);
      expect(lastCall().params).toEqual({ top_k: 1, function_to_apply: 'sigmoid' });
    });

    it('tokenClassification: a flat list of entities with entity_group', async () => {
      const out = await client('ner-model').tokenClassification({ inputs: 'Ada wrote', parameters: { aggregation_strategy: 'simple' } });
      expect(out).toEqual([{ entity_group: 'PER', score: 0.9, word: 'Ada', start: 0, end: 3 }]);
      expect(lastCall().params).toEqual({ aggregation_strategy: 'simple' });
      const raw = await client('ner-model').tokenClassification({ inputs: 'Ada wrote', parameters: { aggregation_strategy: 'none' } });
      expect(raw[0]).toMatchObject({ entity: 'B-PER', entity_group: 'PER', index: 1 });
    });

    it('questionAnswering: one {answer, score, start, end}', async () => {
      const out = await client('qa-model').questionAnswering({ inputs: { question: 'who?', context: 'Ada wrote code' } });
      expect(out).toEqual({ answer: 'Ada', score: 0.5, start: 0, end: 3 });
    });

    it('zeroShotClassification: [{label, score}] best first', async () => {
      const out = await client('nli-model').zeroShotClassification({
        inputs: 'the match ended',
        parameters: { candidate_labels: ['sport', 'politics', 'food'], multi_label: false },
      });
      expect(out).toHaveLength(3);
      expect(out.map((x) => x.label).sort()).toEqual(['food', 'politics', 'sport']);
      for (let i = 1; i < out.length; i++) expect(out[i - 1].score).toBeGreaterThanOrEqual(out[i].score);
      expect(lastCall().params).toEqual({
        candidate_labels: ['sport', 'politics', 'food'],
        hypothesis_template: undefined,
        multi_label: false,
      });
    });

    it('fillMask: the candidates', async () => {
      const out = await client('mlm').fillMask({ inputs: 'Paris is the [MASK] of France.' });
      expect(out).toHaveLength(5);
      expect(out[0]).toEqual({ score: 0.5, token: 1000, token_str: 'w0', sequence: 'Paris is the w0 of France.' });
    });

    it('featureExtraction: the pooled vector', async () => {
      const out = await client('encoder').featureExtraction({ inputs: 'abc' });
      expect(out).toEqual([3, 1, 0.5]);
    });

    it('errors reach the client as errors', async () => {
      await expect(client('nope').textClassification({ inputs: 'x' })).rejects.toThrow();
      await expect(
        new InferenceClient('wrong-key-000000', { endpointUrl: `${base}/models/sentiment` }).textClassification({ inputs: 'x' }),
      ).rejects.toThrow();
    });
  });

  describe('shapes for batches and parameters (raw HTTP)', () => {
    const auth = { authorization: `Bearer ${KEY}` };

    it('text classification: one list per input, pairs accepted', async () => {
      const res = await http()
        .post('/models/sentiment')
        .set(auth)
        .send({ inputs: ['a', { text: 'b', text_pair: 'c' }] })
        .expect(200);
      expect(res.body).toHaveLength(2);
      expect(res.body[0]).toHaveLength(3);
      expect(res.headers['x-model-name']).toBe('sentiment');
      expect(res.headers['x-total-time']).toBeDefined();
    });

    it('token classification: a list of lists for an array', async () => {
      const res = await http()
        .post('/models/ner-model')
        .set(auth)
        .send({ inputs: ['Ada x', 'Bo y'] })
        .expect(200);
      expect(res.body.map((e: { word: string }[]) => e[0].word)).toEqual(['Ada', 'Bo']);
    });

    it('question answering: a list when top_k > 1; every QA parameter passes through', async () => {
      const parameters = {
        top_k: 2,
        doc_stride: 16,
        max_answer_len: 5,
        max_seq_len: 64,
        max_question_len: 8,
        handle_impossible_answer: false,
      };
      const res = await http()
        .post('/models/qa-model')
        .set(auth)
        .send({ inputs: { question: 'q', context: 'one two' }, parameters })
        .expect(200);
      expect(res.body).toHaveLength(2);
      expect(lastCall().params).toEqual(parameters);
    });

    it('zero-shot accepts comma-separated labels and a template', async () => {
      await http()
        .post('/models/nli-model')
        .set(auth)
        .send({ inputs: 'x', parameters: { candidate_labels: 'a, b', hypothesis_template: 'It is {}.' } })
        .expect(200);
      expect(lastCall().params).toEqual({ candidate_labels: ['a', 'b'], hypothesis_template: 'It is {}.', multi_label: undefined });
    });

    it('an NLI model without candidate_labels classifies a pair', async () => {
      const res = await http()
        .post('/models/nli-model')
        .set(auth)
        .send({ inputs: { text: 'p', text_pair: 'h' } })
        .expect(200);
      expect(res.body[0]).toHaveLength(3);
      expect(lastCall().method).toBe('classify');
    });

    it('/pipeline/{task} checks the task against the model', async () => {
      await http()
        .post('/models/nli-model/pipeline/zero-shot-classification')
        .set(auth)
        .send({ inputs: 'x', parameters: { candidate_labels: ['a'] } })
        .expect(200);
      const wrong = await http().post('/models/sentiment/pipeline/token-classification').set(auth).send({ inputs: 'x' }).expect(400);
      expect(wrong.body.error).toMatchObject({ code: 'WRONG_TASK', details: { task: 'text-classification' } });
      // candidate_labels for a model that is not NLI: the wrong task, named.
      const notNli = await http()
        .post('/models/sentiment')
        .set(auth)
        .send({ inputs: 'x', parameters: { candidate_labels: ['a'] } })
        .expect(400);
      expect(notNli.body.error).toMatchObject({ code: 'WRONG_TASK', details: { model: 'sentiment', task: 'text-classification' } });
      const unknown = await http().post('/models/sentiment/pipeline/translation').set(auth).send({ inputs: 'x' }).expect(400);
      expect(unknown.body.error.code).toBe('INVALID_INPUT');
    });

    it.each([
      ['missing inputs', 'sentiment', {}],
      ['empty string', 'sentiment', { inputs: '' }],
      ['number inputs', 'ner-model', { inputs: 5 }],
      ['QA without context', 'qa-model', { inputs: { question: 'q' } }],
      ['bad parameter type', 'sentiment', { inputs: 'a', parameters: { top_k: 'x' } }],
      ['unknown parameter', 'ner-model', { inputs: 'a', parameters: { foo: 1 } }],
      ['zero-shot with empty labels', 'nli-model', { inputs: 'a', parameters: { candidate_labels: [] } }],
      ['unknown body field', 'sentiment', { inputs: 'a', extra: 1 }],
    ])('400 on %s', async (_, model, body) => {
      const res = await http().post(`/models/${model}`).set(auth).send(body).expect(400);
      expect(res.body.error.code).toBe('INVALID_INPUT');
    });

    it('404 for an unknown model; 400 for an invalid model name', async () => {
      const res = await http().post('/models/unknown-model').set(auth).send({ inputs: 'a' }).expect(404);
      expect(res.body.error.code).toBe('MODEL_NOT_FOUND');
      await http().post('/models/bad%20name').set(auth).send({ inputs: 'a' }).expect(400);
    });
  });
});
