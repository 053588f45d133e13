import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { ensureBuilt, killed, ServerProcess, startServer, stopServer, until } from './support/server-process';

/**
 * The crash the job runner must survive, for real: the built server (`node dist/main.js`) is
 * SIGKILLed while a fine-tuning job trains, then started again on the same data directory.
 */

async function json(res: Response): Promise<Record<string, any>> {
  const body = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** A labeled CSV: "good"/"bad" words decide the label, so a short run can learn it. */
function sentimentCsv(rows: number): string {
  const lines = ['text,target'];
  for (let i = 0; i < rows; i++) {
    const positive = i % 2 === 0;
    lines.push(`${positive ? 'a good and lovely film' : 'a bad and dull film'} number ${i},${positive ? 'positive' : 'negative'}`);
  }
  return lines.join('\n') + '\n';
}

describeWithFixtures('a server killed mid-job and started again (built server, real trainer)', () => {
  let root: string;
  let server: ServerProcess | undefined;

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'berth-restart-'));
    mkdirSync(join(root, 'models'));
    cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
  });
  afterAll(async () => {
    await stopServer(server);
    rmSync(root, { recursive: true, force: true });
  });

  it('leaves the job failed with a reason, no partial version, and every earlier version and file intact', async () => {
    const modelsDir = join(root, 'models');
    const dataDir = join(root, 'data');
    server = await startServer(modelsDir, dataDir);
    const api = (path: string, init?: RequestInit) => fetch(`${server!.url}${path}`, init);
    const upload = async (name: string, csv: string) => {
      const form = new FormData();
      form.append('purpose', 'fine-tune');
      form.append('file', new Blob([csv], { type: 'text/csv' }), name);
      return json(await api('/v1/files', { method: 'POST', body: form }));
    };
    const createJob = async (body: Record<string, unknown>) =>
      json(
        await api('/v1/fine_tuning/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      );
    const getJob = async (id: string) => json(await api(`/v1/fine_tuning/jobs/${id}`));

    // An earlier job that finishes: version 2 of the model, which must survive the crash.
    const small = await upload('small.csv', sentimentCsv(40));
    const first = await createJob({
      model: 'sentiment',
      training_file: small.id,
      method: { type: 'head', head: { hyperparameters: { n_epochs: 1, batch_size: 8 } } },
      seed: 1,
    });
    const firstDone = await until('the first job to finish', async () => {
      const j = await getJob(first.id);
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    });
    expect(firstDone).toMatchObject({ status: 'succeeded', berth: { version: 2 } });

    // A job long enough to be killed while it trains.
    const big = await upload('big.csv', sentimentCsv(2000));
    const second = await createJob({
      model: 'sentiment',
      training_file: big.id,
      method: { type: 'full', full: { hyperparameters: { n_epochs: 50, batch_size: 8 } } },
      seed: 2,
    });
    await until('the second job to be training', async () => {
      const j = await getJob(second.id);
      return j.status === 'running' && (j.berth?.progress as { step?: number } | null)?.step ? j : undefined;
    });
    const workDir = join(dataDir, 'jobs', second.id);
    // A job queued behind it: a crash must not lose it.
    const third = await createJob({
      model: 'sentiment',
      training_file: small.id,
      method: { type: 'head', head: { hyperparameters: { n_epochs: 1, batch_size: 8 } } },
      seed: 3,
    });
    expect((await getJob(third.id)).status).toBe('queued');

    const versionsBefore = (await json(await api('/v1/models/sentiment'))).versions;
    const filesBefore = await json(await api('/v1/files'));
    const bigContent = Buffer.from(await (await api(`/v1/files/${big.id}/content`)).arrayBuffer());

    server.process.kill('SIGKILL');
    await killed(server.process);
    expect(server.process.signalCode).toBe('SIGKILL');

    server = await startServer(modelsDir, dataDir);
    const after = await getJob(second.id);
    expect(after).toMatchObject({ status: 'failed', fine_tuned_model: null, error: { code: 'server_restarted' } });
    expect(after.error.message).toMatch(/server stopped while this job was running/);
    expect(typeof after.finished_at).toBe('number');
    expect(existsSync(workDir)).toBe(false);

    // The queued job was queued again, not failed, and runs once the models are loaded: version 3.
    const thirdDone = await until('the queued job to finish after the restart', async () => {
      const j = await getJob(third.id);
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    });
    expect(thirdDone).toMatchObject({ status: 'succeeded', error: null, berth: { version: 3 } });

    // No partial version: the versions before the kill, each directory in place, then the queued job's.
    const versionsAfter = (await json(await api('/v1/models/sentiment'))).versions;
    expect(versionsAfter.slice(0, 2)).toEqual(versionsBefore);
    expect(versionsAfter.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(readdirSync(join(dataDir, 'models', 'sentiment', 'versions')).sort()).toEqual(['2', '3']);
    const jobOf = (v: number) =>
      JSON.parse(readFileSync(join(dataDir, 'models', 'sentiment', 'versions', String(v), 'metrics.json'), 'utf8')).job_id;
    expect([jobOf(2), jobOf(3)]).toEqual([first.id, third.id]);

    // Files: the same records, and the same bytes.
    expect(await json(await api('/v1/files'))).toEqual(filesBefore);
    expect(Buffer.from(await (await api(`/v1/files/${big.id}/content`)).arrayBuffer()).equals(bigContent)).toBe(true);

    // The earlier job's result still serves, and the events say what happened.
    expect(await getJob(first.id)).toMatchObject({ status: 'succeeded', berth: { version: 2 } });
    await json(await api('/v1/models/sentiment/versions/2/activate', { method: 'POST' }));
    const served = await api('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sentiment', inputs: 'a good film' }),
    });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-model-version')).toBe('2');
    const events = await json(await api(`/v1/fine_tuning/jobs/${second.id}/events?limit=100`));
    expect(events.data.map((e: { message: string }) => e.message).join('\n')).toMatch(/server stopped while this job was running/);
  }, 300_000);
});
