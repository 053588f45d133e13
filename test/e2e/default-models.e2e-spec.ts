/**
 * The default models shipped in `models/`, served by the real app as `npm start` serves them.
 * Each is asked a few inputs whose answer any reader knows; the inputs were written before the
 * models were trained, and the test fails on a wrong label, entity or span.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import type { Answer, Entity, LabelScore } from '../../src/serving/contracts';
import { JsonLogger } from '../../src/http/json-logger';

const MODELS_DIR = resolve(__dirname, '..', '..', 'models');
const SHIPPED = [
  'berth-mini',
  'berth-mini-ner',
  'berth-mini-nli',
  'berth-mini-qa',
  'berth-mini-sentiment',
  'berth-mini-sentiment-distilled',
];
const REVIEWS = [
  'A wonderful film: a moving story, brilliant acting and a beautiful score. I loved every minute of it.',
  'A boring, badly acted mess. The worst film I have seen this year and a complete waste of time.',
];

describe('the shipped default models over HTTP', () => {
  let app: NestFastifyApplication;
  let dataDir: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-defaults-'));
    const config = loadConfig({ BERTH_MODELS_DIR: MODELS_DIR, BERTH_DATA_DIR: dataDir, BERTH_THREADS: '1', BERTH_LOG_LEVEL: 'error' });
    app = await createApp({ config, logger: new JsonLogger(config.logLevel), waitForCore: true, processMetrics: false });
    await app.getHttpAdapter().getInstance().ready();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ships exactly the encoder, the four task models and the distilled sentiment student, and serves them all', async () => {
    expect(readdirSync(MODELS_DIR).sort()).toEqual(SHIPPED);
    const ready = await http().get('/health/ready').expect(200);
    expect(ready.body.models.map((m: { name: string; status: string }) => [m.name, m.status]).sort()).toEqual(
      SHIPPED.map((m) => [m, 'ready']),
    );
    const list = await http().get('/v1/models').expect(200);
    const tasks = Object.fromEntries(list.body.data.map((m: { name: string; task: string }) => [m.name, m.task]));
    expect(tasks).toEqual({
      'berth-mini': 'fill-mask',
      'berth-mini-sentiment': 'text-classification',
      'berth-mini-sentiment-distilled': 'text-classification',
      'berth-mini-nli': 'text-classification',
      'berth-mini-ner': 'token-classification',
      'berth-mini-qa': 'question-answering',
    });
  });

  it('sentiment: a clearly positive and a clearly negative review, with the default model', async () => {
    const res = await http()
      .post('/v1/classify')
      .send({
        inputs: REVIEWS,
      })
      .expect(200);
    expect(res.body.model).toBe('berth-mini-sentiment');
    const [positive, negative] = res.body.results.map((r: { labels: LabelScore[] }) => r.labels[0]);
    expect(positive.label).toBe('positive');
    expect(negative.label).toBe('negative');
    expect(positive.score).toBeGreaterThan(0.5);
    expect(negative.score).toBeGreaterThan(0.5);
  });

  it('sentiment: the distilled student, asked by name, labels the same reviews the same way', async () => {
    const res = await http().post('/v1/classify').send({ model: 'berth-mini-sentiment-distilled', inputs: REVIEWS }).expect(200);
    expect(res.body.model).toBe('berth-mini-sentiment-distilled');
    expect(res.body.results.map((r: { labels: LabelScore[] }) => r.labels[0].label)).toEqual(['positive', 'negative']);
  });

  it('NLI: an entailed and a contradicted hypothesis', async () => {
    const premise = 'A man is playing a guitar on a stage in front of a crowd.';
    const res = await http()
      .post('/v1/nli')
      .send({
        model: 'berth-mini-nli',
        inputs: [
          { premise, hypothesis: 'A man is playing music.' },
          { premise, hypothesis: 'The man is sleeping in his bed.' },
        ],
      })
      .expect(200);
    const best = res.body.results.map((r: { labels: LabelScore[] }) => r.labels.reduce((a, b) => (b.score > a.score ? b : a)).label);
    expect(best).toEqual(['entailment', 'contradiction']);
  });

  it('NER: a sentence with a person and a city', async () => {
    const text = 'John Smith flew to London on Monday.';
    const res = await http().post('/v1/ner').send({ inputs: text, aggregation_strategy: 'simple' }).expect(200);
    expect(res.body.model).toBe('berth-mini-ner');
    const entities: Entity[] = res.body.results[0];
    const found = entities.map((e) => [e.entity_group, e.word]);
    expect(found).toContainEqual(['PER', 'John Smith']);
    expect(found).toContainEqual(['LOC', 'London']);
    for (const e of entities) expect(text.slice(e.start, e.end)).toBe(e.word);
  });

  it('NER by default answers in whole words: "Ada Lovelace", not "Ada Lovel"', async () => {
    const text = 'Ada Lovelace was born in London.';
    const res = await http().post('/v1/ner').send({ inputs: text }).expect(200);
    const found = (res.body.results[0] as Entity[]).map((e) => [e.entity_group, e.word]);
    expect(found).toEqual([
      ['PER', 'Ada Lovelace'],
      ['LOC', 'London'],
    ]);
  });

  it('QA: a question whose answer is a name in the context', async () => {
    const context =
      'The novel was written by Charles Dickens in 1859. It is set in London and Paris before and during the French Revolution.';
    const res = await http()
      .post('/v1/qa')
      .send({ inputs: { question: 'Who wrote the novel?', context } })
      .expect(200);
    expect(res.body.model).toBe('berth-mini-qa');
    const [best]: Answer[] = res.body.results[0];
    expect(best.answer).toBe('Charles Dickens');
    expect(context.slice(best.start, best.end)).toBe('Charles Dickens');
  });

  it('embeddings: the pre-trained encoder is the default, and a paraphrase sits nearer than an unrelated sentence', async () => {
    const res = await http()
      .post('/v1/embeddings')
      .send({
        inputs: ['The film was wonderful.', 'The movie was wonderful.', 'Interest rates rose again in March.'],
        pooling: 'mean',
        normalize: true,
      })
      .expect(200);
    expect(res.body.model).toBe('berth-mini');
    const [a, b, c] = res.body.results.map((r: { embedding: number[] }) => r.embedding);
    const cosine = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * y[i], 0);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
  });
});
