import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthStore, SqliteFileStore, SqliteJobStore, StoredJob } from '../store';
import type { TrainEvent, TrainMetricsFile } from '../trainer/train';
import { JobRunner, Publisher } from './job-runner';
import { CANCELLED_CODE, TrainingExecutor, TrainingRequest } from './training-executor';

/** A controllable stand-in for the trainer: each run waits until the test lets it finish. */
class FakeTrainer {
  readonly started: TrainingRequest[] = [];
  private readonly releases: Array<() => void> = [];
  failWith: Error | undefined;

  readonly execute: TrainingExecutor = (request, hooks) =>
    new Promise((resolve, reject) => {
      this.started.push(request);
      const emit = (e: TrainEvent) => hooks.onEvent(e);
      emit({
        type: 'start',
        totalSteps: 2,
        stepsPerEpoch: 2,
        epochs: 1,
        trainExamples: 4,
        validationExamples: 1,
        trainable: 10,
        frozen: 0,
        validation: 'held out',
      });
      emit({
        type: 'step',
        epoch: 1,
        step: 1,
        totalSteps: 2,
        loss: 0.9,
        learningRate: 1e-4,
        gradNorm: 1,
        examplesPerSecond: 8,
        elapsedSeconds: 2,
      });
      hooks.signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: CANCELLED_CODE })));
      this.releases.push(() => {
        if (this.failWith) return reject(this.failWith);
        emit({
          type: 'step',
          epoch: 1,
          step: 2,
          totalSteps: 2,
          loss: 0.5,
          learningRate: 0,
          gradNorm: 1,
          examplesPerSecond: 8,
          elapsedSeconds: 4,
        });
        const metrics = { loss: 0.4, score: 0.75, scoreName: 'accuracy', accuracy: 0.75 };
        emit({ type: 'eval', epoch: 1, step: 2, metrics, best: true });
        mkdirSync(request.outDir, { recursive: true });
        writeFileSync(join(request.outDir, 'metrics.json'), '{}');
        resolve({
          outDir: request.outDir,
          metrics: { selected: { select: 'best', epoch: 1, step: 2, metrics } } as unknown as TrainMetricsFile,
        });
      });
    });

  finishNext(): void {
    const release = this.releases.shift();
    if (!release) throw new Error('nothing is running');
    release();
  }
}

describe('JobRunner', () => {
  let dir: string;
  let store: BerthStore;
  let trainer: FakeTrainer;
  let published: Array<{ job: StoredJob; outDirExisted: boolean }>;
  let runner: JobRunner;

  const publish: Publisher = async (job, outcome) => {
    published.push({ job, outDirExisted: existsSync(outcome.outDir) });
    return { fineTunedModel: job.targetModel, version: 2, activated: false, reason: 'auto_activate is off' };
  };

  const makeRunner = () =>
    new JobRunner({
      jobs: new SqliteJobStore(store),
      files: new SqliteFileStore(store),
      workDir: join(dir, 'jobs'),
      execute: trainer.execute,
      publish,
      modelDir: (m) => `/models/${m}`,
    });

  const newJob = (): string => {
    const job = store.jobs.create({
      model: 'sentiment',
      task: 'classification',
      trainingFile: 'file-train',
      validationFile: null,
      method: 'lora',
      hyperparameters: { n_epochs: 1, options: { epochs: 1, learningRate: 1e-4 } },
      seed: 3,
      suffix: null,
      metadata: null,
      autoActivate: false,
      targetModel: 'sentiment',
    });
    return job.id;
  };
  const status = (id: string) => store.jobs.get(id)?.status;
  const messages = (id: string) =>
    store.jobs
      .listEvents(id, { limit: 1000 })
      .data.reverse()
      .map((e) => e.message);
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-runner-'));
    store = BerthStore.open(dir);
    const data = join(dir, 'train.csv');
    writeFileSync(data, 'text,target\na,positive\n');
    store.files.insert({
      id: 'file-train',
      filename: 'train.csv',
      purpose: 'fine-tune',
      bytes: 1,
      createdAt: 1,
      path: data,
      task: 'classification',
      format: 'csv',
      stats: {},
    });
    trainer = new FakeTrainer();
    published = [];
    runner = makeRunner();
  });
  afterEach(async () => {
    await runner.shutdown();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs one job at a time, in order, through validating_files → queued → running → succeeded', async () => {
    const a = newJob();
    const b = newJob();
    await runner.submit(a);
    await runner.submit(b);
    await until(() => trainer.started.length === 1);
    expect([status(a), status(b)]).toEqual(['running', 'queued']);
    expect(trainer.started[0]).toMatchObject({
      modelDir: '/models/sentiment',
      task: 'classification',
      method: 'lora',
      epochs: 1,
      learningRate: 1e-4,
      seed: 3,
      trainFile: join(dir, 'train.csv'),
    });
    expect(trainer.started[0].outDir).toBe(join(dir, 'jobs', a, 'model'));

    trainer.finishNext();
    await until(() => status(a) === 'succeeded' && trainer.started.length === 2);
    expect(status(b)).toBe('running');
    trainer.finishNext();
    await runner.idle();

    expect(store.jobs.get(a)).toMatchObject({ status: 'succeeded', fineTunedModel: 'sentiment', version: 2, error: null });
    expect(store.jobs.get(a)?.progress).toMatchObject({ step: 2, total_steps: 2, train_loss: 0.5, eta_seconds: 0 });
    expect(messages(a)).toEqual([
      'Files validated; job queued',
      'Fine-tuning started (lora on sentiment)',
      expect.stringMatching(/^Training 4 examples for 1 epochs/),
      'Step 1/2: training loss=0.9000',
      'Step 2/2: training loss=0.5000',
      expect.stringMatching(/^Epoch 1 evaluation: accuracy=0.7500/),
      'The job has successfully completed',
    ]);
    expect(store.jobs.listCheckpoints(a, { limit: 10 }).data).toEqual([expect.objectContaining({ step: 2, epoch: 1, selected: true })]);
    // The publisher saw the finished output; afterwards the work directory is gone.
    expect(published.map((p) => p.outDirExisted)).toEqual([true, true]);
    expect(existsSync(join(dir, 'jobs', a))).toBe(false);
  });

  it('cancels a queued job at once and a running one without publishing', async () => {
    const a = newJob();
    const b = newJob();
    await runner.submit(a);
    await runner.submit(b);
    await until(() => trainer.started.length === 1);
    await runner.cancel(b);
    expect(status(b)).toBe('cancelled');
    await runner.cancel(a);
    await runner.idle();
    expect(status(a)).toBe('cancelled');
    expect(trainer.started).toHaveLength(1);
    expect(published).toEqual([]);
    expect(messages(a)).toContain('Job cancelled; no model version was written');
    expect(existsSync(join(dir, 'jobs', a))).toBe(false);
  });

  it('fails a job whose training file was deleted before it ran, and one whose training failed', async () => {
    const a = newJob();
    const b = newJob();
    await runner.submit(a);
    await runner.submit(b);
    await until(() => trainer.started.length === 1);
    store.files.delete('file-train');
    trainer.failWith = new Error('loss is NaN at step 2; lower the learning rate');
    trainer.finishNext();
    await runner.idle();
    expect(store.jobs.get(a)).toMatchObject({
      status: 'failed',
      error: { code: 'training_failed', message: 'loss is NaN at step 2; lower the learning rate' },
    });
    expect(store.jobs.get(b)).toMatchObject({ status: 'failed', error: { code: 'invalid_training_file', param: 'training_file' } });
    expect(trainer.started).toHaveLength(1);
  });

  it('after a restart, fails the interrupted job, removes its partial output, and runs the queued one', async () => {
    const a = newJob();
    const b = newJob();
    store.jobs.transition(a, ['validating_files'], 'running');
    store.jobs.transition(b, ['validating_files'], 'queued');
    const partial = join(dir, 'jobs', a, 'model.tmp');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'model.onnx'), 'half');

    await runner.recover();
    expect(store.jobs.get(a)).toMatchObject({ status: 'failed', error: { code: 'server_restarted' } });
    expect(store.jobs.get(a)?.error?.message).toMatch(/server stopped while this job was running/);
    expect(existsSync(join(dir, 'jobs', a))).toBe(false);
    await until(() => trainer.started.length === 1);
    expect(status(b)).toBe('running');
    trainer.finishNext();
    await runner.idle();
    expect(status(b)).toBe('succeeded');
  });

  it('after a restart, keeps queued jobs queued until the models are ready, then runs them', async () => {
    const a = newJob();
    store.jobs.transition(a, ['validating_files'], 'queued');
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const recovered = runner.recover(ready);
    await new Promise((r) => setTimeout(r, 50));
    expect(status(a)).toBe('queued');
    expect(trainer.started).toHaveLength(0);
    markReady();
    await recovered;
    await until(() => trainer.started.length === 1);
    expect(status(a)).toBe('running');
    trainer.finishNext();
    await runner.idle();
    expect(status(a)).toBe('succeeded');
  });

  it('on shutdown, stops the running job and records why', async () => {
    const a = newJob();
    await runner.submit(a);
    await until(() => trainer.started.length === 1);
    await runner.shutdown();
    expect(store.jobs.get(a)).toMatchObject({ status: 'failed', error: { code: 'server_shutdown' } });
  });

  it('streams new events to subscribers', async () => {
    const a = newJob();
    const seen: string[] = [];
    const stop = runner.subscribe(a, (e) => seen.push(e.message));
    await runner.submit(a);
    await until(() => trainer.started.length === 1);
    stop();
    trainer.finishNext();
    await runner.idle();
    expect(seen).toEqual([
      'Files validated; job queued',
      'Fine-tuning started (lora on sentiment)',
      expect.stringMatching(/^Training/),
      'Step 1/2: training loss=0.9000',
    ]);
  });
});
