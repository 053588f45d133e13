/**
 * Fill-mask post-processing, as Hugging Face's FillMaskPipeline: at each mask position, softmax
 * over the vocabulary and the `top_k` most probable tokens, each with the sequence it makes.
 *
 * The pipeline below never truncates (cutting a text could cut its mask): a text longer than the
 * model maximum is refused. With several masks each candidate names the mask it fills.
 */
import { InputTooLongError, InvalidInputError, WrongTaskError } from '../errors/domain-error';
import { softmax, topKIndices } from './math';
import type { TaskPipeline } from './pipeline';
import type { FillMaskCandidate, FillMaskParams } from './types';

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

/** The most candidates a request may ask for, per mask. */
const TOP_K_MAX = 1000;

export const fillMaskPipeline: TaskPipeline<string, FillMaskParams, FillMaskCandidate[]> = {
  requires: 'fill-mask',

  check(texts, params, limits) {
    limits.topK(params.top_k, TOP_K_MAX);
    limits.inputs(texts.length);
    limits.texts(texts.map((s, i): [string, string] => [`inputs[${i}]`, s]));
  },

  async run(model, stages, texts, params) {
    const { tokenizer } = model;
    const maskId = tokenizer.specialIds.mask;
    if (maskId === undefined) throw new WrongTaskError(model.name, 'fill-mask model without a mask token', 'a [MASK] token');
    const maskToken = tokenizer.idToToken(maskId) ?? '[MASK]';
    const encoded = await stages.tokenize(() => tokenizer.encodeBatch(texts, { truncation: false }));
    const masks = encoded.map(([e], i) => {
      if (e.ids.length > model.maxLength) {
        throw new InputTooLongError(`texts[${i}] has ${e.ids.length} tokens; this model takes at most ${model.maxLength}`, {
          tokens: e.ids.length,
          limit: model.maxLength,
        });
      }
      const positions = maskPositions(e.ids, maskId);
      if (positions.length === 0) throw new InvalidInputError(`texts[${i}] has no ${maskToken} token to fill`);
      return positions;
    });
    const outputs = await stages.run(encoded.map((w) => w[0]));
    const vocab = outputs[0]?.logits.dims[1] ?? 0;
    const topK = params.top_k ?? 5;
    return Promise.all(
      encoded.map(async ([e], i) => {
        const single = masks[i].length === 1;
        const candidates: FillMaskCandidate[] = [];
        for (const [m, position] of masks[i].entries()) {
          const row = outputs[i].logits.data.subarray(position * vocab, (position + 1) * vocab);
          for (const p of predictMask(row, topK)) {
            const ids = e.ids.slice();
            ids[position] = p.token;
            const candidate: FillMaskCandidate = {
              score: p.score,
              token: p.token,
              token_str: await tokenizer.decode([p.token]),
              // As HF: with one mask the sequence is decoded without special tokens.
              sequence: await tokenizer.decode(ids, single),
            };
            if (!single) candidate.mask_index = m;
            candidates.push(candidate);
          }
        }
        return candidates;
      }),
    );
  },
};
