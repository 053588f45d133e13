/**
 * Serving overhead and dynamic batching, in one run, as ratios against baselines measured in the
 * same run (the machine is shared and noisy; absolute numbers are for orientation only).
 *
 *   node scripts/run-ts.js bench/serve-load.ts [--seconds 3] [--threads 1] [--clients 16]
 *
 * Model: a BERT-mini-shaped sequence classifier (4 layers, hidden 256, the bert-base-uncased
 * WordPiece vocabulary from the hf-tiny fixtures), built once with Berth's own exporter into
 * /tmp/berth-bench/serve-mini. Texts: seeded random sentences of 12–28 words.
 *
 * (a) Overhead: bare `session.run` on pre-tokenized, padded batches of B texts, against the HTTP
 *     server (POST /v1/classify with the same B texts per request, `clients` concurrent
 *     keep-alive clients). Ratio = bare seq/s ÷ server seq/s (1.0 = no overhead).
 * (b) Dynamic batching: `clients` concurrent clients each sending one text per request, with
 *     BERTH_BATCHING on and off (alternated, twice each). Ratio = on ÷ off.
 *
 * The server runs in a child process (this same file with --serve), so the load generator does
 * not share its event loop. Everything stays on 127.0.0.1; every loop is bounded by time.
 */
import { ChildProcess, fork } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { ensureMiniModel, load, sentences } from './support/mini-load';
import { feedsFor, tokenizerOf } from './support/serve-measure';

const { values: flags } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    seconds: { type: 'string' },
    threads: { type: 'string' },
    clients: { type: 'string' },
    batch: { type: 'string' },
    port: { type: 'string' },
    batching: { type: 'string' },
  },
});
const SECONDS = Number(flags.seconds ?? 3);
const THREADS = Number(flags.threads ?? 1);
const CLIENTS = Number(flags.clients ?? 16);
const BATCH = Number(flags.batch ?? 8);
const WORK = '/tmp/berth-bench';
const MODELS_DIR = join(WORK, 'serve-models');
const MODEL = 'serve-mini';
const REPO = resolve(__dirname, '..');
const FIXTURES = process.env.BERTH_FIXTURES_DIR ?? resolve(REPO, '..', 'shared', 'fixtures');

// ---- server child -----------------------------------------------------------------------------------

async function serve(): Promise<void> {
  const { createApp } = await import('../src/app.module');
  const { loadConfig } = await import('../src/config/app-config');
  const config = loadConfig({
    BERTH_MODELS_DIR: MODELS_DIR,
    BERTH_DATA_DIR: join(WORK, 'serve-data'),
    BERTH_THREADS: String(THREADS),
    BERTH_BATCHING: flags.batching ?? 'on',
    BERTH_MAX_QUEUE: '100000',
    BERTH_LOG_LEVEL: 'error',
  });
  const app = await createApp({ config, waitForCore: true, processMetrics: false });
  await app.listen({ port: Number(flags.port ?? 0), host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('message', (m) => {
    if (m === 'stop') void app.close().then(() => process.exit(0));
  });
}

function startServer(batching: 'on' | 'off'): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(REPO, 'scripts', 'run-ts.js'), [__filename, '--serve', '--batching', batching, '--threads', String(THREADS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolvePort, reject) => {
    child.once('message', (m: { port: number }) => resolvePort({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  await exited;
}

// ---- bare session.run -------------------------------------------------------------------------------

async function bare(dir: string, texts: string[], batch: number, seconds: number): Promise<number> {
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const feeds: Record<string, ort.Tensor>[] = [];
  const tokenizer = await tokenizerOf(dir);
  for (let at = 0; at + batch <= texts.length; at += batch) feeds.push(await feedsFor(tokenizer, session, texts.slice(at, at + batch)));
  await session.run(feeds[0]);
  let done = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  for (let i = 0; process.hrtime.bigint() < deadline; i++) {
    await session.run(feeds[i % feeds.length]);
    done += batch;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  await session.release();
  return done / elapsed;
}

// ---- main ---------------------------------------------------------------------------------------------

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number): string => x.toFixed(1);

async function main(): Promise<void> {
  const dir = await ensureMiniModel(join(MODELS_DIR, MODEL), FIXTURES);
  const texts = sentences(256, 42);
  const batchBodies: string[] = [];
  for (let at = 0; at + BATCH <= texts.length; at += BATCH)
    batchBodies.push(JSON.stringify({ model: MODEL, inputs: texts.slice(at, at + BATCH) }));
  const singleBodies = texts.map((t) => JSON.stringify({ model: MODEL, inputs: t }));
  console.log(
    `serve-load: BERT-mini-shaped classifier, ${THREADS} intra-op thread(s), ${SECONDS}s per measurement, ${CLIENTS} clients, client batch ${BATCH}`,
  );

  // (a) overhead: bare run, then the server with the same batches, alternated twice.
  const bareRuns: number[] = [];
  const serverRuns: number[] = [];
  for (let round = 0; round < 2; round++) {
    bareRuns.push(await bare(dir, texts, BATCH, SECONDS));
    const { child, port } = await startServer('on');
    try {
      const r = await load([port], batchBodies, BATCH, Math.min(CLIENTS, 4), SECONDS);
      if (r.failures) console.log(`  warning: ${r.failures} failed requests`);
      serverRuns.push(r.seqPerSec);
    } finally {
      await stopServer(child);
    }
  }
  const bareMean = mean(bareRuns);
  const serverMean = mean(serverRuns);
  console.log(`(a) bare session.run, batch ${BATCH}: ${bareRuns.map(fmt).join(', ')} seq/s`);
  console.log(
    `    HTTP /v1/classify, ${BATCH} texts per request, ${Math.min(CLIENTS, 4)} clients: ${serverRuns.map(fmt).join(', ')} seq/s`,
  );
  console.log(`    overhead ratio (bare / server, 1.0 = none): ${(bareMean / serverMean).toFixed(2)}`);

  // (b) dynamic batching on vs off, one text per request.
  const on: number[] = [];
  const off: number[] = [];
  for (const mode of ['on', 'off', 'on', 'off'] as const) {
    const { child, port } = await startServer(mode);
    try {
      const r = await load([port], singleBodies, 1, CLIENTS, SECONDS);
      if (r.failures) console.log(`  warning: ${r.failures} failed requests (${mode})`);
      (mode === 'on' ? on : off).push(r.seqPerSec);
    } finally {
      await stopServer(child);
    }
  }
  console.log(
    `(b) one text per request, ${CLIENTS} clients: batching on ${on.map(fmt).join(', ')} seq/s; off ${off.map(fmt).join(', ')} seq/s`,
  );
  console.log(`    batching speed-up (on / off): ${(mean(on) / mean(off)).toFixed(2)}`);
}

if (flags.serve) {
  void serve();
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
