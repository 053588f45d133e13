import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { filesCommand } from '../../src/cli/commands/files';
import { jobsCommand } from '../../src/cli/commands/jobs';
import { CANCELLED_CODE, TrainingExecutor } from '../../src/jobs/training-executor';
import type { TrainMetricsFile } from '../../src/trainer/train';
import { FakeCore } from './support/fake-core';
import { fineTuningApp, FineTuningTestApp } from './support/fine-tuning-app';

const ADMIN_KEY = 'admin-key-for-openai-client';

/** Finishes at once, or (hold) runs until cancelled. */
function executor(state: { hold: boolean }): TrainingExecutor {
  return (req, hooks) =>
    new Promise((resolve, reject) => {
      hooks.signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: CANCELLED_CODE })));
      if (state.hold) return;
      const metrics = { selected: { select: 'best', epoch: 1, step: 1, metrics: { loss: 0.2, score: 0.9, scoreName: 'accuracy' } } };
      hooks.onEvent({
        type: 'step',
        epoch: 1,
        step: 1,
        totalSteps: 1,
        loss: 0.3,
        learningRate: 1e-5,
        gradNorm: 1,
        examplesPerSecond: 2,
        elapsedSeconds: 1,
      });
      mkdirSync(req.outDir, { recursive: true });
      writeFileSync(join(req.outDir, 'metrics.json'), JSON.stringify(metrics));
      resolve({ outDir: req.outDir, metrics: metrics as unknown as TrainMetricsFile });
    });
}

describe('the official openai client against Berth', () => {
  let t: FineTuningTestApp;
  let dataDir: string;
  let client: OpenAI;
  const state = { hold: false };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-openai-'));
    t = await fineTuningApp({ BERTH_DATA_DIR: dataDir, BERTH_ADMIN_KEYS: ADMIN_KEY }, async () => new FakeCore(), {
      executor: executor(state),
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    client = new OpenAI({ apiKey: ADMIN_KEY, baseURL: `http://127.0.0.1:${address.port}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const waitFor = async (id: string, statuses: string[]) => {
    for (let i = 0; i < 400; i++) {
      const job = await client.fineTuning.jobs.retrieve(id);
      if (statuses.includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${id} never reached ${statuses.join('/')}`);
  };

  it('uploads a file, creates, lists, retrieves, reads events of one job and cancels another', async () => {
    const csv = 'text,target\ngreat,positive\nawful,negative\nfine,neutral\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(csv), 'train.csv'), purpose: 'fine-tune' });
    expect(file).toMatchObject({
      object: 'file',
      filename: 'train.csv',
      purpose: 'fine-tune',
      status: 'processed',
      bytes: Buffer.byteLength(csv),
    });

    const job = await client.fineTuning.jobs.create({
      model: 'sentiment',
      training_file: file.id,
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 1, batch_size: 2, learning_rate_multiplier: 1 } } },
      seed: 1,
      metadata: { run: 'client-test' },
    });
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      model: 'sentiment',
      training_file: file.id,
      seed: 1,
      metadata: { run: 'client-test' },
    });
    const finished = await waitFor(job.id, ['succeeded', 'failed']);
    expect(finished).toMatchObject({ status: 'succeeded', fine_tuned_model: 'sentiment', error: null });

    const listed = [];
    for await (const j of client.fineTuning.jobs.list({ limit: 1 })) listed.push(j.id);
    expect(listed).toContain(job.id);

    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 50 });
    const messages = events.data.map((e) => e.message);
    expect(messages).toContain('The job has successfully completed');
    expect(messages).toContain('Step 1/1: training loss=0.3000');
    expect(events.data.every((e) => e.object === 'fine_tuning.job.event')).toBe(true);

    const checkpoints = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(checkpoints.data).toEqual([]);

    state.hold = true;
    const other = await client.fineTuning.jobs.create({ model: 'sentiment', training_file: file.id });
    await waitFor(other.id, ['running']);
    const cancelled = await client.fineTuning.jobs.cancel(other.id);
    expect(['running', 'cancelled']).toContain(cancelled.status);
    expect((await waitFor(other.id, ['cancelled'])).fine_tuned_model).toBeNull();
    state.hold = false;

    const files = await client.files.list();
    expect(files.data.map((f) => f.id)).toContain(file.id);
    expect(await client.files.delete(file.id)).toMatchObject({ id: file.id, deleted: true });
  });

  it("surfaces Berth errors as the client's typed errors", async () => {
    await expect(client.fineTuning.jobs.retrieve('ftjob-missing')).rejects.toMatchObject({ status: 404 });
    await expect(client.fineTuning.jobs.create({ model: 'no-such-model', training_file: 'file-x' })).rejects.toMatchObject({ status: 404 });
    const anonymous = new OpenAI({ apiKey: 'not-a-key-at-all', baseURL: client.baseURL, maxRetries: 0 });
    await expect(anonymous.files.list()).rejects.toMatchObject({ status: 401 });
  });

  it('is scriptable with the berth files / jobs commands', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk).trimEnd());
      return true;
    });
    try {
      const path = join(dataDir, 'cli.csv');
      writeFileSync(path, 'text,target\nnice,positive\nbad,negative\n');
      const connection = { url: client.baseURL.replace(/\/v1$/, ''), 'api-key': ADMIN_KEY };
      await filesCommand.run({ values: connection, positionals: ['upload', path] });
      const fileId = lines.at(-1)!.split(/\s+/)[0];
      expect(lines.at(-1)).toMatch(/^file-\S+ {2}cli\.csv {2}\d+ bytes {2}classification\/csv {2}2 rows$/);
      await jobsCommand.run({
        values: { ...connection, model: 'sentiment', 'training-file': fileId, method: 'head', epochs: '1' },
        positionals: ['create'],
      });
      const jobId = lines.at(-1)!.split(/\s+/)[0];
      expect(lines.at(-1)).toMatch(/^ftjob-\S+ {2}(validating_files|queued|running|succeeded) {2}head on sentiment/);
      await waitFor(jobId, ['succeeded']);
      await jobsCommand.run({ values: connection, positionals: ['get', jobId] });
      expect(lines.at(-1)).toMatch(/succeeded {2}head on sentiment.*→ sentiment v\d+$/);
      lines.length = 0;
      await jobsCommand.run({ values: connection, positionals: ['events', jobId] });
      expect(lines.at(-1)).toMatch(/info +The job has successfully completed$/);
      lines.length = 0;
      await jobsCommand.run({ values: { ...connection, follow: true }, positionals: ['events', jobId] });
      expect(lines.at(-1)).toMatch(/The job has successfully completed$/);
      await expect(jobsCommand.run({ values: connection, positionals: ['get', 'ftjob-none'] })).rejects.toThrow(/HTTP 404 NOT_FOUND/);
    } finally {
      spy.mockRestore();
    }
  });
});
