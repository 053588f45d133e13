import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FormatError } from '../errors';
import { headOf, readConfig } from '../formats/config';
import { weightsFileIn } from '../formats/hf-dir';
import { WEIGHTS_FILES, readModelWeights } from '../formats/model-weights';
import { writeModelFile } from '../onnx/encode';
import { ModelData } from '../onnx/model';
import { buildInferenceModel, checkBuildable } from './bert';

/** Files copied alongside a new graph when present: config and every tokenizer file HF may use. */
export const COPIED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'sentencepiece.bpe.model',
  'spiece.model',
  'added_tokens.json',
];

export interface ExportOptions {
  /** One Q/K/V MatMul per layer (default true). */
  readonly fuseQkv?: boolean;
  /** ONNX Runtime's fused contrib ops for inference (Attention, SkipLayerNormalization, ...) where the model allows. */
  readonly fused?: boolean;
  /** Replace an existing output directory. */
  readonly overwrite?: boolean;
}

/**
 * Builds the inference graph of an HF model directory from config.json + its weights
 * (`model.safetensors`, else `pytorch_model.bin`; tokenizer files are not needed for that and are
 * only copied when present).
 */
export function buildModelFromDir(dir: string, options: Pick<ExportOptions, 'fuseQkv' | 'fused'> = {}): ModelData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FormatError(dir, 'model directory not found');
  const configFile = join(dir, 'config.json');
  const config = readConfig(configFile);
  const head = headOf(config, configFile);
  checkBuildable(config, configFile);
  const weightsFile = weightsFileIn(dir);
  if (!weightsFile) {
    throw new FormatError(join(dir, 'model.safetensors'), 'file not found, nor pytorch_model.bin (the graph is built from the weights)');
  }
  const tensors = readModelWeights(weightsFile);
  return buildInferenceModel(config, tensors, { head, fuseQkv: options.fuseQkv, fused: options.fused, weightsFile });
}

/**
 * Writes `outDir` as an HF layout directory with our `model.onnx`. Everything is written into a
 * temporary sibling first and renamed into place, so `outDir` is either complete or absent.
 */
export function exportModelDir(srcDir: string, outDir: string, options: ExportOptions = {}): { files: string[] } {
  const model = buildModelFromDir(srcDir, options);
  return writeDirAtomically(outDir, options.overwrite ?? false, (tmp) => {
    writeModelFile(join(tmp, 'model.onnx'), model);
    // The weights travel too, so that the exported folder can still be fine-tuned.
    for (const name of [...COPIED_FILES, ...WEIGHTS_FILES]) {
      const from = join(srcDir, name);
      if (existsSync(from)) copyFileSync(from, join(tmp, name));
    }
  });
}

/** Fills a fresh temporary directory via `fill`, then renames it to `outDir`. */
export function writeDirAtomically(outDir: string, overwrite: boolean, fill: (tmp: string) => void): { files: string[] } {
  const target = resolve(outDir);
  if (existsSync(target) && !overwrite && readdirSync(target).length > 0) {
    throw new FormatError(outDir, 'output directory already exists and is not empty');
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    fill(tmp);
    const files = readdirSync(tmp).sort();
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    return { files };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
