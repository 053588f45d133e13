import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TensorF32 } from '../../engine/formats/safetensors';
import { CHECKPOINTS_DIR, CheckpointState, latestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint';

function tensor(values: number[], shape = [values.length]): TensorF32 {
  return { shape, data: Float32Array.from(values) };
}

function state(step: number): CheckpointState {
  return {
    step,
    hyperparameters: { batch_size: 2, seed: 1 },
    cursor: { epoch: 0, batch: step, blocks: 10 },
    rng: { seed: 1, next_step: step },
    corpus: { files: ['a.txt'], tokens: 100, fingerprint: 'abc' },
    tokens_seen: step * 8,
    train_seconds: step * 0.5,
  };
}

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'berth-ckpt-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('round-trip parameters, both AdamW moments and the state exactly', () => {
    const params = new Map([
      ['w', tensor([1.5, -2, 3e-8, 4], [2, 2])],
      ['b', tensor([0.25])],
    ]);
    const expAvg = new Map([
      ['w', tensor([0.1, 0.2, 0.3, 0.4], [2, 2])],
      ['b', tensor([-1])],
    ]);
    const expAvgSq = new Map([
      ['w', tensor([1, 2, 3, 4], [2, 2])],
      ['b', tensor([5])],
    ]);
    const dir = saveCheckpoint(out, state(3), params, { expAvg, expAvgSq });
    expect(dir).toBe(join(out, CHECKPOINTS_DIR, 'step-00000003'));
    const c = loadCheckpoint(dir);
    expect(c.state).toEqual(state(3));
    expect(c.params.get('w')).toEqual(params.get('w'));
    expect(c.params.get('b')).toEqual(params.get('b'));
    expect(c.expAvg.get('w')).toEqual(expAvg.get('w'));
    expect(c.expAvgSq.get('b')).toEqual(expAvgSq.get('b'));
    expect([...c.expAvg.keys()].sort()).toEqual(['b', 'w']);
  });

  it('keeps the newest two, and the latest is the highest step', () => {
    const p = new Map([['b', tensor([0])]]);
    for (const step of [2, 4, 6]) saveCheckpoint(out, state(step), p, { expAvg: p, expAvgSq: p });
    expect(listCheckpoints(out)).toEqual(['step-00000004', 'step-00000006']);
    expect(latestCheckpoint(out)?.state.step).toBe(6);
  });

  it('ignores half-written directories (no state.json) and temporary ones', () => {
    const p = new Map([['b', tensor([0])]]);
    saveCheckpoint(out, state(2), p, { expAvg: p, expAvgSq: p });
    mkdirSync(join(out, CHECKPOINTS_DIR, 'step-00000009'));
    mkdirSync(join(out, CHECKPOINTS_DIR, '.step-00000010.tmp-1'));
    expect(latestCheckpoint(out)?.state.step).toBe(2);
    expect(readdirSync(join(out, CHECKPOINTS_DIR)).length).toBe(3);
  });

  it('has no checkpoint in a fresh directory', () => {
    expect(latestCheckpoint(join(out, 'none'))).toBeUndefined();
    expect(existsSync(join(out, 'none'))).toBe(false);
  });
});
