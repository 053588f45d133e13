import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FakeCore } from './support/fake-core';
import { fineTuningApp, FineTuningTestApp } from './support/fine-tuning-app';

const fakeCore = async () => new FakeCore();

describe('files API (fake core)', () => {
  let t: FineTuningTestApp;
  let dataDir: string;
  const http = () => request(t.app.getHttpServer());
  const upload = (name: string, content: string | Buffer, fields: Record<string, string> = { purpose: 'fine-tune' }) => {
    let r = http().post('/v1/files');
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    return r.attach('file', Buffer.from(content), name);
  };
  const keptFiles = () => readdirSync(join(dataDir, 'files'));
  /** A file's content as bytes (supertest would parse a text/csv body as a string or not at all). */
  const download = (id: string) =>
    http()
      .get(`/v1/files/${id}/content`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-files-'));
    t = await fineTuningApp({ BERTH_DATA_DIR: dataDir, BERTH_MAX_FILE_BYTES: '4096' }, fakeCore, {
      executor: async () => new Promise(() => undefined),
    });
  });
  afterAll(async () => {
    await t.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts a CSV, reports OpenAI fields and stats, lists, retrieves, downloads and deletes it', async () => {
    const csv = 'text,target\n"good, really good",positive\nbad,negative\nfine,positive\n';
    const res = await upload('reviews.csv', csv).expect(200);
    expect(res.body).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(csv),
      filename: 'reviews.csv',
      purpose: 'fine-tune',
      status: 'processed',
      berth: { task: 'classification', format: 'csv', stats: { rows: 3, label_counts: { positive: 2, negative: 1 } } },
    });
    expect(res.body.id).toMatch(/^file-/);
    expect(typeof res.body.created_at).toBe('number');

    const list = await http().get('/v1/files').expect(200);
    expect(list.body).toMatchObject({ object: 'list', has_more: false });
    expect(list.body.data.map((f: { id: string }) => f.id)).toContain(res.body.id);
    expect((await http().get(`/v1/files/${res.body.id}`).expect(200)).body).toEqual(res.body);
    const content = await download(res.body.id);
    expect((content.body as Buffer).toString('utf8')).toBe(csv);

    expect((await http().delete(`/v1/files/${res.body.id}`).expect(200)).body).toEqual({ id: res.body.id, object: 'file', deleted: true });
    expect((await http().get(`/v1/files/${res.body.id}`).expect(404)).body.error.code).toBe('NOT_FOUND');
    expect(keptFiles()).toEqual([]);
  });

  it('downloads a file whose name is not Latin-1, naming it exactly in filename* (RFC 5987)', async () => {
    const csv = 'text,target\n好,positive\n坏,negative\n';
    const res = await upload('数据.csv', csv).expect(200);
    expect(res.body.filename).toBe('数据.csv');
    const content = await download(res.body.id);
    expect((content.body as Buffer).toString('utf8')).toBe(csv);
    const disposition = String(content.headers['content-disposition']);
    const encoded = /filename\*=UTF-8''(\S+)$/.exec(disposition)?.[1];
    expect(encoded && decodeURIComponent(encoded)).toBe('数据.csv');
    await http().delete(`/v1/files/${res.body.id}`).expect(200);
  });

  it('detects NER (CoNLL, JSONL) and QA (SQuAD JSON, JSONL) files', async () => {
    const conll = await upload('ner.conll', 'John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\n').expect(200);
    expect(conll.body.berth).toMatchObject({
      task: 'ner',
      format: 'conll',
      stats: { rows: 2, label_counts: { 'B-PER': 2, O: 2, 'B-LOC': 1 } },
    });
    const txt = await upload('ner.txt', 'EU NNP I-NP B-ORG\nrejects VBZ I-VP O\n').expect(200);
    expect(txt.body.berth).toMatchObject({ task: 'ner', format: 'conll', stats: { rows: 1 } });
    const bare = await upload('reviews', 'sentence\tlabel\nnice one\tpositive\n').expect(200);
    expect(bare.body.berth).toMatchObject({ task: 'classification', format: 'tsv', stats: { rows: 1 } });
    const nerJsonl = await upload('ner.jsonl', '{"tokens":["Ann","runs"],"tags":["B-PER","O"]}\n').expect(200);
    expect(nerJsonl.body.berth).toMatchObject({ task: 'ner', format: 'jsonl' });
    const squad = {
      version: 'v1.1',
      data: [
        {
          title: 't',
          paragraphs: [
            {
              context: 'Paris is in France.',
              qas: [{ id: 'q1', question: 'Where is Paris?', answers: [{ text: 'France', answer_start: 12 }] }],
            },
          ],
        },
      ],
    };
    const qa = await upload('squad.json', JSON.stringify(squad)).expect(200);
    expect(qa.body.berth).toMatchObject({ task: 'qa', format: 'squad-json', stats: { rows: 1, answerable: 1 } });
    const qaJsonl = await upload(
      'qa.jsonl',
      '{"id":"q1","context":"Paris is in France.","question":"Where?","answers":{"text":["France"],"answer_start":[12]}}\n',
    );
    expect(qaJsonl.body.error).toBeUndefined();
    expect(qaJsonl.body.berth).toMatchObject({ task: 'qa', format: 'jsonl' });
  });

  it.each([
    ['bad CSV quoting', 'bad.csv', 'text,target\nfine,positive\n"unclosed,negative\n', /line 3/],
    ['a missing column', 'cols.csv', 'sentence_text,target\nhello,positive\n', /missing text column/],
    ['a label that is not a string', 'num.jsonl', '{"text":"a","target":"x"}\n{"text":"b","target":{"k":1}}\n', /line 2/],
    ['a CoNLL line without a tag', 'bad.conll', 'John B-PER\nlives\n', /line 2/],
    [
      'a SQuAD answer_start that does not point at its text',
      'bad.json',
      JSON.stringify({
        data: [
          {
            paragraphs: [
              { context: 'Paris is in France.', qas: [{ id: 'q', question: 'Where?', answers: [{ text: 'France', answer_start: 3 }] }] },
            ],
          },
        ],
      }),
      /answer_start/,
    ],
  ])('refuses %s with 400 naming the problem, and keeps nothing', async (_, name, content, pattern) => {
    const before = keptFiles();
    const res = await upload(name, content).expect(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(res.body.error.message).toMatch(pattern);
    expect(res.body.error.message).toContain(name);
    expect(keptFiles()).toEqual(before);
  });

  it('refuses a missing or unknown purpose, an unknown task, no file, and a file past the size limit', async () => {
    const csv = 'text,target\na,positive\n';
    const before = keptFiles();
    expect((await upload('a.csv', csv, {}).expect(400)).body.error.message).toMatch(/purpose/);
    expect((await upload('a.csv', csv, { purpose: 'assistants' }).expect(400)).body.error.message).toMatch(/purpose "assistants"/);
    expect((await upload('a.csv', csv, { purpose: 'fine-tune', task: 'translation' }).expect(400)).body.error.message).toMatch(
      /task must be one of/,
    );
    expect((await http().post('/v1/files').field('purpose', 'fine-tune').expect(400)).body.error.message).toMatch(/no "file" part/);
    const big = await upload('big.csv', `text,target\n${'x'.repeat(5000)},positive\n`).expect(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(keptFiles()).toEqual(before);
    expect((await http().get('/v1/files/file-missing/content').expect(404)).body.error.code).toBe('NOT_FOUND');
    expect((await http().get('/v1/files?limit=0').expect(400)).body.error.code).toBe('INVALID_INPUT');
  });

  it('pages the list with limit and after', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(`p${i}.csv`, `text,target\nrow ${i},positive\n`).expect(200)).body.id);
    const first = await http().get('/v1/files?limit=2').expect(200);
    expect(first.body.has_more).toBe(true);
    const rest = await http().get(`/v1/files?limit=100&after=${first.body.data[1].id}`).expect(200);
    const seen = [...first.body.data, ...rest.body.data].map((f: { id: string }) => f.id);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('files API with API keys', () => {
  let t: FineTuningTestApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-files-auth-'));
    t = await fineTuningApp({ BERTH_DATA_DIR: dataDir, BERTH_API_KEYS: 'inference-key-1', BERTH_ADMIN_KEYS: 'admin-key-123' }, fakeCore);
  });
  afterAll(async () => {
    await t.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('needs an admin key', async () => {
    const http = () => request(t.app.getHttpServer());
    expect((await http().get('/v1/files').expect(401)).body.error.code).toBe('UNAUTHORIZED');
    expect((await http().get('/v1/files').set('authorization', 'Bearer inference-key-1').expect(403)).body.error.code).toBe('FORBIDDEN');
    await http().get('/v1/files').set('authorization', 'Bearer admin-key-123').expect(200);
    expect((await http().get('/v1/fine_tuning/jobs').set('authorization', 'Bearer inference-key-1').expect(403)).body.error.code).toBe(
      'FORBIDDEN',
    );
  });
});

describe('files API with an unusable data directory', () => {
  it('answers a clear 500 and keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-files-bad-'));
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const t = await fineTuningApp({ BERTH_DATA_DIR: join(blocker, 'data') }, fakeCore);
    try {
      const http = () => request(t.app.getHttpServer());
      const res = await http()
        .post('/v1/files')
        .field('purpose', 'fine-tune')
        .attach('file', Buffer.from('text,target\na,positive\n'), 'a.csv')
        .expect(500);
      expect(res.body.error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/data directory/) });
      const list = await http().get('/v1/fine_tuning/jobs').expect(500);
      expect(list.body.error.message).toMatch(/data directory .* cannot be created/);
      await http().get('/v1/models').expect(200);
    } finally {
      await t.app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
