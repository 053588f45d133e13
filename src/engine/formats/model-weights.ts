/**
 * The one way the engine reads a model's weights, whichever file a Hugging Face folder ships:
 * `model.safetensors`, or PyTorch's `pytorch_model.bin` (read without running its pickle).
 */
import { basename } from 'node:path';
import { readSafetensors, TensorF32 } from './safetensors';
import { readTorchCheckpoint } from './torch-checkpoint';

/** The weights files of a model folder, in order of preference: safetensors wins when both exist. */
export const WEIGHTS_FILES = ['model.safetensors', 'pytorch_model.bin'] as const;

/** Every tensor of a weights file (safetensors, or a PyTorch zip checkpoint), as float32. */
export function readModelWeights(file: string): Map<string, TensorF32> {
  return basename(file).endsWith('.safetensors') ? readSafetensors(file) : readTorchCheckpoint(file);
}
