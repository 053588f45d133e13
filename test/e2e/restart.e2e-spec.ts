import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

/**
 * The crash the job runner must survive, for real: the built server (`node dist/main.js`) is
 * SIGKILLed while a fine-tuning job trains, then started again on the same data directory.
 */

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than the sources (the test runs what `npm start` runs). */
function ensureBuilt(): void {
  const built = join(ROOT, 'dist', 'app.module.js');
  if (existsSync(MAIN) && existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Server {
  readonly process: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

async function startServer(modelsDir: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', BERTH_MODELS_DIR: modelsDir, BERTH_DATA_DIR: dataDir, BERTH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  await until(`the server on ${url} to be ready (output: ${output})`, async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    const res = await fetch(`${url}/health/ready`);
    return res.status === 200 ? true : undefined;
  });
  return { process: child, url, output: () => output };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

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
  let server: Server | undefined;

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'berth-restart-'));
    mkdirSync(join(root, 'models'));
    cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
  });
  afterAll(async () => {
    if (server && server.process.exitCode === null) {
      server.process.kill('SIGKILL');
      await killed(server.process);
    }
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
      json(await api('/v1/fine_tuning/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    const getJob = async (id: string) => json(await api(`/v1/fine_tuning/jobs/${id}`));

    // An earlier job that finishes: version 2 of the model, which must survive the crash.
    const small = await upload('small.csv', sentimentCsv(40));
    const first = await createJob({ model: 'sentiment', training_file: small.id, method: { type: 'head', head: { hyperparameters: { n_epochs: 1, batch_size: 8 } } }, seed: 1 });
    const firstDone = await until('the first job to finish', async () => {
      const j = await getJob(first.id);
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    });
    expect(firstDone).toMatchObject({ status: 'succeeded', berth: { version: 2 } });

    // A job long enough to be killed while it trains.
    const big = await upload('big.csv', sentimentCsv(2000));
    const second = await createJob({ model: 'sentiment', training_file: big.id, method: { type: 'full', full: { hyperparameters: { n_epochs: 50, batch_size: 8 } } }, seed: 2 });
    await until('the second job to be training', async () => {
      const j = await getJob(second.id);
      return j.status === 'running' && (j.berth?.progress as { step?: number } | null)?.step ? j : undefined;
    });
    const workDir = join(dataDir, 'jobs', second.id);

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

    // No partial version: the versions are exactly those before the kill, each directory in place.
    const versionsAfter = (await json(await api('/v1/models/sentiment'))).versions;
    expect(versionsAfter).toEqual(versionsBefore);
    expect(versionsAfter.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(readdirSync(join(dataDir, 'models', 'sentiment', 'versions'))).toEqual(['2']);
    expect(JSON.parse(readFileSync(join(dataDir, 'models', 'sentiment', 'versions', '2', 'metrics.json'), 'utf8'))).toMatchObject({ job_id: first.id });

    // Files: the same records, and the same bytes.
    expect(await json(await api('/v1/files'))).toEqual(filesBefore);
    expect(Buffer.from(await (await api(`/v1/files/${big.id}/content`)).arrayBuffer()).equals(bigContent)).toBe(true);

    // The earlier job's result still serves, and the events say what happened.
    expect(await getJob(first.id)).toMatchObject({ status: 'succeeded', berth: { version: 2 } });
    await json(await api('/v1/models/sentiment/versions/2/activate', { method: 'POST' }));
    const served = await api('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sentiment', inputs: 'a good film' }) });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-model-version')).toBe('2');
    const events = await json(await api(`/v1/fine_tuning/jobs/${second.id}/events?limit=100`));
    expect(events.data.map((e: { message: string }) => e.message).join('\n')).toMatch(/server stopped while this job was running/);
  }, 300_000);
});
