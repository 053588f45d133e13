import request from 'supertest';
import { fakeApp, TestApp } from './support/app';
import { tarGz } from './support/tar-builder';

const HF_FILES = [
  { path: 'my-model/', type: '5' as const },
  { path: 'my-model/config.json', content: '{"architectures":["BertForSequenceClassification"]}' },
  { path: 'my-model/tokenizer.json', content: '{}' },
  { path: 'my-model/onnx/', type: '5' as const },
  { path: 'my-model/onnx/model.onnx', content: 'onnx bytes' },
];

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
    expect(list.body.data.map((m: { name: string }) => m.name)).toEqual(['sentiment', 'nli-model', 'ner-model', 'qa-model', 'mlm', 'encoder']);
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
    ['a symlink', [{ path: 'config.json', content: '{}' }, { path: 'link', type: '2' as const, linkTarget: '/etc/passwd' }], 'SymbolicLink'],
    ['a hard link', [{ path: 'config.json', content: '{}' }, { path: 'hl', type: '1' as const, linkTarget: 'config.json' }], 'Link'],
    ['a device', [{ path: 'config.json', content: '{}' }, { path: 'dev', type: '3' as const }], 'CharacterDevice'],
    ['a FIFO', [{ path: 'config.json', content: '{}' }, { path: 'fifo', type: '6' as const }], 'FIFO'],
    ['a path escaping the target', [{ path: 'config.json', content: '{}' }, { path: '../escape.txt', content: 'x' }], 'escapes'],
    ['a nested escape', [{ path: 'config.json', content: '{}' }, { path: 'a/../../escape.txt', content: 'x' }], 'escapes'],
    ['an absolute path', [{ path: 'config.json', content: '{}' }, { path: '/tmp/berth-abs.txt', content: 'x' }], 'absolute'],
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
      .send(tarGz([{ path: 'config.json', content: '{}' }, { path: 'weights.bin', content: Buffer.alloc(5000) }]))
      .expect(413);
    expect(big.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit: 4096 } });
    const huge = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/octet-stream').send(Buffer.alloc(70000, 1)).expect(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const bigPart = await http().post('/v1/models/sentiment/versions').attach('file', Buffer.alloc(70000, 1), 'model.tar.gz').expect(413);
    expect(bigPart.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const junk = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').send(Buffer.from('not an archive')).expect(400);
    expect(junk.body.error.code).toBe('INVALID_INPUT');
    const noConfig = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/gzip').send(tarGz([{ path: 'readme.md', content: 'x' }])).expect(400);
    expect(noConfig.body.error.message).toContain('config.json');
    const empty = await http().post('/v1/models/sentiment/versions').set('content-type', 'application/json').send({}).expect(400);
    expect(empty.body.error.code).toBe('INVALID_INPUT');
    await http().post('/v1/models/unknown/versions').set('content-type', 'application/gzip').send(tarGz(HF_FILES)).expect(404);
  });
});
