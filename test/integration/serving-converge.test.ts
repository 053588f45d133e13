/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * The activation seam on the hf-tiny fixtures: an injected activation log sees every activation
 * and rollback made on this server (and can refuse one), and `converge` swaps to a version
 * activated elsewhere without recording anything.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VersionNotFoundError } from '../../src/errors/domain-error';
import type { ActivationLog } from '../../src/serving/activation-log';
import type { ServingObserver } from '../../src/serving/contracts';
import { ModelStore } from '../../src/serving/model-store';
import { ServingCore } from '../../src/serving/serving-core';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'onnx'];

function copySeqcls(target: string): string {
  for (const f of FILES) cpSync(join(hfTinyDir('bert-seqcls'), f), join(target, f), { recursive: true });
  return target;
}

/** The store's log, with every call written down and, on demand, a refusal. */
class RecordingLog implements ActivationLog {
  readonly calls: string[] = [];
  refuse = false;

  constructor(private readonly store: ModelStore) {}

  async recordActivation(name: string, from: number, to: number): Promise<void> {
    this.calls.push(`activate ${name} ${from}->${to}`);
    if (this.refuse) throw new Error('the shared log is unreachable');
    this.store.recordActivation(name, from, to);
  }

  previousVersion(name: string, active: number): number | undefined {
    return this.store.previousVersion(name, active);
  }

  async recordRollback(name: string, to: number): Promise<void> {
    this.calls.push(`rollback ${name} ->${to}`);
    this.store.recordRollback(name, to);
  }
}

describeWithFixtures('serving core: the activation log and converge', () => {
  let root: string;
  let store: ModelStore;
  let log: RecordingLog;
  let core: ServingCore;
  const swaps: Array<[string, number, number]> = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-converge-'));
    const modelsDir = join(root, 'models');
    const dataDir = join(root, 'data');
    copySeqcls(join(modelsDir, 'sentiment'));
    store = new ModelStore(modelsDir, dataDir);
    log = new RecordingLog(store);
    const observer: ServingObserver = {
      batchRun: () => undefined,
      queued: () => undefined,
      rejected: () => undefined,
      modelLoaded: () => undefined,
      activeVersion: () => undefined,
      swapped: (m, from, to) => swaps.push([m, from, to]),
    };
    core = await ServingCore.start({
      modelsDir,
      dataDir,
      device: 'cpu',
      intraOpThreads: 1,
      interOpThreads: 1,
      batching: { maxBatchSize: 4, maxBatchTokens: 2048, maxWaitMs: 1, maxQueue: 1000, enabled: true },
      limits: { maxInputsPerRequest: 16, maxCandidateLabels: 10, maxTextChars: 10_000 },
      observer,
      activationLog: log,
    });
    await core.importVersion('sentiment', copySeqcls(join(root, 'upload-2')));
    await core.importVersion('sentiment', copySeqcls(join(root, 'upload-3')));
  });

  afterAll(async () => {
    await core?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('an activation and a rollback made here go through the log', async () => {
    await core.activate('sentiment', 2);
    expect((await core.classify('sentiment', ['fine'], {})).version).toBe(2);
    await core.rollback('sentiment');
    expect(core.get('sentiment').active_version).toBe(1);
    expect(log.calls).toEqual(['activate sentiment 1->2', 'rollback sentiment ->1']);
    expect(store.readActive('sentiment')).toBe(1);
  });

  it('a log that refuses an activation leaves the serving version as it was', async () => {
    log.refuse = true;
    try {
      await expect(core.activate('sentiment', 3)).rejects.toThrow('the shared log is unreachable');
    } finally {
      log.refuse = false;
    }
    expect(core.get('sentiment')).toMatchObject({ active_version: 1, status: 'ready' });
    expect((await core.classify('sentiment', ['fine'], {})).version).toBe(1);
    log.calls.length = 0;
  });

  it('converge swaps to a version activated elsewhere and records nothing', async () => {
    const info = await core.models.converge('sentiment', 3);
    expect(info).toMatchObject({ active_version: 3, status: 'ready' });
    expect((await core.classify('sentiment', ['fine'], {})).version).toBe(3);
    expect(swaps).toContainEqual(['sentiment', 1, 3]);
    expect(log.calls).toEqual([]);
    expect(store.readActive('sentiment')).toBe(1);

    // Already there: nothing happens.
    const swapsBefore = swaps.length;
    expect((await core.models.converge('sentiment', 3)).active_version).toBe(3);
    expect(swaps).toHaveLength(swapsBefore);

    await expect(core.models.converge('sentiment', 9)).rejects.toBeInstanceOf(VersionNotFoundError);
    expect(core.get('sentiment').active_version).toBe(3);
  });
});
