/**
 * A model directory in Hugging Face Hub layout: config.json, tokenizer files, and weights as
 * `model.safetensors` or `pytorch_model.bin` and/or an ONNX export (`model.onnx`, or Optimum's
 * `onnx/model.onnx`).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { WEIGHTS_FILES } from './model-weights';

export interface HfModelDir {
  dir: string;
  configFile: string;
  tokenizerFile: string;
  onnxFile?: string;
  /** `model.safetensors`, else `pytorch_model.bin`: what fine-tuning and graph building read. */
  weightsFile?: string;
  tokenizerConfigFile?: string;
  specialTokensMapFile?: string;
  vocabFile?: string;
}

/** Where an ONNX export may sit, in order of preference. */
const ONNX_CANDIDATES = ['model.onnx', join('onnx', 'model.onnx')];

function fileIn(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  return existsSync(path) && statSync(path).isFile() ? path : undefined;
}

/** The folder's weights file (`model.safetensors` preferred over `pytorch_model.bin`), if any. */
export function weightsFileIn(dir: string): string | undefined {
  return WEIGHTS_FILES.map((name) => fileIn(dir, name)).find((path) => path !== undefined);
}

/**
 * Finds the files of a model directory. config.json and tokenizer.json are always required;
 * `need` adds the weights a caller cannot do without (ONNX to run an export as it is, weights
 * to fine-tune, either one to serve: without an ONNX file the server builds the graph from the
 * weights).
 * A missing file is a FormatError naming the path that was looked for.
 */
export function locateHfModelDir(dir: string, need: { onnx?: boolean; weights?: boolean; servable?: boolean } = {}): HfModelDir {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new FormatError(dir, 'model directory not found');
  }
  const require = (name: string, why: string): string => {
    const path = fileIn(dir, name);
    if (!path) throw new FormatError(join(dir, name), `file not found (${why})`);
    return path;
  };

  const located: HfModelDir = {
    dir,
    configFile: require('config.json', 'every model needs its config'),
    tokenizerFile: require('tokenizer.json', 'a fast-tokenizer file is required'),
  };
  const onnxFile = ONNX_CANDIDATES.map((name) => fileIn(dir, name)).find((path) => path !== undefined);
  if (onnxFile) located.onnxFile = onnxFile;
  else if (need.onnx) {
    throw new FormatError(join(dir, 'model.onnx'), `file not found (nor ${join(dir, 'onnx', 'model.onnx')}); serving needs an ONNX export`);
  }
  const weightsFile = weightsFileIn(dir);
  if (weightsFile) located.weightsFile = weightsFile;
  else if (need.weights) {
    throw new FormatError(join(dir, 'model.safetensors'), 'file not found, nor pytorch_model.bin (fine-tuning starts from the weights)');
  }
  if (need.servable && !onnxFile && !weightsFile) {
    throw new FormatError(
      join(dir, 'model.onnx'),
      'file not found, nor model.safetensors or pytorch_model.bin; serving needs an ONNX export or the weights to build one from',
    );
  }

  const optional: Array<[keyof HfModelDir, string]> = [
    ['tokenizerConfigFile', 'tokenizer_config.json'],
    ['specialTokensMapFile', 'special_tokens_map.json'],
    ['vocabFile', 'vocab.txt'],
  ];
  for (const [key, name] of optional) {
    const path = fileIn(dir, name);
    if (path) located[key] = path;
  }
  return located;
}
