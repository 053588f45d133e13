/**
 * Domain adaptation through the HTTP API: a plain-text file uploaded for fine-tuning is unlabeled
 * text; a job on the pre-trained encoder `berth-mini` continues its masked-LM pre-training on it
 * and publishes a new version; a classification job then starts from that version.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { servingCoreFactory } from '../../src/modules/core/serving-core.factory';
import { sharedDataRoot } from '../helpers/fixtures';
import { fineTuningApp, FineTuningTestApp } from './support/fine-tuning-app';

const SST2_DEV = join(sharedDataRoot(), 'sentiment', 'sst2', 'dev.tsv');
const describeWithData = existsSync(SST2_DEV) ? describe : describe.skip;
if (!existsSync(SST2_DEV)) console.warn(`skipping domain adaptation through the API: no shared data at ${SST2_DEV}`);

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWithData('domain adaptation through the API (berth-mini, real trainer, real serving core)', () => {
  let t: FineTuningTestApp;
  let root: string;
  const http = () => request(t.app.getHttpServer());
  const upload = async (name: string, content: string, status = 200) =>
    (await http().post('/v1/files').field('purpose', 'fine-tune').attach('file', Buffer.from(content), name).expect(status)).body;
  const finish = async (id: string) => {
    await until(
      async () => ['succeeded', 'failed', 'cancelled'].includes((await http().get(`/v1/fine_tuning/jobs/${id}`)).body.status),
      170_000,
    );
    return (await http().get(`/v1/fine_tuning/jobs/${id}`).expect(200)).body;
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-domain-'));
    mkdirSync(join(root, 'models'));
    cpSync(resolve(__dirname, '..', '..', 'models', 'berth-mini'), join(root, 'models', 'berth-mini'), { recursive: true });
    t = await fineTuningApp(
      { BERTH_DATA_DIR: join(root, 'data'), BERTH_MODELS_DIR: join(root, 'models'), BERTH_BATCHING: 'false' },
      servingCoreFactory(),
    );
  });
  afterAll(async () => {
    await t?.app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses bad text files with a 400 naming the line', async () => {
    const binary = await upload('blob.txt', 'a fine first line\nsecond \u0000 line\n', 400);
    expect(binary.error).toMatchObject({ code: 'INVALID_INPUT', details: { line: 2 } });
    expect(binary.error.message).toMatch(/line 2: binary content/);
    const empty = await upload('empty.txt', '\n\n', 400);
    expect(empty.error.message).toMatch(/file is empty/);
    const long = await upload('long.txt', `short\n${'x'.repeat(1_000_001)}\n`, 400);
    expect(long.error).toMatchObject({ code: 'INVALID_INPUT', details: { line: 2 } });
    expect(long.error.message).toMatch(/over the limit of 1000000/);
  });

  it('continues pre-training on uploaded text, publishes a new encoder version with a lower held-out MLM loss, and a classification job starts from it', async () => {
    // Movie-review sentences (SST-2's tokenised, lower-cased style): a domain the book-trained encoder has not seen.
    const rows = readFileSync(SST2_DEV, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split('\t'));
    const sentences = rows.map(([text]) => text.trim());
    const trainText = await upload('reviews.txt', `${sentences.slice(0, 500).join('\n')}\n`);
    expect(trainText.berth).toMatchObject({ task: 'text', format: 'text', stats: { rows: 500 } });
    // Blank lines separate documents: three two-line documents here.
    const heldOut = sentences.slice(500, 620);
    const validText = await upload(
      'reviews-held-out.txt',
      `${[0, 2, 4].map((i) => heldOut.slice(i * 20, i * 20 + 40).join('\n')).join('\n\n')}\n\n${heldOut.slice(60).join('\n')}\n`,
    );
    expect(validText.berth.task).toBe('text');

    const adapted = await finish(
      (
        await http()
          .post('/v1/fine_tuning/jobs')
          .send({
            model: 'berth-mini',
            training_file: trainText.id,
            validation_file: validText.id,
            method: { type: 'full', full: { hyperparameters: { n_epochs: 2, batch_size: 16, learning_rate: 2e-4, max_seq_length: 64 } } },
            auto_activate: true,
          })
          .expect(200)
      ).body.id,
    );
    expect(adapted.error).toBeNull();
    expect(adapted).toMatchObject({ status: 'succeeded', fine_tuned_model: 'berth-mini', berth: { task: 'mlm', version: 2 } });

    const info = (await http().get('/v1/models/berth-mini').expect(200)).body;
    expect(info.active_version).toBe(2);
    const v2 = info.versions.find((v: { version: number }) => v.version === 2);
    const metrics = v2.metrics as { baseline: { loss: number }; selected: { metrics: { loss: number } } };
    console.log(`held-out MLM loss: version 1 ${metrics.baseline.loss}, version 2 ${metrics.selected.metrics.loss}`);
    expect(metrics.selected.metrics.loss).toBeLessThan(metrics.baseline.loss);
    // The adapted encoder serves fill-mask.
    const filled = (await http().post('/v1/fill-mask').send({ model: 'berth-mini', inputs: 'a [MASK] movie .' }).expect(200)).body;
    expect(filled.version).toBe(2);

    // A labelled file on the encoder: a new head on version 2, trained as a new model.
    const csv = [
      'text,target',
      ...rows
        .slice(0, 120)
        .map(([text, label]) => `"${text.trim().replace(/"/g, '""')}",${label.trim() === '1' ? 'positive' : 'negative'}`),
    ].join('\n');
    const labelled = await upload('sst2.csv', csv);
    const cls = await finish(
      (
        await http()
          .post('/v1/fine_tuning/jobs')
          .send({
            model: 'berth-mini',
            training_file: labelled.id,
            suffix: 'reviews',
            method: { type: 'full', full: { hyperparameters: { n_epochs: 1, max_seq_length: 64 } } },
          })
          .expect(200)
      ).body.id,
    );
    expect(cls.error).toBeNull();
    expect(cls).toMatchObject({ status: 'succeeded', fine_tuned_model: 'berth-mini-ft-reviews', berth: { task: 'classification' } });
    const events = (await http().get(`/v1/fine_tuning/jobs/${cls.id}/events?limit=1000`).expect(200)).body.data;
    const started = events.find((e: { message: string }) => e.message.startsWith('Fine-tuning started'));
    expect(started.data).toEqual({ model: 'berth-mini', version: 2 });
    const served = (
      await http().post('/v1/classify').send({ model: 'berth-mini-ft-reviews', inputs: 'a gorgeous , witty movie' }).expect(200)
    ).body;
    expect(['positive', 'negative']).toContain(served.results[0].labels[0].label);
  }, 400_000);
});
