import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../engine/errors';
import type { WorkerMessage } from './train-worker';
import { CANCELLED_CODE, TrainingExecutor } from './training-executor';

export class TrainingFailedError extends EngineError {}

export interface WorkerExecutorOptions {
  /** After a cancel, how long the trainer may take to stop between steps before the worker is terminated. */
  readonly cancelGraceMs?: number;
  /** ONNX Runtime intra-op threads for training (default 1, so serving keeps the other cores). */
  readonly threads?: number;
}

/**
 * The worker's entry point. Built code runs `train-worker.js` directly; from TypeScript sources
 * (tests, `scripts/run-ts.js`) the worker first installs the same @swc/core require hook.
 */
function workerSource(): { code: string; eval: boolean } {
  const entry = join(__dirname, `train-worker${extname(__filename)}`);
  if (extname(entry) !== '.ts') return { code: entry, eval: false };
  const swcrc = resolve(__dirname, '..', '..', '.swcrc');
  const swc = require.resolve('@swc/core');
  const code = `
    const fs = require('node:fs');
    const { transformSync } = require(${JSON.stringify(swc)});
    require.extensions['.ts'] = function (module, filename) {
      const options = { filename, module: { type: 'commonjs' }, sourceMaps: 'inline' };
      ${existsSync(swcrc) ? `options.swcrc = true; options.configFile = ${JSON.stringify(swcrc)};` : ''}
      module._compile(transformSync(fs.readFileSync(filename, 'utf8'), options).code, filename);
    };
    require(${JSON.stringify(entry)});
  `;
  return { code, eval: true };
}

/** Runs `train()` in a worker thread: one worker per job, terminated when the job ends. */
export function workerTrainingExecutor(options: WorkerExecutorOptions = {}): TrainingExecutor {
  const grace = options.cancelGraceMs ?? 5000;
  return (request, hooks) =>
    new Promise((resolvePromise, reject) => {
      const source = workerSource();
      const worker = new Worker(source.code, {
        eval: source.eval,
        workerData: { ...request, threads: request.threads ?? options.threads ?? 1 },
      });
      let settled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        if (killTimer) clearTimeout(killTimer);
        hooks.signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => {
        worker.postMessage({ type: 'cancel' });
        // A step that does not end in time (one huge batch) is cut short: nothing was written yet.
        killTimer = setTimeout(() => {
          void worker.terminate();
          finish(() => reject(new TrainingFailedError(CANCELLED_CODE, 'training was cancelled; the worker was stopped')));
        }, grace);
        killTimer.unref();
      };
      if (hooks.signal.aborted) onAbort();
      else hooks.signal.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'event') hooks.onEvent(m.event);
        else if (m.type === 'done') finish(() => resolvePromise(m.outcome));
        else if (m.type === 'failed') finish(() => reject(new TrainingFailedError(m.code, m.message)));
      });
      worker.on('error', (e) => finish(() => reject(new TrainingFailedError('TRAINING_FAILED', `training worker crashed: ${e.message}`))));
      worker.on('exit', (code) =>
        finish(() => reject(new TrainingFailedError('TRAINING_FAILED', `training worker exited (code ${code}) before finishing`))),
      );
    });
}
