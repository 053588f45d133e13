/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * Model versions and hot-swap on the hf-tiny fixtures: import, activation under load, a broken
 * version refused while the old one keeps serving, the pointer surviving a restart, and a model
 * that fails at startup not taking the others down.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, ModelLoadError, VersionNotFoundError } from '../../src/errors/domain-error';
import type { ServingObserver } from '../../src/serving/contracts';
import { ModelUnloadedError, NoPreviousVersionError } from '../../src/serving/errors';
import { ServingCore, ServingCoreOptions } from '../../src/serving/serving-core';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'onnx'];

function copySeqcls(target: string): string {
  for (const f of FILES) cpSync(join(hfTinyDir('bert-seqcls'), f), join(target, f), { recursive: true });
  return target;
}

function recordingObserver() {
  const swaps: Array<[string, number, number]> = [];
  const active: Array<[string, number]> = [];
  const observer: ServingObserver = {
    batchRun: () => undefined,
    queued: () => undefined,
    rejected: () => undefined,
    modelLoaded: () => undefined,
    activeVersion: (m, v) => active.push([m, v]),
    swapped: (m, from, to) => swaps.push([m, from, to]),
  };
  return { observer, swaps, active };
}

describeWithFixtures('serving core: versions and hot-swap', () => {
  let root: string;
  let options: ServingCoreOptions;
  let core: ServingCore;
  const events = recordingObserver();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-activation-'));
    const modelsDir = join(root, 'models');
    copySeqcls(join(modelsDir, 'sentiment'));
    // A model whose graph is not ONNX at all: it must fail alone.
    const broken = copySeqcls(join(modelsDir, 'broken'));
    writeFileSync(join(broken, 'onnx', 'model.onnx'), 'not a protobuf');
    options = {
      modelsDir,
      dataDir: join(root, 'data'),
      device: 'cpu',
      intraOpThreads: 1,
      interOpThreads: 1,
      batching: { maxBatchSize: 4, maxBatchTokens: 2048, maxWaitMs: 1, maxQueue: 1000, enabled: true },
      limits: { maxInputsPerRequest: 16, maxCandidateLabels: 10, maxTextChars: 10_000 },
      observer: events.observer,
    };
    core = await ServingCore.start(options);
  });

  afterAll(async () => {
    await core?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a model that fails to load is reported failed and the others serve', async () => {
    expect(core.isReady()).toBe(true);
    expect(core.get('broken').status).toBe('failed');
    expect(core.get('sentiment').status).toBe('ready');
    await expect(core.classify('broken', ['x'], {})).rejects.toBeInstanceOf(ModelLoadError);
    expect((await core.classify('sentiment', ['fine'], {})).version).toBe(1);
  });

  it('imports a version atomically as the next number', async () => {
    const info = await core.importVersion('sentiment', copySeqcls(join(root, 'upload-a')));
    expect(info).toMatchObject({ version: 2, source: 'imported' });
    expect(info.size_bytes).toBeGreaterThan(0);
    expect(readdirSync(join(root, 'data', 'models', 'sentiment', 'versions'))).toEqual(['2']);
    expect(core.get('sentiment').versions.map((v) => v.version)).toEqual([1, 2]);
    expect(core.get('sentiment').active_version).toBe(1);
    await expect(core.importVersion('../escape', join(root, 'upload-a'))).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('requests across an activation all succeed, each reporting the old or the new version', async () => {
    const texts = ['I absolutely loved this movie, the acting was superb!', 'It was okay, nothing special.'];
    const served: Array<Promise<number>> = [];
    let done = false;
    const activation = core.activate('sentiment', 2).finally(() => (done = true));
    while (!done) {
      served.push(core.classify('sentiment', texts, {}).then((r) => r.version));
      await new Promise((r) => setImmediate(r));
    }
    const info = await activation;
    const versions = await Promise.all(served);
    expect(info.active_version).toBe(2);
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect([1, 2]).toContain(v);
    expect(versions).toContain(1);
    expect((await core.classify('sentiment', texts, {})).version).toBe(2);
    expect(events.swaps).toContainEqual(['sentiment', 1, 2]);
    expect(events.active).toContainEqual(['sentiment', 2]);
  });

  it('refuses a broken version at import, registering nothing, and keeps the old one serving', async () => {
    const broken = copySeqcls(join(root, 'upload-broken'));
    writeFileSync(join(broken, 'onnx', 'model.onnx'), Buffer.from([0x08, 0xff, 0xff, 0xff, 0x00, 0x13]));
    await expect(core.importVersion('sentiment', broken)).rejects.toBeInstanceOf(ModelLoadError);
    expect(core.get('sentiment').versions.map((v) => v.version)).toEqual([1, 2]);
    expect(readdirSync(join(root, 'data', 'models', 'sentiment', 'versions'))).toEqual(['2']);

    // A version that breaks on disk after its import fails at activation instead; the old one keeps serving.
    const info = await core.importVersion('sentiment', copySeqcls(join(root, 'upload-b')));
    expect(info.version).toBe(3);
    writeFileSync(join(core.versionDir('sentiment', 3), 'onnx', 'model.onnx'), Buffer.from([0x08, 0xff, 0xff, 0xff, 0x00, 0x13]));
    await expect(core.activate('sentiment', 3)).rejects.toBeInstanceOf(ModelLoadError);
    expect(core.get('sentiment')).toMatchObject({ active_version: 2, status: 'ready' });
    expect((await core.classify('sentiment', ['still here'], {})).version).toBe(2);
    await expect(core.activate('sentiment', 99)).rejects.toBeInstanceOf(VersionNotFoundError);
  });

  it('the active pointer survives a restart, and close drains requests in flight', async () => {
    const pending = core.classify('sentiment', ['one last request'], {});
    await core.close();
    expect((await pending).version).toBe(2);
    expect(core.inFlight()).toBe(0);

    core = await ServingCore.start(options);
    expect(core.get('sentiment')).toMatchObject({ active_version: 2, status: 'ready' });
    expect(core.get('sentiment').versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect((await core.classify('sentiment', ['after restart'], {})).version).toBe(2);
  });

  it('rolls back to the embedded version in one call', async () => {
    const info = await core.activate('sentiment', 1);
    expect(info.active_version).toBe(1);
    expect((await core.classify('sentiment', ['rolled back'], {})).version).toBe(1);
  });

  it('a model that exists only as imported versions serves its first version', async () => {
    mkdirSync(join(root, 'upload-c'));
    const info = await core.importVersion('sentiment-copy', copySeqcls(join(root, 'upload-c')));
    expect(info.version).toBe(1);
    expect(core.get('sentiment-copy')).toMatchObject({ status: 'ready', active_version: 1 });
    expect((await core.classify('sentiment-copy', ['new model'], {})).model).toBe('sentiment-copy');
  });

  it('rolls back through the remembered activations, across a restart, and says when there is nothing left', async () => {
    // Activations so far: 1 → 2, then (after the restart above) 2 → 1.
    expect(core.get('sentiment').active_version).toBe(1);
    const back = await core.rollback('sentiment');
    expect(back).toMatchObject({ active_version: 2, status: 'ready' });
    expect((await core.classify('sentiment', ['after rollback'], {})).version).toBe(2);
    expect(events.swaps).toContainEqual(['sentiment', 1, 2]);

    await core.close();
    core = await ServingCore.start(options);
    expect(core.get('sentiment').active_version).toBe(2);
    expect((await core.rollback('sentiment')).active_version).toBe(1);
    expect((await core.classify('sentiment', ['first version again'], {})).version).toBe(1);
    const none = core.rollback('sentiment');
    await expect(none).rejects.toBeInstanceOf(NoPreviousVersionError);
    await expect(none).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(core.get('sentiment').active_version).toBe(1);
  });

  it('unload lets requests in flight finish, then refuses new ones with CONFLICT; load serves the active version again', async () => {
    const text = 'I absolutely loved this movie, the acting was superb!';
    const before = (await core.classify('sentiment', [text], { top_k: null })).result[0].labels;
    const finished: string[] = [];
    const inFlight = Array.from({ length: 6 }, (_, i) =>
      core.classify('sentiment', [`${text} (${i})`], {}).then((r) => {
        finished.push(`request ${i}`);
        return r.version;
      }),
    );
    const unloading = core.unload('sentiment').then((info) => {
      finished.push('unload');
      return info;
    });
    // Unload queues behind any activation of the model, so it takes effect a few ticks later.
    while (core.get('sentiment').status !== 'unloaded') await new Promise((r) => setImmediate(r));
    expect(core.inFlight()).toBeGreaterThan(0);
    await expect(core.classify('sentiment', [text], {})).rejects.toBeInstanceOf(ModelUnloadedError);
    expect(await Promise.all(inFlight)).toEqual([1, 1, 1, 1, 1, 1]);
    const info = await unloading;
    expect(finished.at(-1)).toBe('unload');
    expect(info).toMatchObject({ status: 'unloaded', active_version: 1, load_time_ms: 0, task: 'text-classification' });
    expect(core.inFlight()).toBe(0);
    await expect(core.classify('sentiment', [text], {})).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { model: 'sentiment', status: 'unloaded' },
    });
    // An unloaded model is nobody's default; the other models are untouched.
    expect(core.defaultModelFor('text-classification')).not.toBe('sentiment');
    expect(core.get('sentiment-copy').status).toBe('ready');
    expect((await core.unload('sentiment')).status).toBe('unloaded');

    const loaded = await core.load('sentiment');
    expect(loaded).toMatchObject({ status: 'ready', active_version: 1 });
    expect(loaded.load_time_ms).toBeGreaterThan(0);
    const after = await core.classify('sentiment', [text], { top_k: null });
    expect(after.version).toBe(1);
    expect(after.result[0].labels).toEqual(before);
    expect((await core.load('sentiment')).status).toBe('ready');
  });

  it('activating an unloaded model loads it; loading a failed model retries and fails again with the reason', async () => {
    await core.unload('sentiment');
    expect((await core.activate('sentiment', 2)).status).toBe('ready');
    expect((await core.classify('sentiment', ['loaded by activation'], {})).version).toBe(2);
    await expect(core.load('broken')).rejects.toBeInstanceOf(ModelLoadError);
    expect(core.get('broken').status).toBe('failed');
  });
});
