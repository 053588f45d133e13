/**
 * The whole app over the real serving core on the hf-tiny reference models. Expected numbers come
 * from each model's reference.json (PyTorch outputs), computed here independently of the server.
 */
import { InferenceClient } from '@huggingface/inference';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import * as tar from 'tar';
import { createApp } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { JsonLogger } from '../../src/http/json-logger';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

interface Example {
  text: string;
  text_pair?: string;
  single_logits: number[];
}
interface Reference {
  examples: Example[];
}

const MODELS = ['bert-seqcls', 'bert-nli', 'bert-ner', 'bert-qa', 'bert-mlm'] as const;
/** What a served HF layout needs; training references and the duplicate root model.onnx stay behind. */
const SERVED_FILES = new Set([
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'model.safetensors',
  'onnx',
  'model.onnx',
]);

function copyModel(name: string, into: string): void {
  const src = hfTinyDir(name);
  cpSync(src, join(into, name), {
    recursive: true,
    filter: (path) => path === src || SERVED_FILES.has(basename(path)) || path.includes('/onnx/'),
  });
}

function reference(model: string): Reference {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as Reference;
}

function id2label(model: string): string[] {
  const config = JSON.parse(readFileSync(join(hfTinyDir(model), 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  return Object.keys(config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => config.id2label[k]);
}

function softmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** Scores of a `[{label, score}]` list put back in the model's label order. */
function inLabelOrder(labels: { label: string; score: number }[], order: string[]): number[] {
  return order.map((l) => {
    const hit = labels.find((x) => x.label === l);
    if (!hit) throw new Error(`label ${l} missing from ${JSON.stringify(labels)}`);
    return hit.score;
  });
}

function expectClose(actual: number[], expected: number[], tol: number): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i])));
  expect(worst).toBeLessThanOrEqual(tol);
}

describeWithFixtures('the app on the real serving core and the hf-tiny fixtures', () => {
  let app: NestFastifyApplication;
  let base: string;
  let work: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
    const modelsDir = join(work, 'models');
    for (const m of MODELS) copyModel(m, modelsDir);
    const config = loadConfig({
      BERTH_MODELS_DIR: modelsDir,
      BERTH_DATA_DIR: join(work, 'data'),
      BERTH_THREADS: '1',
      BERTH_LOG_LEVEL: 'error',
    });
    app = await createApp({ config, logger: new JsonLogger(config.logLevel), waitForCore: true, processMetrics: true });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is ready with every fixture model loaded', async () => {
    const res = await http().get('/health/ready').expect(200);
    expect(res.body.models.map((m: { name: string; status: string }) => [m.name, m.status]).sort()).toEqual(
      MODELS.map((m) => [m, 'ready']).sort(),
    );
  });

  it('classify with function_to_apply none returns the PyTorch reference logits (1e-4), batched', async () => {
    const ref = reference('bert-seqcls');
    const order = id2label('bert-seqcls');
    const res = await http()
      .post('/v1/classify')
      .send({ model: 'bert-seqcls', inputs: ref.examples.map((e) => e.text), top_k: null, function_to_apply: 'none' })
      .expect(200);
    expect(res.body.results).toHaveLength(ref.examples.length);
    ref.examples.forEach((e, i) => expectClose(inLabelOrder(res.body.results[i].labels, order), e.single_logits, 1e-4));
    expect(res.headers['x-model-name']).toBe('bert-seqcls');
    expect(res.headers['x-model-version']).toBe('1');
    for (const h of ['x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time'])
      expect(Number(res.headers[h])).toBeGreaterThanOrEqual(0);
  });

  it('classify default (softmax, top 1) picks the reference argmax with its softmax score', async () => {
    const ref = reference('bert-seqcls');
    const order = id2label('bert-seqcls');
    const res = await http()
      .post('/v1/classify')
      .send({ model: 'bert-seqcls', inputs: ref.examples.map((e) => e.text) })
      .expect(200);
    ref.examples.forEach((e, i) => {
      const p = softmax(e.single_logits);
      const best = p.indexOf(Math.max(...p));
      expect(res.body.results[i].labels).toHaveLength(1);
      expect(res.body.results[i].labels[0].label).toBe(order[best]);
      expect(Math.abs(res.body.results[i].labels[0].score - p[best])).toBeLessThanOrEqual(1e-5);
    });
  });

  it('NLI pairs return softmax of the reference logits', async () => {
    const ref = reference('bert-nli');
    const order = id2label('bert-nli');
    const res = await http()
      .post('/v1/nli')
      .send({ model: 'bert-nli', inputs: ref.examples.map((e) => ({ premise: e.text, hypothesis: e.text_pair })) })
      .expect(200);
    ref.examples.forEach((e, i) => expectClose(inLabelOrder(res.body.results[i].labels, order), softmax(e.single_logits), 1e-5));
  });

  it('the Hugging Face client gets the reference logits from /models/bert-seqcls', async () => {
    const ref = reference('bert-seqcls');
    const client = new InferenceClient('', { endpointUrl: `${base}/models/bert-seqcls` });
    const out = await client.textClassification({ inputs: ref.examples[0].text, parameters: { function_to_apply: 'none' } });
    expectClose(inLabelOrder(out, id2label('bert-seqcls')), ref.examples[0].single_logits, 1e-4);
  });

  it('the Hugging Face client parses every task answered by the real core', async () => {
    const at = (model: string) => new InferenceClient('', { endpointUrl: `${base}/models/${model}` });
    const ner = await at('bert-ner').tokenClassification({
      inputs: 'John Smith works at Google in London.',
      parameters: { aggregation_strategy: 'simple', ignore_labels: [] },
    });
    expect(ner.length).toBeGreaterThan(0);
    for (const e of ner) expect('John Smith works at Google in London.'.slice(e.start, e.end)).toBe(e.word);
    const context = 'John Smith works at Google in London as an engineer.';
    const qa = await at('bert-qa').questionAnswering({ inputs: { question: 'Where does John work?', context } });
    expect(context.slice(qa.start, qa.end)).toBe(qa.answer);
    const zs = await at('bert-nli').zeroShotClassification({
      inputs: 'The match ended in a draw.',
      parameters: { candidate_labels: ['sport', 'politics'] },
    });
    expect(zs.map((x) => x.label).sort()).toEqual(['politics', 'sport']);
    expect(zs[0].score + zs[1].score).toBeCloseTo(1, 5);
    const fm = await at('bert-mlm').fillMask({ inputs: 'Paris is the [MASK] of France.' });
    expect(fm.length).toBeGreaterThan(0);
    for (const c of fm) expect(c.sequence).not.toContain('[MASK]');
  });

  it('KServe infer returns scores in label order equal to softmax of the reference logits', async () => {
    const ref = reference('bert-seqcls');
    const res = await http()
      .post('/v2/models/bert-seqcls/infer')
      .send({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: [ref.examples[0].text, ref.examples[1].text] }] })
      .expect(200);
    const scores = res.body.outputs.find((o: { name: string }) => o.name === 'scores');
    expect(scores.shape).toEqual([2, 3]);
    expectClose(scores.data, [...softmax(ref.examples[0].single_logits), ...softmax(ref.examples[1].single_logits)], 1e-5);
  });

  it('/v1/ner answers in whole words by default; the Hugging Face route keeps its simple default', async () => {
    // Long words split into several sub-tokens, so token-level grouping can end inside a word.
    const text = 'Lovelace and Babbage corresponded about the Analytical Engine in Marylebone, Westminster and Cambridgeshire.';
    const ner = async (aggregation?: string) =>
      (
        await http()
          .post('/v1/ner')
          .send({ model: 'bert-ner', inputs: text, ignore_labels: [], ...(aggregation ? { aggregation_strategy: aggregation } : {}) })
          .expect(200)
      ).body.results[0] as Array<{ entity_group: string; start: number; end: number; word: string }>;
    const simple = await ner('simple');
    const first = await ner('first');
    // Without a difference between the two strategies on this text, the defaults below prove nothing.
    expect(first).not.toEqual(simple);
    const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);
    // A boundary inside a word has a letter or digit on both sides of it.
    const insideWord = (at: number): boolean => isWordChar(text[at - 1]) && isWordChar(text[at]);
    expect(simple.some((e) => insideWord(e.start) || insideWord(e.end))).toBe(true);

    const byDefault = await ner();
    expect(byDefault).toEqual(first);
    for (const e of byDefault) expect([e.word, insideWord(e.start) || insideWord(e.end)]).toEqual([e.word, false]);
    const hf = await http()
      .post('/models/bert-ner')
      .send({ inputs: text, parameters: { ignore_labels: [] } })
      .expect(200);
    expect(hf.body).toEqual(simple);
  });

  it('NER and QA spans are slices of the caller text', async () => {
    const ner = await http()
      .post('/v1/ner')
      .send({
        model: 'bert-ner',
        inputs: reference('bert-ner').examples.map((e) => e.text),
        aggregation_strategy: 'none',
        ignore_labels: [],
      })
      .expect(200);
    const nerTexts = reference('bert-ner').examples.map((e) => e.text);
    ner.body.results.forEach((entities: { word: string; start: number; end: number }[], i: number) => {
      expect(entities.length).toBeGreaterThan(0);
      for (const e of entities) expect([...nerTexts[i]].slice(e.start, e.end).join('')).toBe(e.word);
    });
    const qaRef = reference('bert-qa').examples;
    const qa = await http()
      .post('/v1/qa')
      .send({ model: 'bert-qa', inputs: qaRef.map((e) => ({ question: e.text, context: e.text_pair })), top_k: 2 })
      .expect(200);
    qa.body.results.forEach((answers: { answer: string; start: number; end: number }[], i: number) => {
      expect(answers.length).toBeGreaterThan(0);
      for (const a of answers) expect([...(qaRef[i].text_pair as string)].slice(a.start, a.end).join('')).toBe(a.answer);
    });
  });

  it('wrong task, unknown model and too many inputs fail cleanly on the real core', async () => {
    expect((await http().post('/v1/classify').send({ model: 'bert-ner', inputs: 'x' }).expect(400)).body.error.code).toBe('WRONG_TASK');
    expect(
      (
        await http()
          .post('/v1/zero-shot')
          .send({ model: 'bert-seqcls', inputs: 'x', candidate_labels: ['a'] })
          .expect(400)
      ).body.error.code,
    ).toBe('WRONG_TASK');
    expect((await http().post('/v1/classify').send({ model: 'nope', inputs: 'x' }).expect(404)).body.error.code).toBe('MODEL_NOT_FOUND');
    const tooMany = Array.from({ length: 65 }, (_, i) => `text ${i}`);
    expect((await http().post('/v1/classify').send({ model: 'bert-seqcls', inputs: tooMany }).expect(400)).body.error.details).toEqual({
      limit: 64,
      received: 65,
    });
    await http().post('/v1/classify').send({ model: 'bert-seqcls', inputs: 'still serving' }).expect(200);
  });

  it('concurrent requests across an upload and activation all succeed, each from the old or new version', async () => {
    // The new version is the same model repackaged as an uploaded archive.
    const archive = join(work, 'seqcls.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: join(work, 'models') }, ['bert-seqcls']);
    const uploaded = await http()
      .post('/v1/models/bert-seqcls/versions')
      .set('content-type', 'application/gzip')
      .send(readFileSync(archive))
      .expect(201);
    const v2 = uploaded.body.version.version as number;
    expect(v2).toBe(2);

    const ref = reference('bert-seqcls');
    const order = id2label('bert-seqcls');
    const fire = (i: number) =>
      http()
        .post('/v1/classify')
        .send({ model: 'bert-seqcls', inputs: ref.examples[i % ref.examples.length].text, top_k: null, function_to_apply: 'none' });
    const before = Array.from({ length: 24 }, (_, i) => fire(i).then((r) => r));
    const activation = http()
      .post(`/v1/models/bert-seqcls/versions/${v2}/activate`)
      .then((r) => r);
    const after = Array.from({ length: 24 }, (_, i) => fire(i + 24).then((r) => r));
    const [activated, ...responses] = await Promise.all([activation, ...before, ...after]);
    expect(activated.status).toBe(200);
    expect(activated.body.active_version).toBe(v2);
    const versions = new Set<number>();
    responses.forEach((r, i) => {
      expect(r.status).toBe(200);
      versions.add(r.body.version);
      expectClose(inLabelOrder(r.body.results[0].labels, order), ref.examples[i % ref.examples.length].single_logits, 1e-4);
    });
    for (const v of versions) expect([1, v2]).toContain(v);
    const now = await fire(0).expect(200);
    expect(now.body.version).toBe(v2);
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/berth_model_active_version\{model="bert-seqcls"\} 2/);
    expect(metrics).toMatch(/berth_model_swaps_total\{model="bert-seqcls"\} 1/);
    // The core's observer hooks reach the metrics: batches, real tokens and queue times.
    const value = (re: RegExp) => Number(metrics.match(re)?.[1] ?? NaN);
    expect(value(/^berth_batch_size_count\{model="bert-seqcls"\} (\S+)$/m)).toBeGreaterThan(0);
    expect(value(/^berth_tokens_total\{model="bert-seqcls"\} (\S+)$/m)).toBeGreaterThan(0);
    expect(value(/^berth_queue_duration_seconds_count\{model="bert-seqcls"\} (\S+)$/m)).toBeGreaterThan(0);
    expect(value(/^berth_model_load_duration_seconds_count\{model="bert-seqcls"\} (\S+)$/m)).toBe(2);
  });
});
