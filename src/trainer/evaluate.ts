/** Scoring: the eval graph over validation rows, and `berth evaluate` on a model as it is. */
import { FormatError } from '../engine/errors';
import { buildEvalGraph, buildTrainingGraph } from '../engine/training';
import { TrainingSession } from '../runtime/training-session';
import { BerthTokenizer } from '../tokenizer/tokenizer';
import { TrainingFeature, collate, planBatches } from './data';
import { headParameterNames } from './method';
import { openModel } from './model-io';
import { TrainOptions, TrainOptionsError } from './options';
import { EvalBatchOutput, EvalMetrics, TASK_HEADS, loadTaskData } from './task-data';

/** A model's score on a labelled file (what `berth evaluate` prints). */
export interface EvaluationResult {
  readonly metrics: EvalMetrics;
  readonly examples: number;
  readonly wallSeconds: number;
}

/** Runs the eval graph over the validation rows in fixed order and scores them. */
export async function evaluateRows(
  session: TrainingSession,
  features: readonly TrainingFeature[],
  batchSize: number,
  padId: number,
  score: (batches: readonly EvalBatchOutput[]) => EvalMetrics,
): Promise<EvalMetrics> {
  const outputs: EvalBatchOutput[] = [];
  for (const rows of planBatches(features, { batchSize, shuffle: false })) {
    const batch = collate(features, rows, { padId });
    const r = await session.evaluate(batch);
    outputs.push({ rows, seqLength: batch.seqLength, loss: r.loss, outputs: r.outputs });
  }
  return score(outputs);
}

/**
 * Scores a model on `options.validationFile` with the task metric training uses (accuracy,
 * conlleval entity F1, SQuAD EM/F1, MLM perplexity), through the same eval graph, training
 * nothing. The model is taken as it is, adapters or prompt included.
 */
export async function evaluateModel(options: TrainOptions): Promise<EvaluationResult> {
  const started = performance.now();
  if (!options.validationFile) throw new TrainOptionsError('validation', 'evaluation needs a labelled file');
  const model = openModel(options);
  const tokenizer = await BerthTokenizer.fromModelDir(options.modelDir);
  const data = await loadTaskData({ ...options, trainFile: options.validationFile }, model.config, tokenizer, model.maxLength);
  if (data.validation.length === 0) throw new FormatError(options.validationFile, 'no rows to evaluate');
  const head = TASK_HEADS[options.task];
  const spec = {
    config: model.config,
    weights: model.weights,
    head: head as Exclude<typeof head, 'base'>,
    // Nothing is stepped; the training graph only has to exist for the session to hold the eval graph.
    trainable: new Set(headParameterNames(model.config, model.weights.keys())),
    optimizer: { weightDecay: 0, maxGradNorm: 0 },
    dropoutSeed: options.seed,
  };
  const session = await TrainingSession.create(buildTrainingGraph(spec), {
    eval: buildEvalGraph(spec),
    intraOpThreads: options.threads,
    device: options.device,
  });
  try {
    const metrics = await evaluateRows(session, data.validation, options.batchSize, model.config.pad_token_id, data.score);
    return { metrics, examples: data.stats.validationExamples, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    await session.release();
  }
}
