/**
 * Fleet mode, in one run (ratios against a baseline measured in the same run; the machine is shared
 * and noisy, so absolute numbers are for orientation only):
 *
 *   node scripts/run-ts.js bench/fleet.ts [--seconds 5] [--clients 16] [--rounds 3] [--activations 10]
 *
 * Model: the BERT-mini-shaped sequence classifier of bench/serve-load.ts. A throwaway PostgreSQL
 * (Debian's postgresql package), and two API replicas (`BERTH_ROLE=api`, one inference thread
 * each: `BERTH_THREADS=1`) sharing one data directory, as built server processes on 127.0.0.1.
 *
 * (a) Throughput of POST /v1/classify (one text per request, `clients` concurrent keep-alive
 *     clients): the clients spread over both replicas, against the same clients on replica A
 *     alone (B idle), alternated `rounds` times. Ratio = two ÷ one (medians). The load generator
 *     shares the machine's cores with the servers.
 * (b) Activation: from the answer to POST …/activate on replica A until both replicas answer with
 *     the new version (each polled every 5 ms), for `activations` activations alternating between
 *     versions 2 and 1. Median and max.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tar from 'tar';
import { startPostgres } from '../test/support/postgres';
import { ensureBuilt, ServerProcess, startServer, stopServer } from '../test/e2e/support/server-process';
import { classify, ensureMiniModel, load, sentences } from './support/mini-load';

const { values: flags } = parseArgs({
  options: { seconds: { type: 'string' }, clients: { type: 'string' }, rounds: { type: 'string' }, activations: { type: 'string' } },
});
const SECONDS = Number(flags.seconds ?? 5);
const CLIENTS = Number(flags.clients ?? 16);
const ROUNDS = Number(flags.rounds ?? 3);
const ACTIVATIONS = Number(flags.activations ?? 10);
const REPO = resolve(__dirname, '..');
const FIXTURES = process.env.BERTH_FIXTURES_DIR ?? resolve(REPO, '..', 'shared', 'fixtures');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), 'berth-bench-fleet-'));
  const pg = await startPostgres();
  const servers: ServerProcess[] = [];
  try {
    const model = await ensureMiniModel('/tmp/berth-bench/serve-models/serve-mini', FIXTURES);
    mkdirSync(join(root, 'models'));
    cpSync(model, join(root, 'models', 'sentiment'), { recursive: true });
    const env = (id: string) => ({
      BERTH_DATABASE_URL: pg.url,
      BERTH_ROLE: 'api',
      BERTH_REPLICA_ID: id,
      BERTH_THREADS: '1',
      BERTH_INTER_OP_THREADS: '1',
    });
    for (const id of ['api-a', 'api-b']) servers.push(await startServer(join(root, 'models'), join(root, 'data'), env(id)));
    const [a, b] = servers;
    const bodies = sentences(256, 42).map((t) => JSON.stringify({ model: 'sentiment', inputs: t }));

    console.log(`(a) throughput, ${CLIENTS} clients, ${SECONDS} s per run, ${ROUNDS} rounds, BERTH_THREADS=1 per replica`);
    const one: number[] = [];
    const two: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const single = await load([a.port], bodies, 1, CLIENTS, SECONDS);
      const both = await load([a.port, b.port], bodies, 1, CLIENTS, SECONDS);
      if (single.failures + both.failures > 0) throw new Error(`failed requests: ${single.failures + both.failures}`);
      one.push(single.seqPerSec);
      two.push(both.seqPerSec);
      console.log(`  round ${r + 1}: one replica ${single.seqPerSec.toFixed(1)} seq/s, two replicas ${both.seqPerSec.toFixed(1)} seq/s`);
    }
    console.log(
      `  median: one ${median(one).toFixed(1)}, two ${median(two).toFixed(1)} seq/s; ratio two/one = ${(median(two) / median(one)).toFixed(2)}`,
    );

    // (b) A second version: the same model uploaded again.
    const archive = join(root, 'v2.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: join(root, 'models') }, ['sentiment']);
    const uploaded = await fetch(`${a.url}/v1/models/sentiment/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip' },
      body: readFileSync(archive),
    });
    if (uploaded.status !== 201) throw new Error(`upload failed: ${uploaded.status} ${await uploaded.text()}`);
    const agent = new http.Agent({ keepAlive: true });
    const waits: number[] = [];
    for (let i = 0; i < ACTIVATIONS; i++) {
      const target = i % 2 === 0 ? 2 : 1;
      const res = await fetch(`${a.url}/v1/models/sentiment/versions/${target}/activate`, { method: 'POST' });
      if (!res.ok) throw new Error(`activation failed: ${res.status} ${await res.text()}`);
      const answered = process.hrtime.bigint();
      for (let polls = 0; polls < 4000; polls++) {
        const probe = JSON.stringify({ model: 'sentiment', inputs: 'a quick check' });
        const [va, vb] = (await Promise.all([classify(agent, a.port, probe), classify(agent, b.port, probe)])).map((r) => r.version);
        if (va === target && vb === target) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      waits.push(Number(process.hrtime.bigint() - answered) / 1e6);
    }
    agent.destroy();
    console.log(
      `(b) activation answered → every replica serves it, ${ACTIVATIONS} activations: median ${median(waits).toFixed(1)} ms, max ${Math.max(...waits).toFixed(1)} ms`,
    );
  } finally {
    for (const s of servers) await stopServer(s);
    pg.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
