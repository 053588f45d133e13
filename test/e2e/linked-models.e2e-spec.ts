/**
 * Model folders reached through symbolic links, served by the real app: a models folder whose
 * entries link to model folders elsewhere, one of them a Hugging Face cache snapshot (every file
 * a relative link into `blobs/`), and one link that points nowhere, which is skipped with a
 * warning while the others serve. The models are the shipped defaults in `models/`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { JsonLogger } from '../../src/http/json-logger';
import type { LabelScore } from '../../src/serving/contracts';

const SHIPPED = resolve(__dirname, '..', '..', 'models');

/** `models--org--name/{blobs,snapshots/<rev>}` as huggingface_hub lays out a download of `from`. */
function hfCacheCopy(from: string, repo: string): string {
  const snapshot = join(repo, 'snapshots', '5f1e2d3c');
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  readdirSync(from).forEach((file, i) => {
    copyFileSync(join(from, file), join(repo, 'blobs', `b${i}`));
    symlinkSync(join('..', '..', 'blobs', `b${i}`), join(snapshot, file));
  });
  return snapshot;
}

describe('model folders reached through symbolic links, over HTTP', () => {
  let app: NestFastifyApplication;
  let root: string;
  const logs: string[] = [];
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-linked-'));
    const models = join(root, 'models');
    mkdirSync(models);
    symlinkSync(join(SHIPPED, 'berth-mini-sentiment'), join(models, 'sentiment'));
    hfCacheCopy(join(SHIPPED, 'berth-mini-nli'), join(root, 'hub', 'models--berth--mini-nli'));
    symlinkSync(join('..', 'hub', 'models--berth--mini-nli', 'snapshots', '5f1e2d3c'), join(models, 'nli'));
    symlinkSync(join(root, 'deleted-model'), join(models, 'gone'));
    const config = loadConfig({
      BERTH_MODELS_DIR: models,
      BERTH_DATA_DIR: join(root, 'data'),
      BERTH_THREADS: '1',
      BERTH_LOG_LEVEL: 'warn',
    });
    app = await createApp({
      config,
      logger: new JsonLogger(config.logLevel, (line) => logs.push(line)),
      waitForCore: true,
      processMetrics: false,
    });
    await app.getHttpAdapter().getInstance().ready();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves both linked models and names the dangling link in a warning', async () => {
    const ready = await http().get('/health/ready').expect(200);
    expect(ready.body.models.map((m: { name: string; status: string }) => [m.name, m.status])).toEqual([
      ['nli', 'ready'],
      ['sentiment', 'ready'],
    ]);
    const warnings = logs.map((l) => JSON.parse(l) as { level: string; msg?: string; link?: string }).filter((l) => l.level === 'warn');
    expect(warnings).toContainEqual(
      expect.objectContaining({
        link: 'gone',
        msg: `skipping model link "gone": it points to ${join(root, 'deleted-model')}, which does not exist`,
      }),
    );
  });

  it('the folder linked as a whole answers', async () => {
    const res = await http()
      .post('/v1/classify')
      .send({
        model: 'sentiment',
        inputs: ['A wonderful film: a moving story, brilliant acting and a beautiful score. I loved every minute of it.'],
      })
      .expect(200);
    expect(res.body.results[0].labels[0].label).toBe('positive');
  });

  it('the Hugging Face cache snapshot answers, and its size counts the blobs', async () => {
    const premise = 'A man is playing a guitar on a stage in front of a crowd.';
    const res = await http()
      .post('/v1/nli')
      .send({
        model: 'nli',
        inputs: [
          { premise, hypothesis: 'A man is playing music.' },
          { premise, hypothesis: 'The man is sleeping in his bed.' },
        ],
      })
      .expect(200);
    const best = res.body.results.map((r: { labels: LabelScore[] }) => r.labels.reduce((a, b) => (b.score > a.score ? b : a)).label);
    expect(best).toEqual(['entailment', 'contradiction']);
    const info = await http().get('/v1/models/nli').expect(200);
    expect(info.body.versions[0].size_bytes).toBeGreaterThan(10_000_000);
  });
});
