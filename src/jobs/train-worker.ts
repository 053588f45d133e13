/**
 * Worker-thread entry: runs the trainer's `train()` off the HTTP event loop. Messages in:
 * `{type: 'cancel'}`. Messages out: `{type: 'event', event}`, `{type: 'done', outcome}`,
 * `{type: 'failed', code, message}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../engine/errors';
import { resolveTrainOptions } from '../trainer/options';
import { train } from '../trainer/train';
import type { TrainingRequest } from './training-executor';

export type WorkerMessage =
  | { type: 'event'; event: import('../trainer/train').TrainEvent }
  | { type: 'done'; outcome: { outDir: string; metrics: import('../trainer/train').TrainMetricsFile } }
  | { type: 'failed'; code: string; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('train-worker must run in a worker thread');
  const controller = new AbortController();
  port.on('message', (m: { type?: string }) => {
    if (m?.type === 'cancel') controller.abort();
  });
  const send = (m: WorkerMessage): void => port.postMessage(m);
  try {
    const options = resolveTrainOptions(workerData as TrainingRequest);
    // The baseline makes metrics.json show what the job gained over the model it started from.
    const result = await train(options, {
      signal: controller.signal,
      onEvent: (event) => send({ type: 'event', event }),
      evaluateBaseline: true,
    });
    send({ type: 'done', outcome: { outDir: result.outDir, metrics: result.metrics } });
  } catch (e) {
    const code = e instanceof EngineError ? e.code : 'TRAINING_FAILED';
    send({ type: 'failed', code, message: e instanceof Error ? e.message : String(e) });
  } finally {
    port.close();
  }
}

void main();
