/**
 * Hardening on the real serving core: a version that cannot serve is refused before it is
 * registered, and no response names a path of the server's file system.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import * as tar from 'tar';
import { createApp } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { JsonLogger } from '../../src/http/json-logger';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

const TOKENIZER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

describeWithFixtures('hardening on the real serving core (hf-tiny bert-seqcls)', () => {
  let app: NestFastifyApplication;
  let work: string;
  let dataDir: string;
  let modelsDir: string;
  const http = () => request(app.getHttpServer());
  const versionDirs = () => {
    const dir = join(dataDir, 'models', 'bert-seqcls', 'versions');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const scratch = () => (existsSync(join(dataDir, 'tmp')) ? readdirSync(join(dataDir, 'tmp')) : []);

  /** An archive of the model's config and tokenizer with `model.onnx` replaced by `onnx`. */
  async function archiveWith(onnx: Buffer): Promise<Buffer> {
    const dir = join(work, `garbage-${randomBytes(4).toString('hex')}`, 'bert-seqcls');
    mkdirSync(dir, { recursive: true });
    for (const f of TOKENIZER_FILES)
      if (existsSync(join(hfTinyDir('bert-seqcls'), f))) copyFileSync(join(hfTinyDir('bert-seqcls'), f), join(dir, f));
    writeFileSync(join(dir, 'model.onnx'), onnx);
    const file = `${dir}.tar.gz`;
    await tar.c({ gzip: true, file, cwd: join(dir, '..') }, ['bert-seqcls']);
    const { readFileSync } = await import('node:fs');
    return readFileSync(file);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-hardening-'));
    modelsDir = join(work, 'models');
    dataDir = join(work, 'data');
    cpSync(hfTinyDir('bert-seqcls'), join(modelsDir, 'bert-seqcls'), { recursive: true });
    const config = loadConfig({ BERTH_MODELS_DIR: modelsDir, BERTH_DATA_DIR: dataDir, BERTH_THREADS: '1', BERTH_LOG_LEVEL: 'error' });
    app = await createApp({ config, logger: new JsonLogger(config.logLevel), waitForCore: true, processMetrics: false });
    await app.getHttpAdapter().getInstance().ready();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ['', 'registered'],
    ['?activate=true', 'registered and activated'],
  ])('refuses an archive whose model.onnx is random bytes (%s) with 422, and nothing is %s', async (query) => {
    const before = (await http().get('/v1/models/bert-seqcls').expect(200)).body;
    const res = await http()
      .post(`/v1/models/bert-seqcls/versions${query}`)
      .set('content-type', 'application/gzip')
      .send(await archiveWith(randomBytes(4096)))
      .expect(422);
    expect(res.body.error.code).toBe('MODEL_LOAD_FAILED');
    const after = (await http().get('/v1/models/bert-seqcls').expect(200)).body;
    expect(after.versions).toEqual(before.versions);
    expect(after).toMatchObject({ active_version: 1, status: 'ready' });
    expect(versionDirs()).toEqual([]);
    expect(scratch()).toEqual([]);
    await http().post('/v1/classify').send({ model: 'bert-seqcls', inputs: 'still serving' }).expect(200);
  });

  it('names no absolute server path in any response, errors included', async () => {
    const roots = [resolve(work), resolve(dataDir), resolve(modelsDir)];
    const bodies: string[] = [];
    const keep = async (r: request.Test) => bodies.push((await r).text);
    await keep(http().get('/v1/models'));
    await keep(http().get('/v1/models/bert-seqcls'));
    await keep(http().get('/info'));
    await keep(http().get('/health/ready'));
    await keep(http().get('/v2/models/bert-seqcls'));
    await keep(
      http()
        .post('/v1/models/bert-seqcls/versions')
        .set('content-type', 'application/gzip')
        .send(await archiveWith(randomBytes(512))),
    );
    await keep(http().post('/v1/models/bert-seqcls/versions').set('content-type', 'application/gzip').send(Buffer.from('not an archive')));
    await keep(http().post('/v1/files').field('purpose', 'fine-tune').attach('file', Buffer.from('text,target\na,b\n'), 'x.csv'));
    await keep(http().get('/v1/files'));
    await keep(http().post('/v1/fine_tuning/jobs').send({ model: 'bert-seqcls', training_file: 'file-missing' }));
    await keep(http().post('/v1/models/bert-seqcls/versions/7/activate'));
    expect(bodies).toHaveLength(11);
    // The import failure's message would name the scratch path if nothing redacted it.
    expect(bodies[5]).toContain('model.onnx');
    for (const body of bodies) for (const root of roots) expect(body).not.toContain(root);
  });
});
