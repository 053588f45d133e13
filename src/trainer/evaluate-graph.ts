/**
 * Scores a model through the inference graph the server would run (plain, fused and/or int8,
 * `../engine/nn/graph-variant.ts`) instead of the training engine's eval graph: the same rows,
 * batches and task metric as `evaluateModel`, so an int8 graph's accuracy cost is read against
 * the float32 graph on equal terms. The serving graph has no loss output, so `loss` is NaN.
 */
import { GraphVariant, inferenceGraph } from '../engine/nn/graph-variant';
import { encodeModel } from '../engine/onnx/encode';
import { OnnxModelSession } from '../runtime/onnx-session';
import { BerthTokenizer } from '../tokenizer/tokenizer';
import { collate, planBatches } from './data';
import { TrainOptions, TrainOptionsError } from './options';
import { EvalBatchOutput, loadTaskData } from './task-data';
import { EvaluationResult, openModel } from './train';

export async function evaluateServingGraph(options: TrainOptions, variant: GraphVariant): Promise<EvaluationResult> {
  if (options.task === 'mlm')
    throw new TrainOptionsError('task', 'the serving graph is evaluated on task heads; use the eval graph for masked-LM');
  if (!options.validationFile) throw new TrainOptionsError('validation', 'evaluation needs a labelled file');
  const started = performance.now();
  const model = openModel(options);
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const data = await loadTaskData({ ...options, trainFile: options.validationFile }, model.config, tokenizer, model.maxLength);
  const session = await OnnxModelSession.load(
    { bytes: encodeModel(inferenceGraph(options.modelDir, variant)), file: options.modelDir },
    { device: options.device ?? 'cpu', intraOpThreads: options.threads },
  );
  try {
    const outputs: EvalBatchOutput[] = [];
    for (const rows of planBatches(data.validation, { batchSize: options.batchSize, shuffle: false })) {
      const batch = collate(data.validation, rows, { padId: model.config.pad_token_id });
      const length = batch.seqLength;
      // Every row keeps the batch's padded length, so token-level outputs come back [B, L, ...]
      // as the eval graph's do.
      const row = (a: BigInt64Array, i: number): number[] => Array.from(a.subarray(i * length, (i + 1) * length), Number);
      const sequences = rows.map((_, i) => ({
        ids: row(batch.inputIds, i),
        attentionMask: row(batch.attentionMask, i),
        typeIds: row(batch.tokenTypeIds, i),
      }));
      const perRow = await session.runBatch(sequences);
      const joined: EvalBatchOutput['outputs'] = Object.fromEntries(
        Object.keys(perRow[0]).map((name) => {
          const slices = perRow.map((r) => r[name]);
          const data = new Float32Array(slices.reduce((n, s) => n + s.data.length, 0));
          let offset = 0;
          for (const s of slices) {
            data.set(s.data, offset);
            offset += s.data.length;
          }
          return [name, { data, dims: [rows.length, ...slices[0].dims] }];
        }),
      );
      outputs.push({ rows, seqLength: length, loss: NaN, outputs: joined });
    }
    return { metrics: data.score(outputs), examples: data.stats.validationExamples, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    await session.release();
  }
}
