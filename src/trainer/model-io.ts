/** Reading the model a run starts from (checked against the task) and writing the trained one. */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../engine/errors';
import { EncoderConfig, headOf, readConfig, writeConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { readModelWeights } from '../engine/formats/model-weights';
import { TensorF32, writeSafetensors } from '../engine/formats/safetensors';
import { buildInferenceModel, checkBuildable } from '../engine/nn/bert';
import { COPIED_FILES, writeDirAtomically } from '../engine/nn/export';
import { usablePositions } from '../engine/nn/positions';
import { writeModelFile } from '../engine/onnx/encode';
import { alternateLayers } from './distill';
import { newHeadConfig, transplant } from './new-head';
import { exportedModel } from './method';
import { TrainOptions, TrainOptionsError } from './options';
import { TASK_HEADS } from './task-data';
import type { TrainMetricsFile } from './train-types';

/** Longest sequence used when neither the user nor a small model limit sets one (HF run_glue's default). */
export const DEFAULT_MAX_SEQ_LENGTH = 128;

export interface OpenedModel {
  readonly config: EncoderConfig;
  readonly configFile: string;
  readonly weights: Map<string, TensorF32>;
  readonly maxLength: number;
  /** The model directory's layer count, before `studentLayers` cut it. */
  readonly sourceLayers: number;
}

/** The number of values in the named tensors. */
export function countValues(t: ReadonlyMap<string, TensorF32>, names: Iterable<string>): number {
  let n = 0;
  for (const name of names) n += t.get(name)?.data.length ?? 0;
  return n;
}

/**
 * The model directory's files, the task's head and the sequence length, checked before any data
 * is read; with `studentLayers`, the encoder cut to that many alternate layers.
 */
export function openModel(options: TrainOptions): OpenedModel {
  const located = locateHfModelDir(options.modelDir, { weights: true });
  const read = readConfig(located.configFile);
  checkBuildable(read, located.configFile);
  const want = TASK_HEADS[options.task];
  // A new head on a pre-trained encoder: its config here, its weights once they are read.
  const newHeadTask = options.task === 'nli' ? 'classification' : options.task;
  const fresh = options.newHead && headOf(read, located.configFile) !== want && newHeadTask !== 'mlm';
  const full = fresh ? newHeadConfig(read, newHeadTask, options.newHead?.labels ?? [], located.configFile) : read;
  const head = headOf(full, located.configFile);
  if (head !== want) {
    throw new FormatError(
      located.configFile,
      `architectures ${JSON.stringify(full.architectures)} is a ${head} model; --task ${options.task} needs ${want}`,
    );
  }
  const prompt = options.method === 'prompt' ? options.promptTokens : 0;
  const positions = usablePositions(full);
  const limit = positions - prompt;
  if (limit < 8) throw new TrainOptionsError('prompt-tokens', `${prompt} prompt tokens leave no room in ${positions} positions`);
  const maxLength = options.maxSeqLength ?? Math.min(DEFAULT_MAX_SEQ_LENGTH, limit);
  if (maxLength > limit) {
    const why = prompt
      ? `${positions} positions minus ${prompt} prompt tokens`
      : `${positions} usable of max_position_embeddings ${full.max_position_embeddings}`;
    throw new TrainOptionsError(
      'max-seq-length',
      `${maxLength} is above the model's maximum of ${limit} (${why} in ${located.configFile})`,
    );
  }
  const stored = readModelWeights(located.weightsFile as string);
  const weights = fresh ? transplant(full, want, stored, options.seed, located.weightsFile).weights : stored;
  // A distilled student starts from half the layers (alternate ones) unless told otherwise, as DistilBERT.
  const layers = options.studentLayers ?? (options.distill ? Math.ceil(full.num_hidden_layers / 2) : undefined);
  const cut = layers === undefined ? { config: full, weights } : alternateLayers(full, weights, layers);
  return { config: cut.config, configFile: located.configFile, weights: cut.weights, maxLength, sourceLayers: full.num_hidden_layers };
}

/** Writes the trained model as an HF layout directory, atomically (temp dir + rename). */
export function writeTrainedModel(
  baseDir: string,
  outDir: string,
  trainingConfig: EncoderConfig,
  parameters: ReadonlyMap<string, TensorF32>,
  metrics: TrainMetricsFile,
  overwrite: boolean,
): { files: string[] } {
  const { config, tensors } = exportedModel(trainingConfig, parameters);
  const head = headOf(config);
  const onnx = buildInferenceModel(config, tensors, { head });
  return writeDirAtomically(outDir, overwrite, (tmp) => {
    // The weights are written in float32 whatever the base stored (the defaults ship float16).
    writeConfig(join(tmp, 'config.json'), { ...config, torch_dtype: 'float32' });
    writeSafetensors(join(tmp, 'model.safetensors'), tensors, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), onnx);
    for (const name of COPIED_FILES) {
      if (name === 'config.json') continue;
      const from = join(baseDir, name);
      if (existsSync(from)) copyFileSync(from, join(tmp, name));
    }
    writeFileSync(join(tmp, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  });
}
