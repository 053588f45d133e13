/**
 * Fleet mode for real: a throwaway PostgreSQL, two API replicas and two workers as separate OS
 * processes (the built server, `node dist/main.js`) on 127.0.0.1, sharing one data volume (a
 * temporary folder) and the hf-tiny sequence classifier. Every wait is bounded.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { TestPostgres, describeWithPostgres, startPostgres } from '../support/postgres';
import { ensureBuilt, killed, ServerProcess, startServer, stopServer, until } from './support/server-process';

const HEARTBEAT_TIMEOUT_MS = 4000;
type Json = Record<string, any>;

/** A labeled CSV whose words decide the label, so a short run can learn it. */
function sentimentCsv(rows: number): string {
  const lines = ['text,target'];
  for (let i = 0; i < rows; i++) {
    const positive = i % 2 === 0;
    lines.push(`${positive ? 'a good and lovely film' : 'a bad and dull film'} number ${i},${positive ? 'positive' : 'negative'}`);
  }
  return lines.join('\n') + '\n';
}

async function json(res: Response): Promise<Json> {
  const body = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

class Replica {
  constructor(readonly server: ServerProcess) {}

  api(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`${this.server.url}${path}`, init);
  }
  async upload(name: string, csv: string): Promise<Json> {
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file', new Blob([csv], { type: 'text/csv' }), name);
    return json(await this.api('/v1/files', { method: 'POST', body: form }));
  }
  async createJob(body: Json): Promise<Json> {
    return json(
      await this.api('/v1/fine_tuning/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }
  async job(id: string): Promise<Json> {
    return json(await this.api(`/v1/fine_tuning/jobs/${id}`));
  }
  async events(id: string): Promise<string[]> {
    const page = await json(await this.api(`/v1/fine_tuning/jobs/${id}/events?limit=1000`));
    return (page.data as Json[]).map((e) => e.message as string).reverse();
  }
  /** The version that answered a classification, from its header; the status when it failed. */
  async classify(): Promise<{ status: number; version: number }> {
    const res = await this.api('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sentiment', inputs: 'a good film' }),
    });
    await res.arrayBuffer();
    return { status: res.status, version: Number(res.headers.get('x-model-version')) };
  }
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];
const headJob = (file: string, seed: number): Json => ({
  model: 'sentiment',
  training_file: file,
  method: { type: 'head', head: { hyperparameters: { n_epochs: 1, batch_size: 8 } } },
  seed,
});
const longJob = (file: string, seed: number): Json => ({
  model: 'sentiment',
  training_file: file,
  method: { type: 'full', full: { hyperparameters: { n_epochs: 50, batch_size: 8 } } },
  seed,
});
const claimedBy = (events: string[]): string[] =>
  events.filter((m) => m.startsWith('Claimed by worker ')).map((m) => m.slice('Claimed by worker '.length).split(' ')[0]);

describeWithPostgres('fleet mode (PostgreSQL, two API replicas and two workers as processes)', () => {
  describeWithFixtures('on the hf-tiny sequence classifier', () => {
    let pg: TestPostgres;
    let root: string;
    let a: Replica;
    let b: Replica;
    const workers = new Map<string, ServerProcess>();
    const processes: ServerProcess[] = [];
    let smallFile: string;
    let bigFile: string;

    const start = async (role: 'api' | 'worker', id: string): Promise<ServerProcess> => {
      const server = await startServer(join(root, 'models'), join(root, 'data'), {
        BERTH_DATABASE_URL: pg.url,
        BERTH_ROLE: role,
        BERTH_REPLICA_ID: id,
        BERTH_WORKER_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
        BERTH_THREADS: '1',
      });
      processes.push(server);
      return server;
    };
    const versionDirs = () =>
      readdirSync(join(root, 'data', 'models', 'sentiment', 'versions'))
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .sort((x, y) => x - y);
    const waitJob = (id: string, timeoutMs = 120_000) =>
      until(
        `job ${id} to finish`,
        async () => {
          const j = await a.job(id);
          return FINISHED.includes(j.status) ? j : undefined;
        },
        timeoutMs,
      );

    beforeAll(async () => {
      ensureBuilt();
      pg = await startPostgres();
      root = mkdtempSync(join(tmpdir(), 'berth-fleet-'));
      mkdirSync(join(root, 'models'));
      cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
      a = new Replica(await start('api', 'api-a'));
      b = new Replica(await start('api', 'api-b'));
      workers.set('worker-1', await start('worker', 'worker-1'));
      workers.set('worker-2', await start('worker', 'worker-2'));
      smallFile = (await a.upload('small.csv', sentimentCsv(40))).id;
      bigFile = (await a.upload('big.csv', sentimentCsv(2000))).id;
    }, 240_000);

    afterAll(async () => {
      for (const p of processes) await stopServer(p);
      pg?.destroy();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('a job created on B, streamed from A, runs on one worker; both replicas reach its version under steady traffic; a rollback on A reaches B', async () => {
      const file = await a.upload('s1.csv', sentimentCsv(40));
      const created = await b.createJob({ ...headJob(file.id, 1) });
      // The event stream, from the other replica, until the job ends.
      const stream = await a.api(`/v1/fine_tuning/jobs/${created.id}/events?stream=true`);
      expect(stream.status).toBe(200);
      const text = await stream.text();
      expect(text).toMatch(/The job has successfully completed/);
      const done = await a.job(created.id);
      expect(done).toMatchObject({ status: 'succeeded', berth: { version: 2 } });
      const claims = claimedBy(await a.events(created.id));
      expect(claims).toHaveLength(1);
      expect(['worker-1', 'worker-2']).toContain(claims[0]);

      // Steady traffic on both replicas while B activates version 2.
      let stop = false;
      const failures: number[] = [];
      const seen = { a: new Set<number>(), b: new Set<number>() };
      const traffic = (r: Replica, into: Set<number>) =>
        (async () => {
          for (let i = 0; i < 2000 && !stop; i++) {
            const res = await r.classify();
            if (res.status !== 200) failures.push(res.status);
            else into.add(res.version);
          }
        })();
      const loops = [traffic(a, seen.a), traffic(b, seen.b)];
      await json(await b.api('/v1/models/sentiment/versions/2/activate', { method: 'POST' }));
      await until(
        'both replicas to serve version 2',
        async () => ((await a.classify()).version === 2 && (await b.classify()).version === 2 ? true : undefined),
        30_000,
      );
      // Rolled back on A: B follows.
      await json(await a.api('/v1/models/sentiment/rollback', { method: 'POST' }));
      await until('B to follow the rollback', async () => ((await b.classify()).version === 1 ? true : undefined), 30_000);
      stop = true;
      await Promise.all(loops);
      expect(failures).toEqual([]);
      expect([...seen.a].sort()).toEqual([1, 2]);
      expect([...seen.b].sort()).toEqual([1, 2]);
      // Each replica shows the registry's active version and the one it serves.
      for (const r of [a, b]) {
        const model = await json(await r.api('/v1/models/sentiment'));
        expect(model).toMatchObject({ active_version: 1, registry_active_version: 1 });
      }
    }, 240_000);

    it('every process exposes /metrics: served version per replica, the registry, queue depth, worker heartbeats and claims', async () => {
      const scrape = async (server: ServerProcess) => (await fetch(`${server.url}/metrics`)).text();
      const api = await scrape(a.server);
      expect(api).toMatch(/^berth_model_served_version\{model="sentiment",replica="api-a"\} 1$/m);
      expect(api).toMatch(/^berth_model_registry_version\{model="sentiment"\} 1$/m);
      expect(api).toMatch(/^berth_job_queue_depth 0$/m);
      const heartbeats = [...api.matchAll(/^berth_worker_heartbeat_age_seconds\{worker="(worker-\d)"\} (\S+)$/gm)];
      expect(heartbeats.map((m) => m[1]).sort()).toEqual(['worker-1', 'worker-2']);
      for (const m of heartbeats) expect(Number(m[2])).toBeLessThan(HEARTBEAT_TIMEOUT_MS / 1000);
      const claims = [...api.matchAll(/^berth_worker_jobs_claimed\{worker="worker-\d"\} (\d+)$/gm)].map((m) => Number(m[1]));
      expect(claims.reduce((x, y) => x + y, 0)).toBe(1);
      const worker = await scrape(workers.get('worker-1')!);
      expect(worker).toMatch(/^berth_job_queue_depth 0$/m);
    }, 240_000);

    it('three jobs and two workers: each job runs exactly once', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await (i % 2 ? a : b).createJob(headJob(smallFile, 10 + i))).id);
      const versions: number[] = [];
      for (const id of ids) {
        const done = await waitJob(id);
        expect(done.status).toBe('succeeded');
        versions.push(done.berth.version);
        expect(claimedBy(await a.events(id))).toHaveLength(1);
      }
      expect(new Set(versions).size).toBe(3);
    }, 240_000);

    it('a cancel issued on B reaches the worker running the job', async () => {
      const created = await a.createJob(longJob(bigFile, 20));
      await until(
        'the job to be training',
        async () => {
          const j = await a.job(created.id);
          return j.status === 'running' && j.berth?.progress?.step ? j : undefined;
        },
        60_000,
      );
      const before = versionDirs();
      await json(await b.api(`/v1/fine_tuning/jobs/${created.id}/cancel`, { method: 'POST' }));
      const done = await waitJob(created.id, 30_000);
      expect(done.status).toBe('cancelled');
      expect(versionDirs()).toEqual(before);
    }, 240_000);

    it('a worker killed mid-job: the job fails worker_lost within the heartbeat timeout, no version is written, and the other worker takes the next job', async () => {
      const created = await b.createJob(longJob(bigFile, 30));
      const running = await until(
        'the job to be training',
        async () => {
          const j = await a.job(created.id);
          return j.status === 'running' && j.berth?.progress?.step ? j : undefined;
        },
        60_000,
      );
      expect(running.status).toBe('running');
      const owner = claimedBy(await a.events(created.id))[0];
      const victim = workers.get(owner)!;
      const before = versionDirs();
      victim.process.kill('SIGKILL');
      await killed(victim.process);
      const lost = await waitJob(created.id, HEARTBEAT_TIMEOUT_MS * 5);
      expect(lost).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
      expect(versionDirs()).toEqual(before);

      const next = await a.createJob(headJob(smallFile, 31));
      const done = await waitJob(next.id);
      expect(done.status).toBe('succeeded');
      const survivor = [...workers.keys()].find((k) => k !== owner);
      expect(claimedBy(await a.events(next.id))).toEqual([survivor]);
    }, 240_000);

    it('PostgreSQL stopped: inference keeps answering 200, admin routes answer 503, and both recover when it returns', async () => {
      pg.stop();
      try {
        for (const r of [a, b]) {
          for (let i = 0; i < 5; i++) expect((await r.classify()).status).toBe(200);
          const admin = await r.api('/v1/files');
          expect(admin.status).toBe(503);
          expect(((await admin.json()) as Json).error.code).toBe('DATABASE_UNAVAILABLE');
        }
      } finally {
        pg.start();
      }
      for (const r of [a, b]) {
        await until('admin routes to recover', async () => ((await r.api('/v1/files')).status === 200 ? true : undefined), 30_000);
        expect((await r.classify()).status).toBe(200);
      }
      for (const p of processes.filter((p) => p.process.signalCode === null)) expect(p.process.exitCode).toBeNull();
    }, 120_000);
  });
});
