import { Client } from 'pg';
import type { TestPostgres } from './postgres';

let counter = 0;

/** A new, empty database on the throwaway server; its URL. Tests that need a clean slate take one each. */
export async function freshDatabase(server: TestPostgres): Promise<string> {
  const name = `t_${process.pid}_${++counter}`;
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Polls `check` until it returns a value other than undefined or false, and returns it; fails after
 * `timeoutMs` with `what` in the message. A bound on waiting, never a measure of speed.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
