import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import request from 'supertest';
import { servingCoreFactory } from '../../src/modules/core/serving-core.factory';
import { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { fakeApp, TestApp } from './support/app';
import { ensureConsoleBuilt } from './support/browser';
import { fineTuningApp, FineTuningTestApp } from './support/fine-tuning-app';

/** What the console reads beside the inference and fine-tuning API: whoami, the traffic summary, token lengths, and its own files. */

const INFERENCE_KEY = 'inference-key-0001';
const ADMIN_KEY = 'admin-key-00000001';

describe('GET /v1/auth/whoami', () => {
  it('says admin for everyone when keys are off', async () => {
    const t = await fakeApp();
    const res = await request(t.app.getHttpServer()).get('/v1/auth/whoami').expect(200);
    expect(res.body).toEqual({ auth_enabled: false, scope: 'admin', can_infer: true, can_administer: true, public_metrics: true });
    await t.app.close();
  });

  it('names the scope of the key sent, "none" without one, and refuses an unknown key', async () => {
    const t = await fakeApp({ BERTH_API_KEYS: INFERENCE_KEY, BERTH_ADMIN_KEYS: ADMIN_KEY, BERTH_PUBLIC_METRICS: 'false' });
    const http = () => request(t.app.getHttpServer()).get('/v1/auth/whoami');
    expect((await http().expect(200)).body).toMatchObject({
      auth_enabled: true,
      scope: 'none',
      can_infer: false,
      can_administer: false,
      public_metrics: false,
    });
    expect((await http().set('authorization', `Bearer ${INFERENCE_KEY}`).expect(200)).body).toMatchObject({
      scope: 'inference',
      can_infer: true,
      can_administer: false,
    });
    expect((await http().set('authorization', `Bearer ${ADMIN_KEY}`).expect(200)).body).toMatchObject({
      scope: 'admin',
      can_administer: true,
    });
    expect((await http().set('authorization', 'Bearer not-a-key-at-all').expect(401)).body.error.code).toBe('UNAUTHORIZED');
    await t.app.close();
  });
});

describe('GET /metrics/summary', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await fakeApp();
  });
  afterAll(() => t.app.close());

  it('counts the last minute of each model’s requests, its errors and its p95', async () => {
    const http = () => request(t.app.getHttpServer());
    for (let i = 0; i < 3; i++) await http().post('/v1/classify').send({ inputs: 'a' }).expect(200);
    await http().post('/models/ner-model').send({ inputs: 'Ada x' }).expect(200);
    const res = await http().get('/metrics/summary').expect(200);
    expect(res.body.window_seconds).toBe(60);
    const byModel = Object.fromEntries(res.body.models.map((m: any) => [m.model, m]));
    expect(byModel.sentiment).toMatchObject({ requests: 3, errors: 0, requests_per_second: 3 / 60 });
    expect(byModel['ner-model']).toMatchObject({ requests: 1, requests_per_second: 1 / 60 });
    expect(byModel.sentiment.p95_seconds).toBeGreaterThan(0);
  });
});

describe('/console', () => {
  let t: TestApp;
  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await fakeApp({ BERTH_API_KEYS: INFERENCE_KEY, BERTH_ADMIN_KEYS: ADMIN_KEY });
  });
  afterAll(() => t.app.close());

  it('serves the page without a key, revalidated each time, allowed to talk only to this server', async () => {
    const res = await request(t.app.getHttpServer()).get('/console').set('accept-encoding', 'identity').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(res.text).toMatch(/<script type="module" src="\/console\/assets\/console-\w+\.js">/);
    const slash = await request(t.app.getHttpServer()).get('/console/').expect(301);
    expect(slash.headers.location).toBe('/console');
  });

  it('serves each asset compressed as the client accepts (Brotli, gzip, none), cached for a year', async () => {
    const page = (await request(t.app.getHttpServer()).get('/console').set('accept-encoding', 'identity')).text;
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page)![1];
    // Fastify's inject hands back the bytes as sent (supertest would decompress them).
    const get = async (encoding: string) => {
      const res = await t.app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: script, headers: { 'accept-encoding': encoding } });
      expect(res.statusCode).toBe(200);
      return { headers: res.headers, body: res.rawPayload };
    };
    const plain = await get('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['vary']).toBe('accept-encoding');
    const br = await get('gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect((await get('br;q=0, gzip;q=0')).headers['content-encoding']).toBeUndefined();
  });

  it('answers 404 in the error shape for a file it does not have, and reads nothing from a request path', async () => {
    const res = await request(t.app.getHttpServer()).get('/console/assets/..%2F..%2Fpackage.json').expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    await request(t.app.getHttpServer()).get('/console/assets/index.html').expect(404);
  });
});

describeWithFixtures('GET /v1/files/{id}/token-lengths (real tokenizer)', () => {
  let t: FineTuningTestApp;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-lengths-'));
    mkdirSync(join(root, 'models'));
    cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
    t = await fineTuningApp({ BERTH_DATA_DIR: join(root, 'data'), BERTH_MODELS_DIR: join(root, 'models') }, servingCoreFactory());
  });
  afterAll(async () => {
    await t?.app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('measures every row with the chosen model’s tokenizer into percentiles and a histogram', async () => {
    const texts = ['short', 'a somewhat longer sentence about films', 'the longest one here, with many words and some punctuation!', 'ok'];
    const csv = ['text,target', ...texts.map((x, i) => `"${x}",${i % 2 ? 'positive' : 'negative'}`)].join('\n');
    const http = () => request(t.app.getHttpServer());
    const file = (await http().post('/v1/files').field('purpose', 'fine-tune').attach('file', Buffer.from(csv), 'f.csv').expect(200)).body;
    expect(file.berth.stats.token_lengths).toBeUndefined();
    const res = await http().get(`/v1/files/${file.id}/token-lengths?model=sentiment`).expect(200);

    const tokenizer = await BerthTokenizer.fromFile(join(hfTinyDir('bert-seqcls'), 'tokenizer.json'));
    const lengths = await Promise.all(texts.map(async (x) => (await tokenizer.encode(x, undefined, { truncation: false }))[0].ids.length));
    const { histogram, ...summary } = res.body.token_lengths;
    expect(res.body).toMatchObject({ file: file.id, model: 'sentiment' });
    expect(summary).toMatchObject({ count: 4, max: Math.max(...lengths), mean: lengths.reduce((a, b) => a + b, 0) / 4 });
    const inBin = (i: number) => lengths.filter((l) => l >= histogram.edges[i] && l < histogram.edges[i + 1]).length;
    expect(histogram.counts).toEqual(histogram.counts.map((_: number, i: number) => inBin(i)));
    expect(histogram.edges[0]).toBe(Math.min(...lengths));

    await http().get(`/v1/files/${file.id}/token-lengths`).expect(400);
    await http().get(`/v1/files/${file.id}/token-lengths?model=nope`).expect(404);
    await http().get('/v1/files/file-nope/token-lengths?model=sentiment').expect(404);
  });
});
