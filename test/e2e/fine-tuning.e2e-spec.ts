import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { servingCoreFactory } from '../../src/modules/core/serving-core.factory';
import { CANCELLED_CODE, TrainingExecutor, TrainingRequest } from '../../src/jobs/training-executor';
import type { TrainMetricsFile } from '../../src/trainer/train';
import { describeWithFixtures, hfTinyDir, sharedDataRoot } from '../helpers/fixtures';
import { FakeCore } from './support/fake-core';
import { fineTuningApp, FineTuningTestApp } from './support/fine-tuning-app';

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A trainer stand-in: writes a model directory with metrics.json, or waits to be cancelled when `hold` is set. */
function fakeExecutor(state: { hold: boolean; requests?: TrainingRequest[] }): TrainingExecutor {
  return (req, hooks) =>
    new Promise((resolve, reject) => {
      state.requests?.push(req);
      hooks.onEvent({
        type: 'start',
        totalSteps: 1,
        stepsPerEpoch: 1,
        epochs: 1,
        trainExamples: 3,
        validationExamples: 1,
        trainable: 1,
        frozen: 0,
        validation: 'held out',
      });
      hooks.signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: CANCELLED_CODE })));
      if (state.hold) return;
      const metrics = { selected: { select: 'best', epoch: 1, step: 1, metrics: { loss: 0.1, score: 1, scoreName: 'accuracy' } } };
      hooks.onEvent({
        type: 'step',
        epoch: 1,
        step: 1,
        totalSteps: 1,
        loss: 0.5,
        learningRate: 1e-5,
        gradNorm: 1,
        examplesPerSecond: 3,
        elapsedSeconds: 1,
      });
      hooks.onEvent({ type: 'eval', epoch: 1, step: 1, metrics: metrics.selected.metrics, best: true });
      mkdirSync(req.outDir, { recursive: true });
      writeFileSync(join(req.outDir, 'config.json'), '{}');
      writeFileSync(join(req.outDir, 'metrics.json'), JSON.stringify(metrics));
      resolve({ outDir: req.outDir, metrics: metrics as unknown as TrainMetricsFile });
    });
}

const CSV = 'text,target\ngreat film,positive\nawful film,negative\nfine film,neutral\nlovely,positive\n';

describe('fine-tuning jobs API (fake core, fake trainer)', () => {
  let t: FineTuningTestApp;
  let core: FakeCore;
  let dataDir: string;
  const state: { hold: boolean; requests: TrainingRequest[] } = { hold: false, requests: [] };
  /** One sample of the app's `/metrics`, or undefined when that series is absent. */
  const metric = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const text = (await request(t.app.getHttpServer()).get('/metrics').expect(200)).text;
    const selector = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && selector.every((s) => l.includes(s)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const upload = async (name: string, content: string): Promise<string> =>
    (
      await request(t.app.getHttpServer())
        .post('/v1/files')
        .field('purpose', 'fine-tune')
        .attach('file', Buffer.from(content), name)
        .expect(200)
    ).body.id;
  const job = async (id: string) => (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${id}`).expect(200)).body;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-ft-'));
    core = new FakeCore();
    t = await fineTuningApp({ BERTH_DATA_DIR: dataDir }, async () => core, { executor: fakeExecutor(state) });
  });
  afterAll(async () => {
    await t.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a job in the OpenAI shape, which goes through the statuses and registers a version', async () => {
    const file = await upload('train.csv', CSV);
    const res = await request(t.app.getHttpServer())
      .post('/v1/fine_tuning/jobs')
      .send({
        model: 'sentiment',
        training_file: file,
        method: { type: 'lora', lora: { hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 2, lora_r: 4 } } },
        seed: 5,
        metadata: { team: 'search' },
      })
      .expect(200);
    expect(res.body).toMatchObject({
      object: 'fine_tuning.job',
      model: 'sentiment',
      training_file: file,
      validation_file: null,
      seed: 5,
      metadata: { team: 'search' },
      hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 2 },
      method: {
        type: 'lora',
        lora: { hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate: 1e-4, lora_r: 4, lora_alpha: 8, lora_dropout: 0 } },
      },
      error: null,
      berth: { task: 'classification', auto_activate: false, target_model: 'sentiment' },
    });
    expect(res.body.id).toMatch(/^ftjob-/);
    await until(async () => (await job(res.body.id)).status === 'succeeded');
    const done = await job(res.body.id);
    expect(done).toMatchObject({ fine_tuned_model: 'sentiment', berth: { version: 2 } });
    expect(typeof done.finished_at).toBe('number');
    expect(core.imported.at(-1)).toEqual({ name: 'sentiment', files: ['config.json', 'metrics.json'] });
    // The app's metrics saw the job and its one step (SPEC §7).
    expect(await metric('berth_fine_tuning_jobs', { status: 'succeeded' })).toBe(1);
    expect(await metric('berth_fine_tuning_jobs', { status: 'running' })).toBe(0);
    expect(await metric('berth_training_steps_total', { model: 'sentiment', method: 'lora' })).toBe(1);
    expect(await metric('berth_training_loss', { job: res.body.id, model: 'sentiment' })).toBe(0.5);
    expect(await metric('berth_training_examples_per_second', { job: res.body.id, model: 'sentiment' })).toBe(3);

    const events = (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${res.body.id}/events?limit=100`).expect(200)).body;
    expect(events.object).toBe('list');
    const messages = events.data.map((e: { message: string }) => e.message).reverse();
    expect(messages[0]).toMatch(/^Validating training file/);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Files validated; job queued',
        'Fine-tuning started (lora on sentiment)',
        'The job has successfully completed',
      ]),
    );
    expect(messages.indexOf('Files validated; job queued')).toBeLessThan(messages.indexOf('Fine-tuning started (lora on sentiment)'));
    expect(events.data[0]).toMatchObject({ object: 'fine_tuning.job.event', level: 'info' });
    const page = (
      await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${res.body.id}/events?limit=2&after=${events.data[1].id}`).expect(200)
    ).body;
    expect(page.data.map((e: { id: string }) => e.id)).toEqual([events.data[2].id, events.data[3].id]);

    const checkpoints = (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${res.body.id}/checkpoints`).expect(200)).body;
    expect(checkpoints.data).toEqual([
      expect.objectContaining({
        object: 'fine_tuning.job.checkpoint',
        step_number: 1,
        fine_tuned_model_checkpoint: 'sentiment:2',
        fine_tuning_job_id: res.body.id,
      }),
    ]);
    // metrics.json of the version names the job.
    expect(existsSync(join(dataDir, 'jobs', res.body.id))).toBe(false);
  });

  it('streams events as server-sent events until the job ends', async () => {
    const file = await upload('s.csv', CSV);
    const created = (
      await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: file }).expect(200)
    ).body;
    const res = await request(t.app.getHttpServer())
      .get(`/v1/fine_tuning/jobs/${created.id}/events?stream=true`)
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString('utf8')));
        r.on('end', () => cb(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const frames = (res.body as string).split('\n\n').filter((f) => f.startsWith('id: '));
    const data = frames.map(
      (f) =>
        JSON.parse(
          f
            .split('\n')
            .find((l) => l.startsWith('data: '))!
            .slice(6),
        ) as { message: string },
    );
    expect(data[0].message).toMatch(/^Validating training file/);
    expect(data.at(-1)!.message).toBe('The job has successfully completed');
    expect(res.body as string).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('ends a stream opened while the job runs once the job ends', async () => {
    state.hold = true;
    try {
      const file = await upload('live.csv', CSV);
      const created = (
        await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: file }).expect(200)
      ).body;
      await until(async () => (await job(created.id)).status === 'running');
      const streamed = request(t.app.getHttpServer())
        .get(`/v1/fine_tuning/jobs/${created.id}/events?stream=true`)
        .buffer(true)
        .parse((r, cb) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString('utf8')));
          r.on('end', () => cb(null, text));
        })
        .then((res) => res.body as string);
      await new Promise((r) => setTimeout(r, 100));
      await request(t.app.getHttpServer()).post(`/v1/fine_tuning/jobs/${created.id}/cancel`).expect(200);
      const text = await streamed;
      expect(text).toMatch(/Job cancelled; no model version was written/);
      expect(text).toMatch(/data: \[DONE\]\n\n$/);
    } finally {
      state.hold = false;
    }
  });

  it('cancels a running job (no version) and refuses to cancel it twice', async () => {
    state.hold = true;
    try {
      const file = await upload('c.csv', CSV);
      const before = core.imported.length;
      const created = (
        await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: file }).expect(200)
      ).body;
      await until(async () => (await job(created.id)).status === 'running');
      expect(await metric('berth_fine_tuning_jobs', { status: 'running' })).toBe(1);
      const queued = (
        await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: file }).expect(200)
      ).body;
      expect((await job(queued.id)).status).toBe('queued');
      expect((await request(t.app.getHttpServer()).post(`/v1/fine_tuning/jobs/${queued.id}/cancel`).expect(200)).body.status).toBe(
        'cancelled',
      );
      await request(t.app.getHttpServer()).post(`/v1/fine_tuning/jobs/${created.id}/cancel`).expect(200);
      await until(async () => (await job(created.id)).status === 'cancelled');
      expect(core.imported.length).toBe(before);
      const again = await request(t.app.getHttpServer()).post(`/v1/fine_tuning/jobs/${created.id}/cancel`).expect(409);
      expect(again.body.error.code).toBe('CONFLICT');
    } finally {
      state.hold = false;
    }
  });

  it('fails a job whose training file was deleted while it waited, writes no version, and keeps serving', async () => {
    state.hold = true;
    try {
      const busy = await upload('busy.csv', CSV);
      const doomed = await upload('doomed.csv', CSV);
      const before = core.imported.length;
      // The single runner slot is taken, so the second job waits in the queue.
      const running = (
        await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: busy }).expect(200)
      ).body;
      await until(async () => (await job(running.id)).status === 'running');
      const waiting = (
        await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: doomed }).expect(200)
      ).body;
      expect((await job(waiting.id)).status).toBe('queued');
      expect((await request(t.app.getHttpServer()).delete(`/v1/files/${doomed}`).expect(200)).body).toEqual({
        id: doomed,
        object: 'file',
        deleted: true,
      });
      await request(t.app.getHttpServer()).get(`/v1/files/${doomed}`).expect(404);

      await request(t.app.getHttpServer()).post(`/v1/fine_tuning/jobs/${running.id}/cancel`).expect(200);
      await until(async () => (await job(waiting.id)).status === 'failed');
      const failed = await job(waiting.id);
      expect(failed).toMatchObject({
        status: 'failed',
        fine_tuned_model: null,
        error: { code: 'invalid_training_file', param: 'training_file' },
      });
      expect(failed.error.message).toBe(`training_file ${doomed} no longer exists (it was deleted)`);
      expect(core.imported.length).toBe(before);
      expect(existsSync(join(dataDir, 'jobs', waiting.id))).toBe(false);
      const events = (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${waiting.id}/events?limit=100`).expect(200)).body
        .data;
      expect(events[0]).toMatchObject({ level: 'error' });
      expect(events[0].message).toMatch(/no longer exists/);
      // The server goes on serving and taking jobs.
      const res = await request(t.app.getHttpServer()).post('/v1/classify').send({ model: 'sentiment', inputs: 'still here' }).expect(200);
      expect(res.headers['x-model-version']).toBeDefined();
      await request(t.app.getHttpServer()).get(`/v1/files/${busy}`).expect(200);
    } finally {
      state.hold = false;
    }
  });

  it('lists jobs newest first with limit and after', async () => {
    const first = (await request(t.app.getHttpServer()).get('/v1/fine_tuning/jobs?limit=2').expect(200)).body;
    expect(first).toMatchObject({ object: 'list', has_more: true });
    const rest = (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs?after=${first.data[1].id}`).expect(200)).body;
    expect(rest.data.length).toBeGreaterThan(0);
    expect(rest.data.map((j: { id: string }) => j.id)).not.toContain(first.data[0].id);
  });

  it('takes the recipes: a learning-rate sweep ("auto"), early stopping, and distillation from a teacher model', async () => {
    const file = await upload('recipes.csv', CSV);
    const create = async (body: Record<string, unknown>) => {
      const created = (await request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send(body).expect(200)).body;
      await until(async () => ['succeeded', 'failed', 'cancelled'].includes((await job(created.id)).status));
      expect(await job(created.id)).toMatchObject({ status: 'succeeded', error: null });
      return { created, request: state.requests.at(-1) as TrainingRequest };
    };
    const sweep = await create({
      model: 'sentiment',
      training_file: file,
      method: { type: 'full', full: { hyperparameters: { learning_rate_multiplier: 'auto', patience: 2 } } },
    });
    expect(sweep.created.hyperparameters.learning_rate_multiplier).toBe('auto');
    expect(sweep.created.method.full.hyperparameters).toMatchObject({ learning_rate_candidates: [3e-5, 5e-5, 1e-4, 3e-4], patience: 2 });
    expect(sweep.request).toMatchObject({ method: 'full', learningRates: [3e-5, 5e-5, 1e-4, 3e-4], patience: 2 });

    const distill = await create({
      model: 'sentiment',
      training_file: file,
      method: { type: 'distill', distill: { teacher: 'sentiment', hyperparameters: { student_layers: 1, temperature: 3, alpha: 0.7 } } },
    });
    expect(distill.created.method).toMatchObject({
      type: 'distill',
      distill: { hyperparameters: { teacher: 'sentiment', student_layers: 1, temperature: 3, alpha: 0.7 } },
    });
    // The teacher is its model's active version, resolved when the job runs.
    expect(distill.request).toMatchObject({
      method: 'full',
      studentLayers: 1,
      distill: { temperature: 3, alpha: 0.7, teacherDir: core.versionDir('sentiment', core.get('sentiment').active_version) },
    });
    // A transfer set: an uploaded plain-text file, which reaches the trainer as a path.
    const transfer = await upload('unlabelled.txt', 'An evening well spent.\nA long and tiring film.\n');
    const withTransfer = await create({
      model: 'sentiment',
      training_file: file,
      method: { type: 'distill', distill: { teacher: 'sentiment', transfer_file: transfer, hyperparameters: { alpha: 0.7 } } },
    });
    expect(withTransfer.created.method.distill.hyperparameters).toMatchObject({
      teacher: 'sentiment',
      transfer_file: transfer,
      alpha: 0.7,
    });
    const stored = (await request(t.app.getHttpServer()).get(`/v1/files/${transfer}`).expect(200)).body;
    expect(stored.filename).toBe('unlabelled.txt');
    expect(withTransfer.request.distill?.transferFile).toMatch(/\S/);
    expect(readFileSync(withTransfer.request.distill?.transferFile as string, 'utf8')).toContain('A long and tiring film.');
    for (const [transferFile, problem] of [
      [file, /holds classification data; a transfer set is plain text/],
      ['file-nope', /no file with id "file-nope"/],
      [7, /must be the id of an uploaded text file/],
    ] as const) {
      const refused = await request(t.app.getHttpServer())
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'sentiment',
          training_file: file,
          method: { type: 'distill', distill: { teacher: 'sentiment', transfer_file: transferFile } },
        })
        .expect(400);
      expect(refused.body.error).toMatchObject({ code: 'INVALID_INPUT', details: { param: 'method.distill.transfer_file' } });
      expect(refused.body.error.message).toMatch(problem);
    }
    const bad = await request(t.app.getHttpServer())
      .post('/v1/fine_tuning/jobs')
      .send({ model: 'sentiment', training_file: file, method: { type: 'distill', distill: { hyperparameters: {} } } })
      .expect(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_INPUT', details: { param: 'method.distill.teacher' } });
    const lora = await request(t.app.getHttpServer())
      .post('/v1/fine_tuning/jobs')
      .send({ model: 'sentiment', training_file: file, method: { type: 'lora', lora: { hyperparameters: { temperature: 2 } } } })
      .expect(400);
    expect(lora.body.error.message).toMatch(/temperature: unknown hyperparameter/);
  });

  it('refuses bad requests before queueing, with the SPEC error shape', async () => {
    const file = await upload('v.csv', CSV);
    const other = await upload('other.csv', 'text,target\nx,positive\ny,excited\n');
    const ner = await upload('n.conll', 'John B-PER\n');
    const text = await upload('domain.txt', 'The first document.\nThe second one.\n');
    const send = (body: Record<string, unknown>) => request(t.app.getHttpServer()).post('/v1/fine_tuning/jobs').send(body);
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ model: 'missing', training_file: file }, 404, /model "missing"/],
      [{ model: 'sentiment', training_file: 'file-nope' }, 400, /training_file: no file/],
      [{ model: 'sentiment', training_file: ner }, 400, /holds ner data/],
      [{ model: 'sentiment', training_file: other }, 400, /"excited" are not labels of model "sentiment"/],
      [
        { model: 'sentiment', training_file: file, validation_file: other },
        400,
        /validation_file: labels "excited" do not occur in the training file/,
      ],
      [{ model: 'sentiment', training_file: file, method: { type: 'dpo' } }, 400, /method.type/],
      [{ model: 'sentiment', training_file: file, method: { type: 'lora', lora: { hyperparameters: { n_epochs: 0 } } } }, 400, /epochs/],
      [{ model: 'sentiment', training_file: file, hyperparameters: { bogus: 1 } }, 400, /unknown hyperparameter/],
      [{ model: 'sentiment', training_file: file, suffix: 'bad suffix!' }, 400, /suffix/],
      // A labelled file on a pre-trained encoder puts a new head on it: a new model, so a suffix is needed.
      [{ model: 'mlm', training_file: file }, 400, /suffix: a classification job on the pre-trained encoder "mlm"/],
      [{ model: 'sentiment', training_file: text }, 400, /holds text data/],
      [{ model: 'mlm', training_file: text, method: { type: 'lora' } }, 400, /continued pre-training .*\(full\)/],
      [
        { model: 'sentiment', training_file: file, method: { type: 'distill', distill: { teacher: 'ner-model' } } },
        400,
        /method.distill.teacher: "ner-model" is a token-classification model/,
      ],
      [{ training_file: file }, 400, /model/],
    ];
    const before = (await request(t.app.getHttpServer()).get('/v1/fine_tuning/jobs?limit=100').expect(200)).body.data.length;
    for (const [body, status, pattern] of cases) {
      const res = await send(body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error.message + res.body.error.code).toMatch(pattern);
    }
    expect((await request(t.app.getHttpServer()).get('/v1/fine_tuning/jobs?limit=100').expect(200)).body.data.length).toBe(before);
    expect((await request(t.app.getHttpServer()).get('/v1/fine_tuning/jobs/ftjob-nope').expect(404)).body.error.code).toBe('NOT_FOUND');
  });
});

describe('fine-tuning after a restart (fake core)', () => {
  it('marks the job that was running failed with a reason, removes its partial output, and keeps files', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-ft-restart-'));
    const state = { hold: true };
    try {
      const first = await fineTuningApp({ BERTH_DATA_DIR: dataDir }, async () => new FakeCore(), { executor: fakeExecutor(state) });
      const file = (
        await request(first.app.getHttpServer())
          .post('/v1/files')
          .field('purpose', 'fine-tune')
          .attach('file', Buffer.from(CSV), 'r.csv')
          .expect(200)
      ).body.id;
      const created = (
        await request(first.app.getHttpServer()).post('/v1/fine_tuning/jobs').send({ model: 'sentiment', training_file: file }).expect(200)
      ).body;
      await until(
        async () => (await request(first.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${created.id}`)).body.status === 'running',
      );
      // A crash: the process dies with the job running. Simulated by leaving the job row as it is
      // and a half-written output directory, then closing the database under it.
      const partial = join(dataDir, 'jobs', created.id, 'model.tmp');
      mkdirSync(partial, { recursive: true });
      writeFileSync(join(partial, 'model.onnx'), 'half');
      const { BerthStore } = await import('../../src/store');
      const crashed = BerthStore.open(dataDir);
      const row = crashed.jobs.get(created.id);
      crashed.close();
      expect(row?.status).toBe('running');
      // Closing would cancel the job gracefully; a crash does not, so restore its status afterwards.
      await first.app.close();
      const reopen = BerthStore.open(dataDir);
      reopen.db.prepare("UPDATE jobs SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?").run(created.id);
      reopen.close();
      mkdirSync(partial, { recursive: true });

      const second = await fineTuningApp({ BERTH_DATA_DIR: dataDir }, async () => new FakeCore(), {
        executor: fakeExecutor({ hold: false }),
      });
      const after = (await request(second.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${created.id}`).expect(200)).body;
      expect(after).toMatchObject({ status: 'failed', error: { code: 'server_restarted' } });
      expect(after.error.message).toMatch(/server stopped while this job was running/);
      expect(existsSync(join(dataDir, 'jobs', created.id))).toBe(false);
      expect((await request(second.app.getHttpServer()).get(`/v1/files/${file}`).expect(200)).body.id).toBe(file);
      await second.app.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describeWithFixtures('fine-tuning end to end (real trainer in a worker thread, real serving core)', () => {
  let t: FineTuningTestApp;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-ft-real-'));
    mkdirSync(join(root, 'models'));
    cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
    cpSync(hfTinyDir('bert-ner'), join(root, 'models', 'ner'), { recursive: true });
    cpSync(hfTinyDir('bert-qa'), join(root, 'models', 'qa'), { recursive: true });
    t = await fineTuningApp(
      { BERTH_DATA_DIR: join(root, 'data'), BERTH_MODELS_DIR: join(root, 'models'), BERTH_BATCHING: 'false', BERTH_MAX_INPUTS: '256' },
      servingCoreFactory(),
    );
  });
  afterAll(async () => {
    await t?.app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('fine-tunes on a few hundred SST-2 rows with lora: statuses, a registered version whose validation accuracy beats the base, and it serves', async () => {
    // SST-2 labels 0/1 written as the fixture model's label names; 240 training and 80 validation rows.
    const rows = readFileSync(join(sharedDataRoot(), 'sentiment', 'sst2', 'dev.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1, 321)
      .map((r) => {
        const [text, label] = r.split('\t');
        return { text: text.trim(), label: label.trim() === '1' ? 'positive' : 'negative' };
      });
    const toCsv = (part: typeof rows) => ['text,target', ...part.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`)].join('\n');
    const train = rows.slice(0, 240);
    const validation = rows.slice(240);
    const http = () => request(t.app.getHttpServer());
    const trainFile = (
      await http()
        .post('/v1/files')
        .field('purpose', 'fine-tune')
        .field('model', 'sentiment')
        .attach('file', Buffer.from(toCsv(train)), 'sst2-train.csv')
        .expect(200)
    ).body;
    expect(trainFile.berth.stats).toMatchObject({ rows: 240, token_lengths: expect.objectContaining({ count: 240 }) });
    const validFile = (
      await http()
        .post('/v1/files')
        .field('purpose', 'fine-tune')
        .attach('file', Buffer.from(toCsv(validation)), 'sst2-valid.csv')
        .expect(200)
    ).body;

    // The base version's accuracy on the same validation rows, through the serving core.
    const base = await t.host.get().classify(
      'sentiment',
      validation.map((r) => r.text),
      { top_k: 1 },
    );
    expect(base.version).toBe(1);
    const baseAccuracy = base.result.filter((item, i) => item.labels[0].label === validation[i].label).length / validation.length;

    const created = (
      await http()
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'sentiment',
          training_file: trainFile.id,
          validation_file: validFile.id,
          method: { type: 'lora', lora: { hyperparameters: { n_epochs: 2, batch_size: 16, learning_rate: 1e-2, lora_r: 4 } } },
          auto_activate: true,
        })
        .expect(200)
    ).body;
    expect(created.status).toMatch(/^(validating_files|queued|running)$/);
    await until(
      async () => ['succeeded', 'failed', 'cancelled'].includes((await http().get(`/v1/fine_tuning/jobs/${created.id}`)).body.status),
      110_000,
    );
    const done = (await http().get(`/v1/fine_tuning/jobs/${created.id}`).expect(200)).body;
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'succeeded', fine_tuned_model: 'sentiment', berth: { version: 2 } });

    const messages = (await http().get(`/v1/fine_tuning/jobs/${created.id}/events?limit=1000`).expect(200)).body.data
      .map((e: { message: string }) => e.message)
      .reverse();
    const order = ['Files validated; job queued', 'Fine-tuning started (lora on sentiment)', 'The job has successfully completed'].map(
      (m) => messages.indexOf(m),
    );
    expect(order.every((i: number) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // 240 rows in batches of 16 for 2 epochs: 15 steps an epoch, 30 in all.
    expect(messages.some((m: string) => /^Step 30\/30: training loss=\d+\.\d{4}$/.test(m))).toBe(true);
    expect(messages.some((m: string) => /^Activated version 2 of sentiment \(was 1\)/.test(m))).toBe(true);

    const model = t.host.get().get('sentiment');
    const v2 = model.versions.find((v) => v.version === 2)!;
    expect(v2.source).toBe('fine-tuned');
    expect(v2.metrics).toMatchObject({ job_id: created.id, method: 'lora', task: 'classification' });
    expect(readdirSync(t.host.get().versionDir('sentiment', 2))).toEqual(
      expect.arrayContaining(['config.json', 'model.onnx', 'model.safetensors', 'metrics.json', 'tokenizer.json']),
    );
    const selected = (v2.metrics as { selected: { metrics: { accuracy: number } } }).selected.metrics.accuracy;
    expect(selected).toBeGreaterThan(baseAccuracy);

    expect(model.active_version).toBe(2);
    const served = await t.host.get().classify(
      'sentiment',
      validation.map((r) => r.text),
      { top_k: 1 },
    );
    expect(served.version).toBe(2);
    // The served version agrees with what training measured on the same rows (same model, same data).
    const servedAccuracy = served.result.filter((item, i) => item.labels[0].label === validation[i].label).length / validation.length;
    expect(servedAccuracy).toBeCloseTo(selected, 5);
  }, 150_000);

  /** SST-2 dev rows [from, to) with the fixture model's label names. */
  const sst2Rows = (from: number, to: number): Array<{ text: string; label: string }> =>
    readFileSync(join(sharedDataRoot(), 'sentiment', 'sst2', 'dev.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1 + from, 1 + to)
      .map((r) => {
        const [text, label] = r.split('\t');
        return { text: text.trim(), label: label.trim() === '1' ? 'positive' : 'negative' };
      });
  const sst2Csv = (from: number, to: number): string =>
    ['text,target', ...sst2Rows(from, to).map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`)].join('\n');
  const uploadText = async (csv: string, name: string): Promise<string> =>
    (
      await request(t.app.getHttpServer())
        .post('/v1/files')
        .field('purpose', 'fine-tune')
        .attach('file', Buffer.from(csv), name)
        .expect(200)
    ).body.id;
  const waitStatus = async (id: string, statuses: string[], ms = 110_000) => {
    await until(async () => statuses.includes((await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${id}`)).body.status), ms);
    return (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${id}`)).body;
  };

  it('hot-swaps a `full` fine-tune in under steady traffic: no request fails, each names its version, and its validation accuracy beats the base', async () => {
    const file = await uploadText(sst2Csv(0, 200), 'full.csv');
    const validation = sst2Rows(240, 320);
    const validFile = await uploadText(sst2Csv(240, 320), 'full-valid.csv');
    // Back to the base (randomly initialised) version, which any trained version should beat.
    await t.host.get().activate('sentiment', 1);
    const before = t.host.get().get('sentiment').active_version;
    // The base version's accuracy on the validation rows, through the serving core.
    const base = await t.host.get().classify(
      'sentiment',
      validation.map((r) => r.text),
      { top_k: 1 },
    );
    expect(base.version).toBe(1);
    const baseAccuracy = base.result.filter((item, i) => item.labels[0].label === validation[i].label).length / validation.length;
    const created = (
      await request(t.app.getHttpServer())
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'sentiment',
          training_file: file,
          validation_file: validFile,
          method: { type: 'full', full: { hyperparameters: { n_epochs: 1, learning_rate: 1e-3 } } },
          auto_activate: true,
        })
        .expect(200)
    ).body;
    const seen: Array<{ status: number; version: string | undefined }> = [];
    let finished = false;
    const traffic = (async () => {
      while (!finished) {
        const res = await request(t.app.getHttpServer())
          .post('/v1/classify')
          .send({ model: 'sentiment', inputs: 'a gripping, well acted story' });
        seen.push({ status: res.status, version: res.headers['x-model-version'] as string | undefined });
      }
    })();
    const done = await waitStatus(created.id, ['succeeded', 'failed', 'cancelled']);
    // Keep the traffic going a little after the swap, so requests on the new version are seen too.
    const after = seen.length;
    await until(async () => seen.length >= after + 5);
    finished = true;
    await traffic;
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    const version = done.berth.version as number;
    const events = (await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${created.id}/events?limit=1000`)).body.data.map(
      (e: { message: string }) => e.message,
    );
    expect(events.find((m: string) => m.startsWith('Activated'))).toMatch(
      /accuracy \d\.\d{4} on the validation rows ≥ version 1's \d\.\d{4}/,
    );
    expect(t.host.get().get('sentiment').active_version).toBe(version);
    expect(seen.filter((r) => r.status !== 200)).toEqual([]);
    const versions = seen.map((r) => Number(r.version));
    expect(new Set(versions)).toEqual(new Set([before, version]));
    // Once a request is served by the new version, none after it goes back to the old one.
    expect(versions.slice(versions.indexOf(version)).every((v) => v === version)).toBe(true);

    const metrics = t.host
      .get()
      .get('sentiment')
      .versions.find((v) => v.version === version)!.metrics as {
      method: string;
      baseline: { accuracy: number };
      selected: { metrics: { accuracy: number } };
    };
    expect(metrics.method).toBe('full');
    expect(metrics.selected.metrics.accuracy).toBeGreaterThan(baseAccuracy);
    // The trainer's own evaluation of the starting weights agrees with the served base version.
    expect(metrics.baseline.accuracy).toBeCloseTo(baseAccuracy, 5);
  }, 150_000);

  it('cancels a running real training within seconds and writes no version', async () => {
    const file = await uploadText(sst2Csv(0, 300), 'long.csv');
    const versions = t.host.get().get('sentiment').versions.length;
    const created = (
      await request(t.app.getHttpServer())
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'sentiment',
          training_file: file,
          method: { type: 'full', full: { hyperparameters: { n_epochs: 200, batch_size: 4 } } },
        })
        .expect(200)
    ).body;
    await until(
      async () => ((await request(t.app.getHttpServer()).get(`/v1/fine_tuning/jobs/${created.id}`)).body.berth.progress?.step ?? 0) >= 2,
      60_000,
    );
    const cancelledAt = Date.now();
    await request(t.app.getHttpServer()).post(`/v1/fine_tuning/jobs/${created.id}/cancel`).expect(200);
    const done = await waitStatus(created.id, ['cancelled', 'failed', 'succeeded'], 30_000);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(30_000);
    expect(t.host.get().get('sentiment').versions.length).toBe(versions);
    expect(existsSync(join(t.config.dataDir, 'jobs', created.id))).toBe(false);
  }, 120_000);

  it('with a suffix, registers a new model <base>-ft-<suffix> that serves at once', async () => {
    const file = await uploadText(sst2Csv(0, 120), 'suffix.csv');
    const created = (
      await request(t.app.getHttpServer())
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'sentiment',
          training_file: file,
          suffix: 'sst2',
          method: { type: 'head', head: { hyperparameters: { n_epochs: 1 } } },
        })
        .expect(200)
    ).body;
    const done = await waitStatus(created.id, ['succeeded', 'failed', 'cancelled']);
    expect(done).toMatchObject({ status: 'succeeded', fine_tuned_model: 'sentiment-ft-sst2', berth: { version: 1 } });
    const res = await request(t.app.getHttpServer())
      .post('/v1/classify')
      .send({ model: 'sentiment-ft-sst2', inputs: 'what a film' })
      .expect(200);
    expect(res.headers['x-model-version']).toBe('1');
  }, 120_000);

  /** Training loss of the first and last epochs' steps, from metrics.json. */
  const lossDrop = (metrics: Record<string, unknown>): { first: number; last: number } => {
    const steps = (metrics as { train_loss: Array<{ epoch: number; loss: number }> }).train_loss;
    const mean = (epoch: number) => {
      const xs = steps.filter((s) => s.epoch === epoch).map((s) => s.loss);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    return { first: mean(1), last: mean(Math.max(...steps.map((s) => s.epoch))) };
  };

  /** The selected epoch's validation score and the starting model's on the same rows, from metrics.json. */
  const scores = (metrics: Record<string, unknown>): { name: string; trained: number; base: number; rows: number } => {
    const m = metrics as {
      data: { validation_examples: number };
      baseline: { score: number; scoreName: string };
      selected: { metrics: { score: number; scoreName: string } };
    };
    expect(m.baseline.scoreName).toBe(m.selected.metrics.scoreName);
    return {
      name: m.selected.metrics.scoreName,
      trained: m.selected.metrics.score,
      base: m.baseline.score,
      rows: m.data.validation_examples,
    };
  };

  it('fine-tunes NER on a CoNLL file: the job succeeds, training loss falls, entity F1 beats the base, and the version serves', async () => {
    const text = readFileSync(join(sharedDataRoot(), 'ner', 'conll2003', 'train.txt'), 'utf8');
    // 300 sentences (270 trained, a seeded 30 held out) for 5 epochs: the fewest that still learn entities.
    const sentences = text
      .split(/\n\s*\n/)
      .filter((b) => b.trim() !== '' && !b.startsWith('-DOCSTART-'))
      .slice(0, 300);
    const file = await uploadText(sentences.join('\n\n') + '\n', 'conll-small.conll');
    const created = (
      await request(t.app.getHttpServer())
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'ner',
          training_file: file,
          method: { type: 'full', full: { hyperparameters: { n_epochs: 5, learning_rate: 1e-2, batch_size: 16 } } },
        })
        .expect(200)
    ).body;
    const done = await waitStatus(created.id, ['succeeded', 'failed', 'cancelled']);
    expect(done).toMatchObject({ status: 'succeeded', error: null, berth: { task: 'ner' } });
    const version = t.host
      .get()
      .get('ner')
      .versions.find((v) => v.version === done.berth.version)!;
    expect(version.metrics).toMatchObject({ task: 'ner', selected: { metrics: { scoreName: 'f1' } } });
    const { first, last } = lossDrop(version.metrics!);
    expect(last).toBeLessThan(first);
    const f1 = scores(version.metrics!);
    expect(f1).toMatchObject({ name: 'f1', rows: 30 });
    expect(f1.trained).toBeGreaterThan(f1.base);
    await t.host.get().activate('ner', version.version);
    const served = await t.host.get().ner('ner', ['EU rejects German call to boycott British lamb .'], { aggregation_strategy: 'none' });
    expect(served.version).toBe(version.version);
  }, 150_000);

  it('fine-tunes QA on a SQuAD file: the job succeeds, training loss falls, SQuAD F1 beats the base, and the version serves', async () => {
    const squad = JSON.parse(readFileSync(join(sharedDataRoot(), 'qa', 'squad11', 'train.json'), 'utf8')) as {
      version: string;
      data: Array<{ title: string; paragraphs: unknown[] }>;
    };
    // Three articles (451 questions; 45 windows held out) for 5 epochs: fewer rows leave the F1 at noise level.
    const small = { version: squad.version, data: squad.data.slice(0, 3) };
    const file = await uploadText(JSON.stringify(small), 'squad-small.json');
    const created = (
      await request(t.app.getHttpServer())
        .post('/v1/fine_tuning/jobs')
        .send({
          model: 'qa',
          training_file: file,
          method: { type: 'full', full: { hyperparameters: { n_epochs: 5, learning_rate: 3e-3, batch_size: 16 } } },
        })
        .expect(200)
    ).body;
    const done = await waitStatus(created.id, ['succeeded', 'failed', 'cancelled']);
    expect(done).toMatchObject({ status: 'succeeded', error: null, berth: { task: 'qa' } });
    const version = t.host
      .get()
      .get('qa')
      .versions.find((v) => v.version === done.berth.version)!;
    expect(version.metrics).toMatchObject({ task: 'qa', selected: { metrics: { scoreName: 'f1' } } });
    const { first, last } = lossDrop(version.metrics!);
    expect(last).toBeLessThan(first);
    const f1 = scores(version.metrics!);
    expect(f1.name).toBe('f1');
    expect(f1.trained).toBeGreaterThan(f1.base);
    await t.host.get().activate('qa', version.version);
    const served = await t.host.get().qa('qa', [{ question: 'Where does John work?', context: 'John works at Google in London.' }], {});
    expect(served.version).toBe(version.version);
  }, 150_000);
});
