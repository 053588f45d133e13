/**
 * The serving measurements that `bench/serve-cost.ts` and `bench/compare.ts` share. Each side runs
 * in its own child process (the entry file re-run with a role flag), the load generator in the
 * parent, so neither the server nor a baseline shares an event loop with the client, and CPU
 * seconds can be read per process.
 *
 * Roles (see `runRole`): `--role serve` (Berth's HTTP server over `--models`), `--role bare-latency`
 * and `--role bare-cpu` (bare `session.run` of `--dir`/model.onnx), `--role tjs-serve` (a plain
 * node:http server around a transformers.js pipeline over `--dir`, one pipeline call per request,
 * the way its documentation serves one).
 */
import { ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import { load } from './mini-load';

const REPO = resolve(__dirname, '..', '..');

export interface RoleArgs {
  role: string;
  /** The model folder (config, tokenizer, model.onnx), alone in its parent (the server's models folder). */
  dir: string;
  threads: number;
  /** bare-latency: requests; bare-cpu: seconds. */
  amount: number;
  /** bare-*: the texts of one batch, JSON. */
  texts: string[];
  /** serve: extra environment for the server's config, JSON. */
  env: Record<string, string>;
  /** tjs-serve: transformers.js dtype (`fp32`, `q8`). */
  dtype: string;
}

type Message =
  { port: number } | { cpu: number } | { bare: { cpuSeconds: number; sequences: number; latencies: number[] } } | { latencies: number[] };

export function roleArgv(entry: string, args: RoleArgs): string[] {
  return [
    entry,
    '--role',
    args.role,
    '--dir',
    args.dir,
    '--threads',
    String(args.threads),
    '--amount',
    String(args.amount),
    '--texts',
    JSON.stringify(args.texts),
    '--env',
    JSON.stringify(args.env),
    '--dtype',
    args.dtype,
  ];
}

export const ROLE_OPTIONS = {
  role: { type: 'string' },
  dir: { type: 'string' },
  threads: { type: 'string' },
  amount: { type: 'string' },
  texts: { type: 'string' },
  env: { type: 'string' },
  dtype: { type: 'string' },
} as const;

export function parseRole(values: Partial<Record<keyof typeof ROLE_OPTIONS, string>>): RoleArgs | undefined {
  if (!values.role) return undefined;
  return {
    role: values.role,
    dir: values.dir ?? '',
    threads: Number(values.threads ?? 2),
    amount: Number(values.amount ?? 0),
    texts: JSON.parse(values.texts ?? '[]') as string[],
    env: JSON.parse(values.env ?? '{}') as Record<string, string>,
    dtype: values.dtype ?? 'fp32',
  };
}

function reportCpuOnRequest(): void {
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpu: (user + system) / 1e6 });
    }
  });
}

function sendPort(server: { address(): unknown }): void {
  const address = server.address() as { port?: number } | null;
  process.send?.({ port: address?.port ?? 0 });
}

async function serveBerth(args: RoleArgs): Promise<void> {
  const { createApp } = await import('../../src/app.module');
  const { loadConfig } = await import('../../src/config/app-config');
  const config = loadConfig({
    BERTH_MODELS_DIR: dirname(args.dir),
    BERTH_DATA_DIR: join(dirname(dirname(args.dir)), 'data', basename(args.dir)),
    BERTH_THREADS: String(args.threads),
    BERTH_INTER_OP_THREADS: '1',
    BERTH_MAX_QUEUE: '100000',
    BERTH_LOG_LEVEL: 'error',
    ...args.env,
  });
  const app = await createApp({ config, waitForCore: true, processMetrics: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  sendPort(app.getHttpServer());
  reportCpuOnRequest();
  process.on('message', (m) => {
    if (m === 'stop') void app.close().then(() => process.exit(0));
  });
}

/** transformers.js, loaded from a local folder only (`onnx/model.onnx` or `onnx/model_quantized.onnx`). */
export async function transformersPipeline(dir: string, dtype: string, threads: number): Promise<(text: string) => Promise<unknown>> {
  // A dynamic import of the ESM build; the benchmark-only dependency never loads in the server.
  const tjs = (await import('@huggingface/transformers')) as unknown as {
    env: { allowRemoteModels: boolean; localModelPath: string };
    pipeline(task: string, model: string, options: object): Promise<(text: string) => Promise<unknown>>;
  };
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${dirname(dir)}/`;
  return tjs.pipeline('text-classification', basename(dir), {
    dtype,
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
}

async function serveTransformers(args: RoleArgs): Promise<void> {
  const classify = await transformersPipeline(args.dir, args.dtype, args.threads);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { inputs } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs: string };
      classify(inputs).then(
        (answer) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  // Berth's own keep-alive (72 s) rather than Node's 5 s: a BERT-base warm-up round outlasts 5 s,
  // and a connection closed while the load generator reuses it would read as a reset.
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sendPort(server);
  reportCpuOnRequest();
  process.on('message', (m) => {
    if (m === 'stop') server.close(() => process.exit(0));
  });
}

/** The tokenizer of a model folder, as the server loads it. */
export async function tokenizerOf(dir: string): Promise<BerthTokenizer> {
  const { BerthTokenizer: Tokenizer } = await import('../../src/tokenizer/tokenizer');
  return Tokenizer.fromModelDir(dir);
}

/** Feeds for one padded batch of `texts`, as the server builds them. */
export async function feedsFor(
  tokenizer: BerthTokenizer,
  session: ort.InferenceSession,
  texts: string[],
): Promise<Record<string, ort.Tensor>> {
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

/** bare-latency: `amount` sequential runs of one batch; bare-cpu: runs for `amount` seconds. */
async function bare(args: RoleArgs): Promise<void> {
  const session = await ort.InferenceSession.create(join(args.dir, 'model.onnx'), {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const feed = await feedsFor(await tokenizerOf(args.dir), session, args.texts);
  for (let i = 0; i < 10; i++) await session.run(feed);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  let sequences = 0;
  const timed = args.role === 'bare-cpu';
  const deadline = process.hrtime.bigint() + BigInt(Math.round(args.amount * 1e9));
  for (let i = 0; timed ? process.hrtime.bigint() < deadline : i < args.amount; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feed);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    sequences += args.texts.length;
  }
  const cpu = process.cpuUsage(cpu0);
  process.send?.({ bare: { cpuSeconds: (cpu.user + cpu.system) / 1e6, sequences, latencies } });
  await session.release();
}

/** transformers.js in-process latency: `amount` sequential pipeline calls on texts[0]. */
async function transformersLatency(args: RoleArgs): Promise<void> {
  const classify = await transformersPipeline(args.dir, args.dtype, args.threads);
  for (let i = 0; i < 20; i++) await classify(args.texts[0]);
  const latencies: number[] = [];
  for (let i = 0; i < args.amount; i++) {
    const t0 = process.hrtime.bigint();
    await classify(args.texts[0]);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  process.send?.({ latencies });
}

export function runRole(args: RoleArgs): void {
  const roles: Record<string, (a: RoleArgs) => Promise<void>> = {
    serve: serveBerth,
    'tjs-serve': serveTransformers,
    'tjs-latency': transformersLatency,
    'bare-latency': bare,
    'bare-cpu': bare,
  };
  const role = roles[args.role];
  if (!role) throw new Error(`unknown role ${args.role}`);
  role(args).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

// ---- the parent's side --------------------------------------------------------------------------

export function spawnRole(entry: string, args: RoleArgs): ChildProcess {
  return fork(join(REPO, 'scripts', 'run-ts.js'), roleArgv(entry, args), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

export function nextMessage<K extends 'port' | 'cpu' | 'bare' | 'latencies'>(
  proc: ChildProcess,
  key: K,
): Promise<Extract<Message, Record<K, unknown>>[K]> {
  return new Promise((resolveMessage, reject) => {
    const onMessage = (m: Message): void => {
      if (key in m) {
        proc.off('message', onMessage);
        resolveMessage((m as unknown as Record<K, never>)[key]);
      }
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => reject(new Error(`child exited with ${code} before sending "${key}"`)));
  });
}

/** Runs a one-shot role and returns its message. */
export async function oneShot<K extends 'bare' | 'latencies'>(entry: string, args: RoleArgs, key: K) {
  const proc = spawnRole(entry, args);
  const result = await nextMessage(proc, key);
  await new Promise((r) => proc.once('exit', r));
  return result;
}

/** Starts a server role, runs `fn` against its port, stops it. */
export async function withServer<T>(entry: string, args: RoleArgs, fn: (port: number, proc: ChildProcess) => Promise<T>): Promise<T> {
  const proc = spawnRole(entry, args);
  const port = await nextMessage(proc, 'port');
  let stopping = false;
  proc.once('exit', (code, signal) => {
    if (!stopping) console.error(`${args.role} child exited early: code ${code}, signal ${signal}`);
  });
  try {
    return await fn(port, proc);
  } finally {
    stopping = true;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.send('stop');
    await exited;
  }
}

export interface Timed {
  ms: number;
  stages: Record<string, number>;
}

/** POST `path` and time it from the client; the server's `x-*-time` headers when it sends them. */
export function timedPost(agent: http.Agent, port: number, body: string, path = '/v1/classify'): Promise<Timed> {
  return new Promise((resolveTimed, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const stages: Record<string, number> = {};
          for (const stage of ['tokenization', 'queue', 'inference', 'total']) {
            const v = res.headers[`x-${stage}-time`];
            if (v !== undefined) stages[stage] = Number(v);
          }
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          else resolveTimed({ ms: Number(process.hrtime.bigint() - t0) / 1e6, stages });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `requests` sequential requests on one keep-alive connection, after 50 untimed ones. */
export async function sequentialLatency(port: number, body: string, requests: number): Promise<Timed[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 50; i++) await timedPost(agent, port, body);
    const answers: Timed[] = [];
    for (let i = 0; i < requests; i++) answers.push(await timedPost(agent, port, body));
    return answers;
  } finally {
    agent.destroy();
  }
}

/**
 * `clients` concurrent clients for `seconds` against a server child; its CPU seconds per
 * sequence over the measured window (after a one-second warm-up) and its throughput.
 */
export async function loadWithCpu(
  port: number,
  proc: ChildProcess,
  bodies: string[],
  clients: number,
  seconds: number,
): Promise<{ seqPerSec: number; cpuPerSeq: number; failures: number }> {
  await load([port], bodies, 1, clients, 1);
  proc.send('cpu');
  const before = await nextMessage(proc, 'cpu');
  const r = await load([port], bodies, 1, clients, seconds);
  proc.send('cpu');
  const after = await nextMessage(proc, 'cpu');
  // Every answered sequence inside the CPU window: load()'s opening round (one untimed request per
  // client) and the timed ones, including those still in flight at the deadline.
  const sequences = r.sequences + clients;
  return { seqPerSec: r.seqPerSec, cpuPerSeq: (after - before) / sequences, failures: r.failures };
}

export const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
export const median = (xs: number[]): number => quantile(xs, 0.5);
