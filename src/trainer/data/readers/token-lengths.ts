import type { TokenizerInput } from '../../../tokenizer/tokenizer';
import { DataTokenizer, ENCODE_CHUNK } from '../features';
import { lengthHistogram, summarizeLengths, type TokenLengthStats } from '../stats';

/** Token counts (special tokens included, no truncation) of texts or text pairs. */
export async function measureTextLengths(inputs: readonly TokenizerInput[], tokenizer: DataTokenizer): Promise<TokenLengthStats> {
  const lengths: number[] = [];
  for (let from = 0; from < inputs.length; from += ENCODE_CHUNK) {
    const encoded = await tokenizer.encodeBatch(inputs.slice(from, from + ENCODE_CHUNK) as TokenizerInput[], { truncation: false });
    for (const [e] of encoded) lengths.push(e.ids.length);
  }
  return { ...summarizeLengths(lengths), histogram: lengthHistogram(lengths) };
}

/** Token counts of pre-split sentences. */
export async function measureWordLengths(sentences: ReadonlyArray<readonly string[]>, tokenizer: DataTokenizer): Promise<TokenLengthStats> {
  const lengths: number[] = [];
  for (const words of sentences) {
    const [e] = await tokenizer.encodeWords([...words], { truncation: false });
    lengths.push(e.ids.length);
  }
  return { ...summarizeLengths(lengths), histogram: lengthHistogram(lengths) };
}
