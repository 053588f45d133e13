/**
 * Size and CPU speed of served models, measured the same way wherever a table quotes them: the
 * ONNX graph the server would build from the weights, timed at 128 tokens, batch 32, one
 * ONNX Runtime thread, models in interleaved rounds so that they share the machine's state.
 */
import { headOf, readConfig } from '../../src/engine/formats/config';
import { locateHfModelDir } from '../../src/engine/formats/hf-dir';
import { readModelWeights } from '../../src/engine/formats/model-weights';
import { buildInferenceModel } from '../../src/engine/nn/bert';
import { encodeModel } from '../../src/engine/onnx/encode';
import { Rng } from '../../src/engine/random';
import { OnnxModelSession } from '../../src/runtime/onnx-session';

export const SPEED_TOKENS = 128;
export const SPEED_BATCH = 32;
const ROUNDS = 5;

/** Parameters, layers and the serving ONNX graph of an HF model directory. */
export function modelSize(dir: string): { parameters: number; onnx: Uint8Array; layers: number } {
  const located = locateHfModelDir(dir, { weights: true });
  const config = readConfig(located.configFile);
  const weights = readModelWeights(located.weightsFile as string);
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  const onnx = encodeModel(buildInferenceModel(config, weights, { head: headOf(config) }));
  return { parameters, onnx, layers: config.num_hidden_layers };
}

/** Sequences per second at SPEED_TOKENS tokens, batch SPEED_BATCH, one intra-op thread, for each graph. */
export async function throughput(models: Array<{ bytes: Uint8Array; file: string }>): Promise<number[]> {
  const sessions = await Promise.all(models.map((m) => OnnxModelSession.load(m, { device: 'cpu', intraOpThreads: 1, interOpThreads: 1 })));
  const rng = new Rng(12345);
  // [CLS] random word pieces [SEP]: ids 100..8099 exist in every default vocabulary.
  const batch = Array.from({ length: SPEED_BATCH }, () => {
    const ids = [2, ...Array.from({ length: SPEED_TOKENS - 2 }, () => 100 + rng.int(8000)), 3];
    return { ids, attentionMask: ids.map(() => 1), typeIds: ids.map(() => 0) };
  });
  const seconds = models.map(() => 0);
  try {
    for (const s of sessions) await s.runBatch(batch); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, s] of sessions.entries()) {
        const t0 = performance.now();
        await s.runBatch(batch);
        seconds[i] += (performance.now() - t0) / 1000;
      }
    }
  } finally {
    for (const s of sessions) await s.release();
  }
  return seconds.map((s) => (ROUNDS * batch.length) / s);
}
