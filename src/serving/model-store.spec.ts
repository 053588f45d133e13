import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { FormatError } from '../engine/errors';
import { InvalidInputError, ModelNotFoundError, VersionNotFoundError } from '../errors/domain-error';
import { isValidModelName, ModelStore } from './model-store';

/** A minimal HF layout directory; the store only copies and locates files, it never parses them here. */
function hfDir(path: string, extra: Record<string, string> = {}): string {
  mkdirSync(join(path, 'onnx'), { recursive: true });
  writeFileSync(join(path, 'config.json'), '{}');
  writeFileSync(join(path, 'tokenizer.json'), '{}');
  writeFileSync(join(path, 'onnx', 'model.onnx'), 'graph');
  for (const [name, content] of Object.entries(extra)) writeFileSync(join(path, name), content);
  return path;
}

describe('ModelStore', () => {
  let root: string;
  let store: ModelStore;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-store-'));
    hfDir(join(root, 'models', 'sentiment'));
    mkdirSync(join(root, 'models', 'not-a-model')); // no config.json: ignored
    store = new ModelStore(join(root, 'models'), join(root, 'data'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('validates model names: one safe path segment', () => {
    for (const ok of ['bert', 'bert-base.v2', 'A_1', 'x'.repeat(64)]) expect(isValidModelName(ok)).toBe(true);
    for (const bad of ['', '../etc', 'a/b', '.hidden', '-dash', 'a..b', 'x'.repeat(65), 'sp ace'])
      expect(isValidModelName(bad)).toBe(false);
  });

  it('the embedded directory is version 1 and the default active version', () => {
    expect(store.modelNames()).toEqual(['sentiment']);
    expect(store.versionNumbers('sentiment')).toEqual([1]);
    expect(store.activeOrDefault('sentiment')).toBe(1);
    expect(store.versionInfo('sentiment', 1)).toMatchObject({ version: 1, source: 'embedded' });
    expect(store.versionDir('sentiment', 1)).toBe(join(root, 'models', 'sentiment'));
    expect(() => store.versionDir('sentiment', 2)).toThrow(VersionNotFoundError);
    expect(() => store.versionDir('nope', 1)).toThrow(ModelNotFoundError);
  });

  it('imports copies as the next number, leaving no temporary directory behind', async () => {
    const a = await store.importVersion('sentiment', hfDir(join(root, 'up-a'), { 'metrics.json': '{"accuracy":0.9}' }), 'fine-tuned');
    const b = await store.importVersion('sentiment', hfDir(join(root, 'up-b')));
    expect([a.version, b.version]).toEqual([2, 3]);
    expect(a).toMatchObject({ source: 'fine-tuned', metrics: { accuracy: 0.9 } });
    expect(b.source).toBe('imported');
    expect(readdirSync(join(root, 'data', 'models', 'sentiment', 'versions')).sort()).toEqual(['2', '3']);
    expect(readFileSync(join(store.versionDir('sentiment', b.version), 'onnx', 'model.onnx'), 'utf8')).toBe('graph');
    // A model new to the repository starts at version 1.
    expect((await store.importVersion('fresh', hfDir(join(root, 'up-c')))).version).toBe(1);
    expect(store.modelNames()).toEqual(['fresh', 'sentiment']);
  });

  it('refuses imports that are not HF directories, contain links, or have bad names', async () => {
    mkdirSync(join(root, 'empty'));
    await expect(store.importVersion('sentiment', join(root, 'empty'))).rejects.toThrow(FormatError);
    const linked = hfDir(join(root, 'linked'));
    symlinkSync('/etc/passwd', join(linked, 'vocab.txt'));
    await expect(store.importVersion('sentiment', linked)).rejects.toThrow(InvalidInputError);
    await expect(store.importVersion('../up', hfDir(join(root, 'ok')))).rejects.toThrow(InvalidInputError);
    expect(
      existsSync(join(root, 'data', 'models', 'sentiment', 'versions'))
        ? readdirSync(join(root, 'data', 'models', 'sentiment', 'versions'))
        : [],
    ).toEqual([]);
  });

  it('the active pointer is written by rename and read back by a new store', async () => {
    await store.importVersion('sentiment', hfDir(join(root, 'up')));
    store.writeActive('sentiment', 2);
    const files = readdirSync(join(root, 'data', 'models', 'sentiment'));
    expect(files.sort()).toEqual(['active.json', 'versions']);
    const again = new ModelStore(join(root, 'models'), join(root, 'data'));
    expect(again.readActive('sentiment')).toBe(2);
    expect(again.activeOrDefault('sentiment')).toBe(2);
  });

  it('ignores a pointer to a version that does not exist', () => {
    store.writeActive('sentiment', 7);
    expect(store.readActive('sentiment')).toBeUndefined();
    expect(store.activeOrDefault('sentiment')).toBe(1);
  });

  describe('rollback history', () => {
    beforeEach(async () => {
      for (let i = 0; i < 3; i++) await store.importVersion('sentiment', hfDir(join(root, `up-${i}`))); // versions 2, 3, 4
    });

    it('remembers each activation and walks back through them, on disk', () => {
      expect(store.previousVersion('sentiment', 1)).toBeUndefined();
      store.recordActivation('sentiment', 1, 3);
      store.recordActivation('sentiment', 3, 2);
      store.recordActivation('sentiment', 2, 2); // re-activating the active version remembers nothing
      expect(store.readHistory('sentiment')).toEqual([1, 3]);
      expect(JSON.parse(readFileSync(join(root, 'data', 'models', 'sentiment', 'history.json'), 'utf8'))).toEqual({ previous: [1, 3] });

      const reopened = new ModelStore(join(root, 'models'), join(root, 'data'));
      expect(reopened.readActive('sentiment')).toBe(2);
      expect(reopened.previousVersion('sentiment', 2)).toBe(3);
      reopened.recordRollback('sentiment', 3);
      expect(reopened.readActive('sentiment')).toBe(3);
      expect(reopened.previousVersion('sentiment', 3)).toBe(1);
      reopened.recordRollback('sentiment', 1);
      expect(reopened.readActive('sentiment')).toBe(1);
      expect(reopened.previousVersion('sentiment', 1)).toBeUndefined();
      expect(readdirSync(join(root, 'data', 'models', 'sentiment')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('skips entries equal to the active version or naming a version that no longer exists', () => {
      store.recordActivation('sentiment', 1, 4);
      store.recordActivation('sentiment', 4, 2);
      // As after a crash between writing the history and the pointer: 2 on top while 2 is active.
      store.recordActivation('sentiment', 2, 2);
      writeFileSync(join(root, 'data', 'models', 'sentiment', 'history.json'), JSON.stringify({ previous: [1, 4, 2] }));
      expect(store.previousVersion('sentiment', 2)).toBe(4);
      rmSync(join(root, 'data', 'models', 'sentiment', 'versions', '4'), { recursive: true });
      expect(store.previousVersion('sentiment', 2)).toBe(1);
      store.recordRollback('sentiment', 1);
      expect(store.readHistory('sentiment')).toEqual([]);
      writeFileSync(join(root, 'data', 'models', 'sentiment', 'history.json'), 'not json');
      expect(store.readHistory('sentiment')).toEqual([]);
    });
  });

  describe('linked model folders and files', () => {
    function recordingStore(): { store: ModelStore; warnings: Array<{ obj: object; msg?: string }> } {
      const warnings: Array<{ obj: object; msg?: string }> = [];
      return {
        store: new ModelStore(join(root, 'models'), join(root, 'data'), { warn: (obj, msg) => warnings.push({ obj, msg }) }),
        warnings,
      };
    }

    /**
     * A Hugging Face cache entry as `huggingface_hub` writes it: the content in `blobs/<sha>`,
     * and `snapshots/<rev>/<file>` a relative link to its blob (subfolders are real folders).
     */
    function hfCache(repo: string, files: Record<string, string>): string {
      const snapshot = join(repo, 'snapshots', '0123abc');
      mkdirSync(join(repo, 'blobs'), { recursive: true });
      Object.entries(files).forEach(([file, content], i) => {
        const blob = join(repo, 'blobs', `blob${i}`);
        writeFileSync(blob, content);
        const link = join(snapshot, file);
        mkdirSync(join(link, '..'), { recursive: true });
        symlinkSync(relative(join(link, '..'), blob), link);
      });
      return snapshot;
    }

    it('serves an entry of the models folder that is a link to a model folder', () => {
      hfDir(join(root, 'elsewhere', 'bert-linked'), { 'model.safetensors': 'weights' });
      symlinkSync(join(root, 'elsewhere', 'bert-linked'), join(root, 'models', 'linked'));
      const { store: linked, warnings } = recordingStore();
      expect(linked.modelNames()).toEqual(['linked', 'sentiment']);
      expect(linked.versionNumbers('linked')).toEqual([1]);
      expect(linked.versionDir('linked', 1)).toBe(join(root, 'models', 'linked'));
      const info = linked.versionInfo('linked', 1);
      expect(info).toMatchObject({ version: 1, source: 'embedded' });
      expect(info.size_bytes).toBe('{}'.length * 2 + 'graph'.length + 'weights'.length);
      expect(warnings).toEqual([]);
    });

    it('serves a Hugging Face cache snapshot (every file a relative link into blobs/), linked from the models folder', () => {
      const files = {
        'config.json': '{"model_type":"bert"}',
        'tokenizer.json': '{"version":"1.0"}',
        'onnx/model.onnx': 'graph',
        'model.safetensors': 'weights',
      };
      const snapshot = hfCache(join(root, 'hub', 'models--org--tiny'), files);
      symlinkSync(relative(join(root, 'models'), snapshot), join(root, 'models', 'tiny'));
      const { store: linked, warnings } = recordingStore();
      expect(linked.modelNames()).toEqual(['sentiment', 'tiny']);
      const dir = linked.versionDir('tiny', 1);
      const located = locateHfModelDir(dir, { servable: true });
      expect(readFileSync(located.configFile, 'utf8')).toBe(files['config.json']);
      expect(readFileSync(located.onnxFile!, 'utf8')).toBe('graph');
      expect(located.weightsFile).toBe(join(dir, 'model.safetensors'));
      expect(linked.versionInfo('tiny', 1).size_bytes).toBe(Object.values(files).reduce((n, c) => n + c.length, 0));
      expect(warnings).toEqual([]);
    });

    it('skips a link that points nowhere with a warning naming it; the other models still load', () => {
      hfDir(join(root, 'elsewhere', 'kept'));
      symlinkSync(join(root, 'elsewhere', 'kept'), join(root, 'models', 'kept'));
      hfDir(join(root, 'elsewhere', 'moved'));
      symlinkSync(join(root, 'elsewhere', 'moved'), join(root, 'models', 'gone'));
      renameSync(join(root, 'elsewhere', 'moved'), join(root, 'elsewhere', 'moved-away'));
      // A model folder whose config.json links to a blob that was never downloaded.
      const half = hfCache(join(root, 'hub', 'models--org--half'), { 'tokenizer.json': '{}', 'model.onnx': 'graph' });
      symlinkSync('../../blobs/missing', join(half, 'config.json'));
      symlinkSync(half, join(root, 'models', 'half'));

      const { store: linked, warnings } = recordingStore();
      expect(linked.modelNames()).toEqual(['kept', 'sentiment']);
      expect(linked.exists('gone')).toBe(false);
      expect(warnings.map((w) => w.msg)).toEqual([
        `skipping model link "gone": it points to ${join(root, 'elsewhere', 'moved')}, which does not exist`,
        'skipping model "half": its config.json links to ../../blobs/missing, which does not exist',
      ]);
      expect(warnings[0].obj).toMatchObject({ link: 'gone' });
      expect(warnings[1].obj).toMatchObject({ model: 'half', link: 'half/config.json' });
    });
  });
});
