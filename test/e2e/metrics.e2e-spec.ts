import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { BerthMetrics } from '../../src/metrics/metrics';
import { fakeApp, TestApp } from './support/app';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

/** The value of one sample line `name{labels} value` (labels given in any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = line.match(/^([^{ ]+)(?:\{(.*)\})? (.+)$/);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({}, undefined, { processMetrics: true });
    // Served traffic, a client error, an unknown model, an unknown route, an overload and a swap.
    await http()
      .post('/v1/classify')
      .send({ inputs: ['a', 'b'] })
      .expect(200);
    await http().post('/v1/classify').send({ inputs: 'c' }).expect(200);
    await http().post('/models/ner-model').send({ inputs: 'Ada x' }).expect(200);
    await http().post('/v1/classify').send({ inputs: '' }).expect(400);
    await http().post('/v1/classify').send({ model: 'whatever', inputs: 'a' }).expect(404);
    await http().get('/no/such/route').expect(404);
    t.core.overloaded = true;
    await http().post('/v1/classify').send({ inputs: 'a' }).expect(429);
    t.core.overloaded = false;
    await http().post('/v1/models/sentiment/activate-missing').expect(404);
    t.core.models.get('sentiment')!.info.versions.push({ version: 2, source: 'imported', created_at: '', size_bytes: 1 });
    await http().post('/v1/models/sentiment/versions/2/activate').expect(200);
    // A fine-tuning step, reported the way the job runner reports it, so its series are exposed too.
    t.app
      .get(BerthMetrics)
      .trainingStep(
        { id: 'ftjob-metrics', model: 'sentiment', method: 'lora' },
        { step: 1, loss: 0.6931, learningRate: 5e-5, examplesPerSecond: 42 },
      );
  });
  afterAll(() => t.app.close());

  it('counts each request once, by route pattern, model, task and status', async () => {
    const text = (await http().get('/metrics').expect(200)).text;
    const count = (labels: Record<string, string>) => sample(text, 'berth_requests_total', labels);
    expect(count({ route: '/v1/classify', model: 'sentiment', task: 'text-classification', status: '200' })).toBe(2);
    expect(count({ route: '/models/:model', model: 'ner-model', task: 'token-classification', status: '200' })).toBe(1);
    expect(count({ route: '/v1/classify', model: '', task: 'text-classification', status: '400' })).toBe(1);
    // An unknown model name never becomes a label value (bounded cardinality).
    expect(count({ route: '/v1/classify', model: '', task: 'text-classification', status: '404' })).toBe(1);
    expect(text).not.toContain('model="whatever"');
    expect(count({ route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(count({ route: 'unmatched', method: 'POST', status: '404' })).toBe(1);
    expect(count({ route: '/v1/classify', status: '429' })).toBe(1);
    // Latency per model, task and status: fast failures do not hide among the served requests.
    const duration = (labels: Record<string, string>) => sample(text, 'berth_request_duration_seconds_count', labels);
    expect(duration({ route: '/v1/classify', model: 'sentiment', task: 'text-classification', status: '200' })).toBe(2);
    expect(duration({ route: '/v1/classify', model: '', task: 'text-classification', status: '400' })).toBe(1);
    expect(duration({ route: '/v1/classify', status: '429' })).toBe(1);
  });

  it('records the core observer hooks: batches, tokens, queue, rejections, loads, swaps, active version', async () => {
    const text = (await http().get('/metrics').expect(200)).text;
    expect(sample(text, 'berth_batch_size_count', { model: 'sentiment' })).toBe(2);
    expect(sample(text, 'berth_batch_size_sum', { model: 'sentiment' })).toBe(3);
    expect(sample(text, 'berth_tokens_total', { model: 'sentiment' })).toBe(15);
    expect(sample(text, 'berth_padded_tokens_total', { model: 'sentiment' })).toBe(24);
    expect(sample(text, 'berth_batch_tokens_sum', { model: 'sentiment' })).toBe(24);
    expect(sample(text, 'berth_queue_duration_seconds_count', { model: 'sentiment' })).toBe(2);
    expect(sample(text, 'berth_tokenization_duration_seconds_count', { model: 'sentiment' })).toBe(2);
    expect(sample(text, 'berth_rejected_requests_total', { model: 'sentiment', reason: 'overloaded' })).toBe(1);
    expect(sample(text, 'berth_model_swaps_total', { model: 'sentiment' })).toBe(1);
    expect(sample(text, 'berth_model_load_duration_seconds_count', { model: 'sentiment' })).toBe(1);
    expect(sample(text, 'berth_model_active_version', { model: 'sentiment' })).toBe(2);
    expect(sample(text, 'berth_model_active_version', { model: 'ner-model' })).toBe(1);
  });

  it('exports fine-tuning job counts by status and training step series', async () => {
    const text = (await http().get('/metrics').expect(200)).text;
    for (const status of ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled']) {
      expect({ status, value: sample(text, 'berth_fine_tuning_jobs', { status }) }).toEqual({ status, value: 0 });
    }
    expect(sample(text, 'berth_training_steps_total', { model: 'sentiment', method: 'lora' })).toBe(1);
    expect(sample(text, 'berth_training_loss', { job: 'ftjob-metrics', model: 'sentiment' })).toBe(0.6931);
    expect(sample(text, 'berth_training_learning_rate', { job: 'ftjob-metrics', model: 'sentiment' })).toBe(5e-5);
    expect(sample(text, 'berth_training_examples_per_second', { job: 'ftjob-metrics', model: 'sentiment' })).toBe(42);
  });

  it('passes `promtool check metrics`', async () => {
    if (!existsSync(PROMTOOL)) {
      console.warn(`skipping promtool check: ${PROMTOOL} is not installed (Debian package "prometheus")`);
      return;
    }
    const res = await http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const file = join(mkdtempSync(join(tmpdir(), 'berth-metrics-')), 'metrics.txt');
    writeFileSync(file, res.text);
    let output: string;
    let failed = false;
    try {
      output = execFileSync('sh', ['-c', `"${PROMTOOL}" check metrics < "${file}" 2>&1`], { encoding: 'utf8' });
    } catch (err) {
      failed = true;
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect({ failed, output: output.trim() }).toEqual({ failed: false, output: '' });
  });
});
