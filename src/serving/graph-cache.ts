/**
 * The graph a version is served from. Plain float32 is the directory's own ONNX file (or the
 * graph built from its weights, in memory). A fused or quantized variant is prepared once and
 * cached as an ONNX file under `<data dir>/cache/graphs/`, keyed by the content of the files it
 * came from and the variant, so a restart loads it without quantizing again and a changed
 * source never reuses a stale file. Entries are never read for another source; deleting the
 * folder is always safe.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfModelDir } from '../engine/formats/hf-dir';
import { buildModelFromDir } from '../engine/nn/export';
import { GraphVariant, inferenceGraph, variantName } from '../engine/nn/graph-variant';
import { encodeModel, writeModelFile } from '../engine/onnx/encode';

/** Bumped whenever the builder or the quantizer would write a different graph from the same files. */
const CACHE_FORMAT = 1;

export type ServedGraph = string | { bytes: Uint8Array; file: string };

export function servedGraph(dir: string, files: HfModelDir, variant: GraphVariant = {}, cacheDir?: string): ServedGraph {
  if (!variant.fused && !variant.quantize) {
    // Without an ONNX file the engine builds the graph from the weights, as `berth export` would:
    // a directory can ship one weights file (float16 safetensors halve it) and stay fine-tunable.
    return files.onnxFile ?? { bytes: encodeModel(buildModelFromDir(dir)), file: files.weightsFile! };
  }
  const sources = [files.configFile, files.onnxFile, files.weightsFile].filter((f): f is string => f !== undefined);
  const hash = createHash('sha256').update(`berth-graph-cache/${CACHE_FORMAT}/${variantName(variant)}`);
  for (const file of sources) hash.update(readFileSync(file));
  const cached = cacheDir ? join(cacheDir, `${hash.digest('hex').slice(0, 40)}.${variantName(variant)}.onnx`) : undefined;
  if (cached && existsSync(cached)) return cached;
  const model = inferenceGraph(dir, variant, files);
  if (!cached) return { bytes: encodeModel(model), file: files.onnxFile ?? files.weightsFile! };
  mkdirSync(cacheDir!, { recursive: true });
  writeModelFile(cached, model); // a temporary sibling, then a rename: never a half-written entry
  return cached;
}
