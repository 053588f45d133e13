/** What the serving benchmarks share: the BERT-mini-shaped model, the texts, and the load loop. */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

export interface EncoderShape {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
}

/** BERT-mini's shape; pass BERT-base's (768, 12, 12, 3072) for the large benchmarks. */
export const MINI_SHAPE: EncoderShape = { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 };

/**
 * A sequence classifier of `shape` (BERT-mini by default; the bert-base-uncased WordPiece
 * vocabulary of the hf-tiny fixtures), its weights drawn from `seed`, built once with Berth's own
 * exporter into `dir`.
 */
export async function ensureMiniModel(dir: string, fixtures: string, seed = 7, shape: EncoderShape = MINI_SHAPE): Promise<string> {
  if (existsSync(join(dir, 'model.onnx'))) return dir;
  const { tinyConfig } = await import('../../src/engine/nn/tiny');
  const { initWeights } = await import('../../src/engine/init');
  const { buildInferenceModel } = await import('../../src/engine/nn/bert');
  const { writeModelFile } = await import('../../src/engine/onnx/encode');
  const { writeConfig } = await import('../../src/engine/formats/config');
  const tokenizerDir = join(fixtures, 'hf-tiny', 'bert-seqcls');
  if (!existsSync(tokenizerDir)) throw new Error(`no fixtures at ${tokenizerDir} (set BERTH_FIXTURES_DIR)`);
  const config = { ...tinyConfig('classification', join(tokenizerDir, 'vocab.txt')), ...shape };
  const weights = initWeights(config, 'sequence-classification', seed);
  mkdirSync(dir, { recursive: true });
  writeConfig(join(dir, 'config.json'), config);
  writeModelFile(join(dir, 'model.onnx'), buildInferenceModel(config, weights, { head: 'sequence-classification' }));
  for (const f of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'])
    copyFileSync(join(tokenizerDir, f), join(dir, f));
  return dir;
}

const WORDS =
  'the a model server batch token queue fast slow request answer review movie service food great terrible okay city river engineer music paris london data train test value people time year day thing world life hand part child eye woman place work week case point number group problem fact'.split(
    ' ',
  );

/**
 * `n` seeded random sentences of `minWords` to `maxWords` words (12 to 28 by default). Every word
 * is one token of the bert-base-uncased vocabulary, so k words make k + 3 tokens with the full
 * stop, [CLS] and [SEP].
 */
export function sentences(n: number, seed: number, minWords = 12, maxWords = 28): string[] {
  let s = seed >>> 0;
  const rand = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, () => {
    const len = minWords + Math.floor(rand() * (maxWords - minWords + 1));
    return Array.from({ length: len }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ') + '.';
  });
}

/** POST /v1/classify with `body`; the status code. */
export async function post(agent: http.Agent, port: number, body: string): Promise<number> {
  return (await classify(agent, port, body)).status;
}

/** POST /v1/classify with `body`; the status code and the version that answered (x-model-version). */
export function classify(agent: http.Agent, port: number, body: string): Promise<{ status: number; version: number }> {
  return new Promise((resolveAnswer, reject) => {
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
        res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, version: Number(res.headers['x-model-version']) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `clients` loops, each sending its next request when the last is answered, for `seconds`; client
 * `c` talks to `ports[c % ports.length]` (several replicas share the load evenly).
 */
export async function load(
  ports: number[],
  bodies: string[],
  textsPerBody: number,
  clients: number,
  seconds: number,
): Promise<{ seqPerSec: number; sequences: number; failures: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  // Warm-up: one round per client.
  await Promise.all(Array.from({ length: clients }, (_, c) => post(agent, ports[c % ports.length], bodies[c % bodies.length])));
  let done = 0;
  let failures = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let i = c;
      while (process.hrtime.bigint() < deadline) {
        const status = await post(agent, ports[c % ports.length], bodies[i % bodies.length]);
        if (status === 200) done += textsPerBody;
        else failures++;
        i += clients;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return { seqPerSec: done / elapsed, sequences: done, failures };
}
