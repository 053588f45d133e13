import request from 'supertest';
import { fakeApp, TestApp } from './support/app';
import { HF_LAYOUT_ENTRIES as HF_FILES, tarGz } from './support/tar-builder';

describe('model management (fake core)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({ BERTH_MAX_ARCHIVE_BYTES: '65536', BERTH_MAX_ARCHIVE_EXTRACTED_BYTES: '4096' });
  });
  afterAll(() => t.app.close());

  it('lists and inspects models', async () => {
    const list = await http().get('/v1/models').expect(200);
    expect(list.body.object).toBe('list');
    expect(list.body.data.map((m: { name: string }) => m.name)).toEqual([
      'sentiment',
      'nli-model',
      'ner-model',
      'qa-model',
      'mlm',
      'encoder',
    ]);
    const one = await http().get('/v1/models/ner-model').expect(200);
    expect(one.body).toMatchObject({ name: 'ner-model', task: 'token-classification', active_version: 1, status: 'ready' });
    expect((await http().get('/v1/models/missing').expect(404)).body.error.code).toBe('MODEL_NOT_FOUND');
    expect((await http().get('/v1/models/..%2F..%2Fetc').expect(400)).body.error.code).toBe('INVALID_INPUT');
  });

  it('imports a .tar.gz sent as the raw body, unpacking its single top-level folder, and activates on request', async () => {
    const res = await http()
      .post('/v1/models/sentiment/versions?activate=true')
      .set('content-type', 'application/gzip')
      .send(tarGz(HF_FILES))
      .expect(201);
    expect(res.body.version).toMatchObject({ version: 2, source: 'imported' });
    expect(res.body.model).toMatchObject({ name: 'sentiment', active_version: 2 });
    expect(t.core.imported.at(-1)).toEqual({ name: 'sentiment', files: ['config.json', 'onnx', 'tokenizer.json'] });
  });

  it('imports a multipart upload, and activates a version (and rolls back)', async () => {
    const res = await http()
      .post('/v1/models/ner-model/versions')
      .attach('file', tarGz([{ path: 'config.json', content: '{}' }]), 'model.tar.gz')
      .expect(201);
    expect(res.body.version.version).toBe(2);
    expect(res.body.model).toBeUndefined();
    expect(t.core.imported.at(-1)).toEqual({ name: 'ner-model', files: ['config.json'] });
    expect((await http().post('/v1/models/ner-model/versions/2/activate').expect(200)).body.active_version).toBe(2);
    expect((await http().post('/v1/models/ner-model/versions/1/activate').expect(200)).body.active_version).toBe(1);
    expect((await http().post('/v1/models/ner-model/versions/5/activate').expect(404)).body.error.code).toBe('VERSION_NOT_FOUND');
    expect((await http().post('/v1/models/ner-model/versions/abc/activate').expect(400)).body.error.code).toBe('INVALID_INPUT');
  });

  it.each([
    [
      'a symlink',
      [
        { path: 'config.json', content: '{}' },
        { path: 'link', type: '2' as const, linkTarget: '/etc/passwd' },
      ],
      'SymbolicLink',
    ],
    [
      'a hard link',
      [
        { path: 'config.json', content: '{}' },
        { path: 'hl', type: '1' as const, linkTarget: 'config.json' },
      ],
      'Link',
    ],
    [
      'a device',
      [
        { path: 'config.json', content: '{}' },
        { path: 'dev', type: '3' as const },
      ],
      'CharacterDevice',
    ],
    [
      'a FIFO',
      [
        { path: 'config.json', content: '{}' },
        { path: 'fifo', type: '6' as const },
      ],
      'FIFO',
    ],
    [
      'a path escaping the target',
      [
        { path: 'config.json', content: '{}' },
        { path: '../escape.txt', content: 'x' },
      ],
      'escapes',
    ],
    [
      'a nested escape',
      [
        { path: 'config.json', content: '{}' },
        { path: 'a/../../escape.txt', content: 'x' },
      ],
      'escapes',
    ],
    [
      'an absolute path',
      [
        { path: 'config.json', content: '{}' },
        { path: '/tmp/berth-abs.txt', content: 'x' },
      ],
      'absolute',
    ],
  ])('refuses an archive with %s, writing nothing', async (_, entries, hint) => {
    const before = t.core.imported.length;
    const res = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').send(tarGz(entries)).expect(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(res.body.error.message).toContain(hint);
    expect(t.core.imported.length).toBe(before);
  });

  it('refuses archives that unpack past the limit (413), bodies past the upload limit (413), junk and archives without config.json (400)', async () => {
    const big = await http()
      .post('/v1/models/sentiment/versions')
      .set('content-type', 'application/gzip')
      .send(
        tarGz([
          { path: 'config.json', content: '{}' },
          { path: 'weights.bin', content: Buffer.alloc(5000) },
        ]),
      )
      .expect(413);
    expect(big.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit: 4096 } });
    const huge = await http()
      .post('/v1/models/sentiment/versions')
      .set('content-type', 'application/octet-stream')
      .send(Buffer.alloc(70000, 1))
      .expect(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const bigPart = await http().post('/v1/models/sentiment/versions').attach('file', Buffer.alloc(70000, 1), 'model.tar.gz').expect(413);
    expect(bigPart.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const junk = await http()
      .post('/v1/models/sentiment/versions')
      .set('content-type', 'application/gzip')
      .send(Buffer.from('not an archive'))
      .expect(400);
    expect(junk.body.error.code).toBe('INVALID_INPUT');
    const noConfig = await http()
      .post('/v1/models/sentiment/versions')
      .set('content-type', 'application/gzip')
      .send(tarGz([{ path: 'readme.md', content: 'x' }]))
      .expect(400);
    expect(noConfig.body.error.message).toContain('config.json');
    const empty = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').expect(400);
    expect(empty.body.error.code).toBe('INVALID_INPUT');
    const json = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/json').send({}).expect(415);
    expect(json.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    await http().post('/v1/models/unknown/versions').set('content-type', 'application/gzip').send(tarGz(HF_FILES)).expect(404);
  });
});

describe('rollback, unload and load (fake core)', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp();
  });
  afterAll(() => t.app.close());

  it('rollback returns to the version active before, and walks back through each activation', async () => {
    await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').send(tarGz(HF_FILES)).expect(201);
    await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').send(tarGz(HF_FILES)).expect(201);
    await http().post('/v1/models/sentiment/versions/3/activate').expect(200);
    await http().post('/v1/models/sentiment/versions/2/activate').expect(200);
    const first = await http().post('/v1/models/sentiment/rollback').expect(200);
    expect(first.body).toMatchObject({ name: 'sentiment', active_version: 3, status: 'ready' });
    expect(
      (await http().post('/v1/classify').send({ model: 'sentiment', inputs: 'after rollback' }).expect(200)).headers['x-model-version'],
    ).toBe('3');
    expect((await http().post('/v1/models/sentiment/rollback').expect(200)).body.active_version).toBe(1);
    const none = await http().post('/v1/models/sentiment/rollback').expect(409);
    expect(none.body.error).toMatchObject({ code: 'CONFLICT', details: { model: 'sentiment', active_version: 1 } });
    expect(none.body.error.message).toContain('no previous version');
  });

  it('a model never activated has no previous version (409); unknown models are 404, bad names 400', async () => {
    expect((await http().post('/v1/models/qa-model/rollback').expect(409)).body.error.code).toBe('CONFLICT');
    for (const action of ['rollback', 'unload', 'load']) {
      expect((await http().post(`/v1/models/missing/${action}`).expect(404)).body.error.code).toBe('MODEL_NOT_FOUND');
      expect((await http().post(`/v1/models/..%2Fetc/${action}`).expect(400)).body.error.code).toBe('INVALID_INPUT');
    }
  });

  it('unload makes inference on the model a 409 naming the fix; load serves it again', async () => {
    const unloaded = await http().post('/v1/models/ner-model/unload').expect(200);
    expect(unloaded.body).toMatchObject({ name: 'ner-model', status: 'unloaded', active_version: 1 });
    expect((await http().post('/v1/models/ner-model/unload').expect(200)).body.status).toBe('unloaded');
    expect((await http().get('/v1/models/ner-model').expect(200)).body.status).toBe('unloaded');
    const refused = await http().post('/v1/ner').send({ model: 'ner-model', inputs: 'Ada lives here' }).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'CONFLICT', details: { model: 'ner-model', status: 'unloaded' } });
    expect(refused.body.error.message).toContain('/v1/models/ner-model/load');
    // Other models keep serving.
    await http().post('/v1/classify').send({ model: 'sentiment', inputs: 'fine' }).expect(200);

    const loaded = await http().post('/v1/models/ner-model/load').expect(200);
    expect(loaded.body).toMatchObject({ name: 'ner-model', status: 'ready', active_version: 1 });
    expect((await http().post('/v1/models/ner-model/load').expect(200)).body.status).toBe('ready');
    const served = await http().post('/v1/ner').send({ model: 'ner-model', inputs: 'Ada lives here' }).expect(200);
    expect(served.headers['x-model-version']).toBe('1');
  });

  it('counts rollbacks, unloads and loads in /metrics', async () => {
    const text = (await http().get('/metrics').expect(200)).text;
    expect(text).toContain('berth_model_lifecycle_events_total{model="sentiment",event="rollback"} 2');
    expect(text).toContain('berth_model_lifecycle_events_total{model="ner-model",event="unload"} 2');
    expect(text).toContain('berth_model_lifecycle_events_total{model="ner-model",event="load"} 1');
  });
});

describe('rollback, unload and load need the admin scope', () => {
  const INFERENCE_KEY = 'inference-key-0001';
  const ADMIN_KEY = 'admin-key-00000001';
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await fakeApp({ BERTH_API_KEYS: INFERENCE_KEY, BERTH_ADMIN_KEYS: ADMIN_KEY });
  });
  afterAll(() => t.app.close());

  it.each(['unload', 'load', 'rollback'])(
    'POST /v1/models/{name}/%s: 401 without a key, 403 with an inference key, done with an admin key',
    async (action) => {
      expect((await http().post(`/v1/models/sentiment/${action}`).expect(401)).body.error.code).toBe('UNAUTHORIZED');
      const forbidden = await http().post(`/v1/models/sentiment/${action}`).set('authorization', `Bearer ${INFERENCE_KEY}`).expect(403);
      expect(forbidden.body.error.code).toBe('FORBIDDEN');
      const admin = await http().post(`/v1/models/sentiment/${action}`).set('authorization', `Bearer ${ADMIN_KEY}`);
      // The admin call reaches the core: unload and load succeed; rollback has nothing to return to.
      expect(admin.status).toBe(action === 'rollback' ? 409 : 200);
    },
  );
});
