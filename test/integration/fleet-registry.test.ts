/**
 * Two serving replicas over one shared data volume and one PostgreSQL registry (the hf-tiny
 * sequence classifier, the real serving factory): an activation or a rollback on either is
 * recorded in the registry and the other converges to it; a replica that starts later starts on
 * the registry's version; a version imported on one replica is known to the other.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import type { ServingCoreHandle } from '../../src/modules/core/core-host';
import { servingCoreFactory } from '../../src/modules/core/serving-core.factory';
import type { ServingObserver } from '../../src/serving/contracts';
import { PostgresStore } from '../../src/store/postgres';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { freshDatabase, waitFor } from '../support/pg-database';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';

const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'onnx'];
const quiet: ServingObserver = {
  batchRun: () => undefined,
  queued: () => undefined,
  rejected: () => undefined,
  modelLoaded: () => undefined,
  activeVersion: () => undefined,
  swapped: () => undefined,
};
const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function copySeqcls(target: string): string {
  for (const f of FILES) cpSync(join(hfTinyDir('bert-seqcls'), f), join(target, f), { recursive: true });
  return target;
}

describeWithPostgres('fleet: replicas follow the PostgreSQL model registry', () => {
  describeWithFixtures('on the hf-tiny sequence classifier', () => {
    let server: TestPostgres;
    let root: string;
    const stores: PostgresStore[] = [];
    const cores: ServingCoreHandle[] = [];

    async function replica(url: string): Promise<ServingCoreHandle> {
      const config = loadConfig({
        BERTH_MODELS_DIR: join(root, 'models'),
        BERTH_DATA_DIR: join(root, 'data'),
        BERTH_THREADS: '1',
        BERTH_DATABASE_URL: url,
      });
      const store = await PostgresStore.open(url, { minBackoffMs: 50, maxBackoffMs: 500 });
      stores.push(store);
      const core = await servingCoreFactory(store)(config, quiet, logger);
      cores.push(core);
      return core;
    }
    const serving = async (core: ServingCoreHandle) => (await core.classify('sentiment', ['a fine film'], {})).version;

    beforeAll(async () => {
      server = await startPostgres();
      root = mkdtempSync(join(tmpdir(), 'berth-fleet-registry-'));
      copySeqcls(join(root, 'models', 'sentiment'));
    }, 60_000);
    afterAll(async () => {
      for (const core of cores) await core.close();
      for (const store of stores) await store.close();
      server?.destroy();
      rmSync(root, { recursive: true, force: true });
    });

    it('activation, rollback, a new version and a late replica all converge', async () => {
      const url = await freshDatabase(server);
      const a = await replica(url);
      const b = await replica(url);
      expect([await serving(a), await serving(b)]).toEqual([1, 1]);

      // A version imported through A lands on the shared volume; B sees it in its listing too.
      const v2 = (await a.importVersion('sentiment', copySeqcls(join(root, 'upload-2')))).version;
      expect(v2).toBe(2);
      expect(b.get('sentiment').versions.map((v) => v.version)).toEqual([1, 2]);

      await a.activate('sentiment', v2);
      expect(await serving(a)).toBe(2);
      await waitFor('B to converge to version 2', async () => (await serving(b)) === 2);
      expect(b.get('sentiment').active_version).toBe(2);

      // Rolled back on B: A follows.
      await b.rollback('sentiment');
      expect(await serving(b)).toBe(1);
      await waitFor('A to follow the rollback to version 1', async () => (await serving(a)) === 1);

      // A replica that starts now starts on the registry's version, not on a local pointer.
      await a.activate('sentiment', v2);
      await waitFor('B to converge to version 2 again', async () => (await serving(b)) === 2);
      const c = await replica(url);
      expect(await serving(c)).toBe(2);
    }, 120_000);
  });
});
