/**
 * Checkpoints of a pre-training run: `<out>/checkpoints/step-NNNNNNNN/` holding the parameters,
 * the AdamW moments and `state.json` (step, hyperparameters, data cursor, corpus fingerprint).
 * Each is written into a temporary sibling and renamed, so a run killed mid-write leaves the
 * previous checkpoint intact and no half-written one that looks complete.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../engine/errors';
import { TensorF32, readSafetensors, writeSafetensors } from '../../engine/formats/safetensors';

export const CHECKPOINTS_DIR = 'checkpoints';
const STATE_FILE = 'state.json';
const PARAMS_FILE = 'params.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const NAME = /^step-(\d{8})$/;

export interface CheckpointState {
  /** Optimizer steps taken. */
  readonly step: number;
  /** Settings that must not change across a resume (compared as JSON). */
  readonly hyperparameters: Record<string, unknown>;
  /** Where the next batch comes from: epoch (0-based) and batch within the epoch's order. */
  readonly cursor: { readonly epoch: number; readonly batch: number; readonly blocks: number };
  /**
   * Every random draw of the run is a pure function of (seed, step): the block order of an epoch,
   * the masks of a batch and the dropout stream of a checkpoint segment. The step is the state.
   */
  readonly rng: { readonly seed: number; readonly next_step: number };
  readonly corpus: { readonly files: string[]; readonly tokens: number; readonly fingerprint: string };
  readonly tokens_seen: number;
  readonly train_seconds: number;
}

export interface Checkpoint {
  readonly dir: string;
  readonly state: CheckpointState;
  readonly params: Map<string, TensorF32>;
  readonly expAvg: Map<string, TensorF32>;
  readonly expAvgSq: Map<string, TensorF32>;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Writes a checkpoint atomically and keeps only the newest `keep` ones. */
export function saveCheckpoint(
  outDir: string,
  state: CheckpointState,
  params: ReadonlyMap<string, TensorF32>,
  moments: { expAvg: ReadonlyMap<string, TensorF32>; expAvgSq: ReadonlyMap<string, TensorF32> },
  keep = 2,
): string {
  const root = join(outDir, CHECKPOINTS_DIR);
  mkdirSync(root, { recursive: true });
  const target = join(root, checkpointName(state.step));
  const tmp = join(root, `.${checkpointName(state.step)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const optimizer = new Map<string, TensorF32>();
  for (const [name, t] of moments.expAvg) optimizer.set(`${name}.exp_avg`, t);
  for (const [name, t] of moments.expAvgSq) optimizer.set(`${name}.exp_avg_sq`, t);
  writeSafetensors(join(tmp, PARAMS_FILE), new Map(params));
  writeSafetensors(join(tmp, OPTIMIZER_FILE), optimizer);
  // state.json last: a directory without it is never taken for a checkpoint.
  writeFileSync(join(tmp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  const all = listCheckpoints(outDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
  return target;
}

/** Complete checkpoint directory names, oldest first. */
export function listCheckpoints(outDir: string): string[] {
  const root = join(outDir, CHECKPOINTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => NAME.test(name) && existsSync(join(root, name, STATE_FILE)))
    .sort();
}

export function loadCheckpoint(dir: string): Checkpoint {
  const stateFile = join(dir, STATE_FILE);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as CheckpointState;
  } catch (err) {
    throw new FormatError(stateFile, `unreadable checkpoint state: ${(err as Error).message}`);
  }
  if (!Number.isInteger(state.step) || state.step < 0) throw new FormatError(stateFile, `invalid step ${String(state.step)}`);
  const params = readSafetensors(join(dir, PARAMS_FILE));
  const expAvg = new Map<string, TensorF32>();
  const expAvgSq = new Map<string, TensorF32>();
  for (const [key, t] of readSafetensors(join(dir, OPTIMIZER_FILE))) {
    if (key.endsWith('.exp_avg_sq')) expAvgSq.set(key.slice(0, -'.exp_avg_sq'.length), t);
    else if (key.endsWith('.exp_avg')) expAvg.set(key.slice(0, -'.exp_avg'.length), t);
    else throw new FormatError(join(dir, OPTIMIZER_FILE), `unexpected tensor "${key}"`);
  }
  return { dir, state, params, expAvg, expAvgSq };
}

/** The newest complete checkpoint under `outDir`, if any. */
export function latestCheckpoint(outDir: string): Checkpoint | undefined {
  const all = listCheckpoints(outDir);
  return all.length === 0 ? undefined : loadCheckpoint(join(outDir, CHECKPOINTS_DIR, all[all.length - 1]));
}
