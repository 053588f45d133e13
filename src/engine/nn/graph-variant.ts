import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { HfModelDir, locateHfModelDir } from '../formats/hf-dir';
import { decodeModel } from '../onnx/decode';
import { writeModelFile } from '../onnx/encode';
import { ModelData, PRODUCER_NAME } from '../onnx/model';
import { WeightType, isQuantized, quantizeDynamic } from '../onnx/quantize';
import { COPIED_FILES, buildModelFromDir, writeDirAtomically } from './export';

/**
 * Which inference graph a model directory is served or exported as: the plain ops (the default,
 * the same graph training differentiates), ONNX Runtime's fused contrib ops (fused.ts), and/or
 * MatMul weights quantized to int8 (../onnx/quantize.ts).
 */
export interface GraphVariant {
  readonly fused?: boolean;
  readonly quantize?: WeightType;
}

/** A short, stable name (`plain`, `fused`, `plain-int8`, `fused-uint8`) for logs and cache keys. */
export function variantName(variant: GraphVariant): string {
  return `${variant.fused ? 'fused' : 'plain'}${variant.quantize ? `-${variant.quantize}` : ''}`;
}

/**
 * The directory's inference graph in `variant`. `fused` needs the weights: a graph built from
 * `model.safetensors` is built fused, and so is a Berth-written `model.onnx` that has its weights
 * beside it (Berth writes both from the same parameters). Any other ONNX file is served as it is,
 * since its graph cannot be rebuilt faithfully; quantization applies to every graph.
 */
export function inferenceGraph(
  dir: string,
  variant: GraphVariant,
  files: HfModelDir = locateHfModelDir(dir, { servable: true }),
): ModelData {
  let model: ModelData;
  if (files.onnxFile) {
    const onnx = decodeModel(readFileSync(files.onnxFile));
    const rebuild = variant.fused === true && files.weightsFile !== undefined && onnx.producerName === PRODUCER_NAME;
    model = rebuild ? buildModelFromDir(dir, { fused: true }) : onnx;
  } else {
    model = buildModelFromDir(dir, { fused: variant.fused === true });
  }
  if (variant.quantize && !isQuantized(model)) model = quantizeDynamic(model, { weightType: variant.quantize }).model;
  return model;
}

export interface QuantizeDirOptions {
  readonly weightType?: WeightType;
  readonly fused?: boolean;
  readonly overwrite?: boolean;
}

/**
 * `berth quantize`: writes `outDir` as a serve-only HF layout directory (config and tokenizer
 * files, and a `model.onnx` with int8 MatMul weights). The float weights are left out on purpose:
 * the directory is for serving; fine-tune from the source directory.
 */
export function quantizeModelDir(
  srcDir: string,
  outDir: string,
  options: QuantizeDirOptions = {},
): { files: string[]; quantized: number; bytesBefore: number; bytesAfter: number } {
  const files = locateHfModelDir(srcDir, { servable: true });
  const source = inferenceGraph(srcDir, { fused: options.fused }, files);
  if (isQuantized(source)) throw new FormatError(files.onnxFile ?? srcDir, 'the model is already quantized');
  const report = quantizeDynamic(source, { weightType: options.weightType ?? 'int8' });
  if (report.quantized.length === 0)
    throw new FormatError(files.onnxFile ?? srcDir, 'the graph has no MatMul with a constant 2-D weight to quantize');
  const written = writeDirAtomically(outDir, options.overwrite ?? false, (tmp) => {
    writeModelFile(join(tmp, 'model.onnx'), report.model);
    for (const name of COPIED_FILES) {
      const from = join(srcDir, name);
      if (name !== 'model.safetensors' && existsSync(from)) copyFileSync(from, join(tmp, name));
    }
  });
  return { files: written.files, quantized: report.quantized.length, bytesBefore: report.bytesBefore, bytesAfter: report.bytesAfter };
}
