import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../engine/errors';
import { EncoderConfig, headOf, readConfig, writeConfig } from '../../engine/formats/config';
import { locateHfModelDir } from '../../engine/formats/hf-dir';
import { readModelWeights } from '../../engine/formats/model-weights';
import { TensorF32, writeSafetensors } from '../../engine/formats/safetensors';
import { buildInferenceModel, checkBuildable } from '../../engine/nn/bert';
import { COPIED_FILES, writeDirAtomically } from '../../engine/nn/export';
import { writeModelFile } from '../../engine/onnx/encode';

/** The config and weights of the BertForMaskedLM directory a run starts from. */
export function openMaskedLm(modelDir: string): { config: EncoderConfig; weights: Map<string, TensorF32> } {
  const located = locateHfModelDir(modelDir, { weights: true });
  const config = readConfig(located.configFile);
  checkBuildable(config, located.configFile);
  const head = headOf(config, located.configFile);
  if (head !== 'masked-lm')
    throw new FormatError(
      located.configFile,
      `architectures ${JSON.stringify(config.architectures)} is a ${head} model; pre-training needs BertForMaskedLM`,
    );
  return { config, weights: readModelWeights(located.weightsFile as string) };
}

/** The pre-trained model as an HF layout directory (written atomically, replacing an earlier one). */
export function writeMaskedLmDir(
  baseDir: string,
  outDir: string,
  config: EncoderConfig,
  parameters: ReadonlyMap<string, TensorF32>,
  metrics: object,
): void {
  const sorted = new Map([...parameters].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const onnx = buildInferenceModel(config, sorted, { head: 'masked-lm' });
  writeDirAtomically(outDir, true, (tmp) => {
    writeConfig(join(tmp, 'config.json'), config);
    writeSafetensors(join(tmp, 'model.safetensors'), sorted, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), onnx);
    for (const name of COPIED_FILES) {
      if (name === 'config.json') continue;
      const from = join(baseDir, name);
      if (existsSync(from)) copyFileSync(from, join(tmp, name));
    }
    writeFileSync(join(tmp, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  });
}
