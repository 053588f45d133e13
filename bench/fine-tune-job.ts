/**
 * One fine-tuning job on SST-2 rows through the HTTP API, and what it costs serving, in one run:
 * wall time and examples/s of the job, and serving latency (p50/p95) before the job and while it
 * trains, with the ratio during ÷ before (the machine is shared and noisy; compare the ratio).
 *
 *   node scripts/run-ts.js bench/fine-tune-job.ts [--rows 3000] [--epochs 2] [--method full]
 *                                               [--batch 16] [--clients 2] [--seconds 10]
 *
 * The server (`src/main.ts`, the same code `npm start` runs) is a child process on 127.0.0.1 with
 * a temporary data directory, serving `tiny-sentiment` (`berth make-tiny --task classification --seed 1`,
 * 2 layers, hidden 64, the model these figures were first measured on); the load generator runs
 * here, so it does not share the server's event loop. Load: `clients` closed-loop keep-alive
 * clients, each sending one SST-2 dev sentence per POST /v1/classify. "Before" is `seconds` of
 * load with no job; "during" is every request sent while the job's status is `running`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTinyModelDir } from '../src/engine/nn/tiny';

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string' },
    epochs: { type: 'string' },
    method: { type: 'string' },
    batch: { type: 'string' },
    clients: { type: 'string' },
    seconds: { type: 'string' },
  },
});
const ROWS = Number(flags.rows ?? 3000);
const EPOCHS = Number(flags.epochs ?? 2);
const METHOD = flags.method ?? 'full';
const BATCH = Number(flags.batch ?? 16);
const CLIENTS = Number(flags.clients ?? 2);
const SECONDS = Number(flags.seconds ?? 10);
const REPO = resolve(__dirname, '..');
const SST2 = join(process.env.BERTH_SHARED_DATA ?? resolve(REPO, '..', 'shared', 'data'), 'sentiment', 'sst2');
const MODEL = 'tiny-sentiment';

interface Row {
  text: string;
  label: string;
}

function readSst2(file: string): Row[] {
  return readFileSync(join(SST2, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [text, label] = line.split('\t');
      return { text: text.trim(), label: label.trim() === '1' ? 'positive' : 'negative' };
    });
}

function toCsv(rows: readonly Row[]): string {
  return ['text,target', ...rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`)].join('\n') + '\n';
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(modelsDir: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO, 'scripts', 'run-ts.js'), join(REPO, 'src', 'main.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      BERTH_MODELS_DIR: modelsDir,
      BERTH_DATA_DIR: dataDir,
      BERTH_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { child, url };
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready in 120 s');
}

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Closed-loop load until `stop()` is true; records latency (ms) of each request while `recording()` holds. */
async function load(
  url: string,
  texts: readonly string[],
  stop: () => boolean,
  recording: () => boolean,
): Promise<{ latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const client = async () => {
    while (!stop()) {
      const text = texts[next++ % texts.length];
      const counted = recording();
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, inputs: text }),
      });
      await res.arrayBuffer();
      const ms = performance.now() - t0;
      if (!counted || !recording()) continue;
      if (res.status === 200) latencies.push(ms);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return { latencies: latencies.sort((a, b) => a - b), failed };
}

interface Job {
  id: string;
  status: string;
  error: unknown;
  berth: { version: number | null; progress: Record<string, number> | null };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-ft-'));
  const modelsDir = join(work, 'models');
  makeTinyModelDir({
    task: 'classification',
    outDir: join(modelsDir, MODEL),
    seed: 1,
    tokenizerDir: join(REPO, 'assets', 'tiny-tokenizer'),
  });
  const train = readSst2('train.tsv').slice(0, ROWS);
  const texts = readSst2('dev.tsv').map((r) => r.text);
  const { child, url } = await startServer(modelsDir, join(work, 'data'));
  try {
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file', new Blob([toCsv(train)], { type: 'text/csv' }), 'sst2-train.csv');
    const file = await json<{ id: string }>(await fetch(`${url}/v1/files`, { method: 'POST', body: form }));

    // Warm-up, then the baseline: serving alone.
    let until = Date.now() + 2000;
    await load(
      url,
      texts,
      () => Date.now() > until,
      () => false,
    );
    until = Date.now() + SECONDS * 1000;
    const before = await load(
      url,
      texts,
      () => Date.now() > until,
      () => true,
    );

    // The job, with the same load running throughout; only requests sent and answered while the
    // job is `running` count.
    let status = 'validating_files';
    let runningAt = 0;
    let finishedAt = 0;
    const createdAt = performance.now();
    const job = await json<Job>(
      await fetch(`${url}/v1/fine_tuning/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          training_file: file.id,
          seed: 42,
          method: { type: METHOD, [METHOD]: { hyperparameters: { n_epochs: EPOCHS, batch_size: BATCH } } },
        }),
      }),
    );
    let final: Job = job;
    const poll = (async () => {
      while (!['succeeded', 'failed', 'cancelled'].includes(status)) {
        final = await json<Job>(await fetch(`${url}/v1/fine_tuning/jobs/${job.id}`));
        if (final.status === 'running' && runningAt === 0) runningAt = performance.now();
        status = final.status;
        await sleep(100);
      }
      finishedAt = performance.now();
    })();
    const during = await load(
      url,
      texts,
      () => finishedAt > 0,
      () => status === 'running',
    );
    await poll;
    if (status !== 'succeeded') throw new Error(`job ${job.id} ended ${status}: ${JSON.stringify(final.error)}`);

    const events = await json<{ data: Array<{ message: string; data: Record<string, number> | null }> }>(
      await fetch(`${url}/v1/fine_tuning/jobs/${job.id}/events?limit=1000`),
    );
    const start = events.data.find((e) => e.data?.train_examples !== undefined)!.data!;
    const trainerSeconds = Number(/Training finished in ([\d.]+) s/.exec(events.data.map((e) => e.message).join('\n'))?.[1]);
    const stepRates = events.data
      .flatMap((e) => (e.data?.examples_per_second !== undefined ? [e.data.examples_per_second] : []))
      .sort((a, b) => a - b);
    const examples = start.train_examples * start.epochs;
    const runningSeconds = (finishedAt - runningAt) / 1000;

    const line = (name: string, r: { latencies: number[]; failed: number }) =>
      `${name.padEnd(8)} ${String(r.latencies.length).padStart(6)} requests  p50 ${percentile(r.latencies, 50).toFixed(2)} ms  p95 ${percentile(r.latencies, 95).toFixed(2)} ms  failed ${r.failed}`;
    console.log(
      `model ${MODEL}, ${METHOD}, ${start.train_examples} training rows (of ${ROWS}; the rest held out), ${start.epochs} epochs, batch ${BATCH}, ${start.total_steps} steps`,
    );
    console.log(
      `job: ${((finishedAt - createdAt) / 1000).toFixed(1)} s from create to succeeded, ${runningSeconds.toFixed(1)} s running, trainer ${trainerSeconds.toFixed(1)} s`,
    );
    console.log(
      `examples/s: ${(examples / trainerSeconds).toFixed(0)} over the trainer's run (${examples} examples), median step ${percentile(stepRates, 50).toFixed(0)}`,
    );
    console.log(`serving, ${CLIENTS} closed-loop clients, one text per request:`);
    console.log(line('before', before));
    console.log(line('during', during));
    console.log(
      `ratio p95 during/before: ${(percentile(during.latencies, 95) / percentile(before.latencies, 95)).toFixed(2)}, p50: ${(percentile(during.latencies, 50) / percentile(before.latencies, 50)).toFixed(2)}`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
