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
      `architectures ${JSON.stringify(config.architectures)} is a ${head} model; pre-training needs BertForMaskedLM (or BertForPreTraining)`,
    );
  return { config, weights: readModelWeights(located.weightsFile as string) };
}

/** The objective whose heads are exactly HF's `*ForPreTraining` of the family. */
const NATIVE_OBJECTIVE: Readonly<Record<string, string>> = { bert: 'mlm+nsp', albert: 'mlm+sop' };

/**
 * The config the pre-trained model is written with: where the heads are exactly the family's
 * `*ForPreTraining` (BERT with NSP: pooler, `cls.seq_relationship`; ALBERT with SOP:
 * `sop_classifier`), it says so; otherwise `*ForMaskedLM` stays, whose loader skips the extra head
 * tensors (SOP on BERT, SBO's `cls.pair_target_predictions`) as unused weights.
 */
export function configFor(config: EncoderConfig, objective: string): EncoderConfig {
  if (NATIVE_OBJECTIVE[config.model_type] !== objective) return config;
  return { ...config, architectures: config.architectures.map((a) => a.replace(/ForMaskedLM$/, 'ForPreTraining')) };
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
