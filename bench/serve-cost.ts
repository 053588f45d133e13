/**
 * What the server adds to a bare `session.run`, measured two ways in one run, each as a ratio or a
 * difference against bare ONNX Runtime measured in the same run (alternated, medians reported):
 *
 *   node scripts/run-ts.js bench/serve-cost.ts [--model mini|base] [--threads 2] [--seconds 4]
 *
 * (a) Low load: one client, one 16-token text per request, sequential, over loopback HTTP.
 *     Client-observed p50/p99 against bare `session.run` p50/p99 on the same pre-tokenized text
 *     (batch 1), with the server's own stage split from its timing headers.
 * (b) Server cost: 32 concurrent clients, one ~20-word text per request. The server process's CPU
 *     seconds (all its threads, ONNX Runtime's included) per sequence served, against the CPU
 *     seconds per sequence of a bare `session.run` loop at batch 8 in its own process. The load
 *     generator's CPU is not counted on either side, so its share of the two cores no longer hides
 *     or inflates the overhead.
 *
 * Server and bare runner are child processes (this file with --serve / --bare); the client is this
 * process. Everything stays on 127.0.0.1; every loop is bounded by count or time.
 */
import { ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { EncoderShape, ensureMiniModel, load, MINI_SHAPE, sentences } from './support/mini-load';

const { values: flags } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    bare: { type: 'string' },
    model: { type: 'string' },
    seconds: { type: 'string' },
    threads: { type: 'string' },
    clients: { type: 'string' },
    requests: { type: 'string' },
  },
});
const MODEL_SIZE = flags.model === 'base' ? 'base' : 'mini';
const THREADS = Number(flags.threads ?? 2);
const SECONDS = Number(flags.seconds ?? 4);
const CLIENTS = Number(flags.clients ?? 32);
const REQUESTS = Number(flags.requests ?? 400);
const WORK = '/tmp/berth-bench';
const MODELS_DIR = join(WORK, `cost-models-${MODEL_SIZE}`);
const MODEL = `cost-${MODEL_SIZE}`;
const REPO = resolve(__dirname, '..');
const FIXTURES = process.env.BERTH_FIXTURES_DIR ?? resolve(REPO, '..', 'shared', 'fixtures');
const SHAPES: Record<'mini' | 'base', EncoderShape> = {
  mini: MINI_SHAPE,
  base: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
};
/** 14 words → 16 tokens with [CLS] and [SEP] in the bert-base-uncased vocabulary. */
const SHORT_TEXT = 'the movie was a great and moving story of a river city engineer in paris';

type ChildMessage = { port: number } | { cpu: number } | { bare: { cpuSeconds: number; sequences: number; latencies: number[] } };

// ---- children -------------------------------------------------------------------------------------

async function serve(): Promise<void> {
  const { createApp } = await import('../src/app.module');
  const { loadConfig } = await import('../src/config/app-config');
  const config = loadConfig({
    BERTH_MODELS_DIR: MODELS_DIR,
    BERTH_DATA_DIR: join(WORK, `cost-data-${MODEL_SIZE}`),
    BERTH_THREADS: String(THREADS),
    BERTH_INTER_OP_THREADS: '1',
    BERTH_MAX_QUEUE: '100000',
    BERTH_LOG_LEVEL: 'error',
  });
  const app = await createApp({ config, waitForCore: true, processMetrics: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpu: (user + system) / 1e6 });
    }
    if (m === 'stop') void app.close().then(() => process.exit(0));
  });
}

/** Feeds for `texts`, padded to the longest, as the server would build them. */
async function feedsFor(dir: string, session: ort.InferenceSession, texts: string[]): Promise<Record<string, ort.Tensor>> {
  const { BerthTokenizer } = await import('../src/tokenizer/tokenizer');
  const tokenizer = await BerthTokenizer.fromModelDir(dir);
  const enc = (await tokenizer.encodeBatch(texts)).map((w) => w[0]);
  const len = Math.max(...enc.map((e) => e.ids.length));
  const n = texts.length;
  const ids = new BigInt64Array(n * len);
  const mask = new BigInt64Array(n * len);
  const types = new BigInt64Array(n * len);
  enc.forEach((e, b) =>
    e.ids.forEach((id, t) => {
      ids[b * len + t] = BigInt(id);
      mask[b * len + t] = 1n;
      types[b * len + t] = BigInt(e.typeIds[t]);
    }),
  );
  const feed: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [n, len]),
    attention_mask: new ort.Tensor('int64', mask, [n, len]),
  };
  if (session.inputNames.includes('token_type_ids')) feed.token_type_ids = new ort.Tensor('int64', types, [n, len]);
  return feed;
}

/** `--bare latency`: REQUESTS sequential batch-1 runs of SHORT_TEXT; `--bare cpu`: batch 8 for SECONDS. */
async function bare(mode: string): Promise<void> {
  const dir = join(MODELS_DIR, MODEL);
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const texts = mode === 'latency' ? [SHORT_TEXT] : sentences(8, 42);
  const feed = await feedsFor(dir, session, texts);
  for (let i = 0; i < 20; i++) await session.run(feed);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  let sequences = 0;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9));
  for (let i = 0; mode === 'latency' ? i < REQUESTS : process.hrtime.bigint() < deadline; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feed);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    sequences += texts.length;
  }
  const cpu = process.cpuUsage(cpu0);
  process.send?.({ bare: { cpuSeconds: (cpu.user + cpu.system) / 1e6, sequences, latencies } });
  await session.release();
}

// ---- parent -------------------------------------------------------------------------------------------

function child(args: string[]): ChildProcess {
  return fork(join(REPO, 'scripts', 'run-ts.js'), [__filename, '--model', MODEL_SIZE, '--threads', String(THREADS), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<K extends string>(proc: ChildProcess, key: K): Promise<Extract<ChildMessage, Record<K, unknown>>[K]> {
  return new Promise((resolveMessage, reject) => {
    const onMessage = (m: ChildMessage): void => {
      if (key in m) {
        proc.off('message', onMessage);
        resolveMessage((m as unknown as Record<K, never>)[key]);
      }
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => reject(new Error(`child exited with ${code} before sending "${key}"`)));
  });
}

async function runBare(mode: 'latency' | 'cpu'): Promise<{ cpuSeconds: number; sequences: number; latencies: number[] }> {
  const proc = child(['--bare', mode, '--seconds', String(SECONDS), '--requests', String(REQUESTS)]);
  const result = await nextMessage(proc, 'bare');
  await new Promise((r) => proc.once('exit', r));
  return result;
}

async function withServer<T>(fn: (port: number, proc: ChildProcess) => Promise<T>): Promise<T> {
  const proc = child(['--serve']);
  const port = await nextMessage(proc, 'port');
  try {
    return await fn(port, proc);
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.send('stop');
    await exited;
  }
}

interface Timed {
  ms: number;
  stages: Record<string, number>;
}

function timedPost(agent: http.Agent, port: number, body: string): Promise<Timed> {
  return new Promise((resolveTimed, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/classify',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const stages: Record<string, number> = {};
          for (const stage of ['tokenization', 'queue', 'inference', 'total']) stages[stage] = Number(res.headers[`x-${stage}-time`]);
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          else resolveTimed({ ms: Number(process.hrtime.bigint() - t0) / 1e6, stages });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const median = (xs: number[]): number => quantile(xs, 0.5);
const f2 = (x: number): string => x.toFixed(2);

async function lowLoad(): Promise<void> {
  const body = JSON.stringify({ model: MODEL, inputs: SHORT_TEXT });
  const bareP50: number[] = [];
  const bareP99: number[] = [];
  const serverP50: number[] = [];
  const serverP99: number[] = [];
  const stageMedians: Record<string, number[]> = {};
  for (let round = 0; round < 2; round++) {
    const b = await runBare('latency');
    bareP50.push(median(b.latencies));
    bareP99.push(quantile(b.latencies, 0.99));
    await withServer(async (port) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 50; i++) await timedPost(agent, port, body);
      const answers: Timed[] = [];
      for (let i = 0; i < REQUESTS; i++) answers.push(await timedPost(agent, port, body));
      agent.destroy();
      serverP50.push(median(answers.map((a) => a.ms)));
      serverP99.push(
        quantile(
          answers.map((a) => a.ms),
          0.99,
        ),
      );
      for (const stage of Object.keys(answers[0].stages)) (stageMedians[stage] ??= []).push(median(answers.map((a) => a.stages[stage])));
    });
  }
  console.log(`(a) low load, one client, one 16-token text per request, ${REQUESTS} requests per run, 2 runs alternated`);
  console.log(`    bare session.run (batch 1): p50 ${bareP50.map(f2).join(', ')} ms; p99 ${bareP99.map(f2).join(', ')} ms`);
  console.log(`    HTTP /v1/classify:          p50 ${serverP50.map(f2).join(', ')} ms; p99 ${serverP99.map(f2).join(', ')} ms`);
  console.log(
    `    server stages (median of medians): ${Object.entries(stageMedians)
      .map(([k, v]) => `${k} ${f2(median(v))}`)
      .join(', ')} ms`,
  );
  console.log(`    p50 difference (HTTP − bare): ${f2(median(serverP50) - median(bareP50))} ms (acceptance: ≤ 1.00 ms)`);
}

async function serverCost(): Promise<void> {
  const texts = sentences(256, 42);
  const bodies = texts.map((t) => JSON.stringify({ model: MODEL, inputs: t }));
  const bareCost: number[] = [];
  const serverCostPerSeq: number[] = [];
  const throughput: number[] = [];
  for (let round = 0; round < 2; round++) {
    const b = await runBare('cpu');
    bareCost.push(b.cpuSeconds / b.sequences);
    await withServer(async (port, proc) => {
      // load() warms up with one round per client first; count CPU from after the warm-up run.
      await load([port], bodies, 1, CLIENTS, 1);
      proc.send('cpu');
      const before = await nextMessage(proc, 'cpu');
      const r = await load([port], bodies, 1, CLIENTS, SECONDS);
      proc.send('cpu');
      const after = await nextMessage(proc, 'cpu');
      // load() ran its own warm-up round (one request per client) inside the window: count it.
      const sequences = r.seqPerSec * SECONDS + CLIENTS;
      serverCostPerSeq.push((after - before) / sequences);
      throughput.push(r.seqPerSec);
      if (r.failures) console.log(`    warning: ${r.failures} failed requests`);
    });
  }
  const ratio = median(serverCostPerSeq) / median(bareCost);
  console.log(`(b) server cost, ${CLIENTS} clients, one text per request, ${SECONDS}s per run, 2 runs alternated`);
  console.log(`    bare session.run, batch 8:  ${bareCost.map((c) => f2(c * 1e3)).join(', ')} CPU ms per sequence`);
  console.log(
    `    server process:             ${serverCostPerSeq.map((c) => f2(c * 1e3)).join(', ')} CPU ms per sequence (${throughput
      .map((t) => t.toFixed(1))
      .join(', ')} seq/s)`,
  );
  console.log(`    server CPU ÷ bare CPU per sequence: ${ratio.toFixed(2)} (acceptance: ≤ 1.10)`);
}

async function main(): Promise<void> {
  const dir = join(MODELS_DIR, MODEL);
  await ensureMiniModel(dir, FIXTURES, 7, SHAPES[MODEL_SIZE]);
  console.log(`serve-cost: BERT-${MODEL_SIZE}-shaped classifier, ${THREADS} intra-op threads`);
  await lowLoad();
  await serverCost();
}

if (flags.serve) void serve();
else if (flags.bare) void bare(flags.bare);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
