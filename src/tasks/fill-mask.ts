/**
 * Fill-mask post-processing, as Hugging Face's FillMaskPipeline: at each mask position, softmax
 * over the vocabulary and the `top_k` most probable tokens, each with the sequence it makes.
 */
import { softmax, topKIndices } from './math';

export interface MaskPrediction {
  token: number;
  score: number;
}

/** The `topK` predictions at one position from that position's vocabulary logits. */
export function predictMask(vocabLogits: ArrayLike<number>, topK: number): MaskPrediction[] {
  const probs = softmax(vocabLogits);
  return topKIndices(probs, topK).map((token) => ({ token, score: probs[token] }));
}

/** Token positions holding the mask id. */
export function maskPositions(ids: ArrayLike<number>, maskId: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === maskId) out.push(i);
  return out;
}
