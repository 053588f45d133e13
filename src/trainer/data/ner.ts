import type { NerExample } from './readers/ner';
import { DatasetError } from './errors';
import { DataTokenizer, IGNORE_INDEX, TokenClassificationFeature } from './features';
import { summarizeLengths, LengthSummary } from './stats';

export interface TokenClassificationPrepOptions {
  maxLength: number;
  label2id: Readonly<Record<string, number>>;
  file: string;
  /**
   * Label every sub-word (HF run_ner `label_all_tokens=True`, the default here): continuation pieces
   * take the word's tag with B-X turned into I-X. When false they get IGNORE_INDEX.
   */
  labelAllTokens?: boolean;
}

export interface PreparedTokenClassification {
  features: TokenClassificationFeature[];
  truncated: number;
  lengths: LengthSummary;
}

/** The tag of a continuation piece: B-X becomes I-X when the model has I-X (as run_ner.py's b_to_i_label). */
function continuationTag(tag: string, label2id: Readonly<Record<string, number>>): string {
  if (!tag.startsWith('B-')) return tag;
  const inside = `I-${tag.slice(2)}`;
  return Object.prototype.hasOwnProperty.call(label2id, inside) ? inside : tag;
}

/**
 * Tokenizes pre-split words and labels every token: the first piece of a word gets the word's tag,
 * continuation pieces the tag with B-X → I-X (or IGNORE_INDEX), special tokens IGNORE_INDEX.
 */
export async function prepareTokenClassification(
  examples: readonly NerExample[],
  tokenizer: DataTokenizer,
  options: TokenClassificationPrepOptions,
): Promise<PreparedTokenClassification> {
  const labelAll = options.labelAllTokens ?? true;
  const idOf = (tag: string, line: number): number => {
    const id = options.label2id[tag];
    if (!Object.prototype.hasOwnProperty.call(options.label2id, tag)) {
      throw new DatasetError(options.file, `unknown tag "${tag}"; the model's tags are ${Object.keys(options.label2id).join(', ')}`, line);
    }
    return id;
  };
  // Check every tag before any tokenization, so a bad file fails fast.
  for (const e of examples) for (const tag of e.tags) idOf(tag, e.line);

  const features: TokenClassificationFeature[] = [];
  const lengths: number[] = [];
  let truncated = 0;
  for (let index = 0; index < examples.length; index++) {
    const example = examples[index];
    const [full] = await tokenizer.encodeWords(example.tokens, { truncation: false });
    lengths.push(full.ids.length);
    let encoding = full;
    if (full.ids.length > options.maxLength) {
      [encoding] = await tokenizer.encodeWords(example.tokens, { truncation: 'longest_first', maxLength: options.maxLength });
      truncated++;
    }
    const labels: number[] = [];
    const firstTokenOfWord = new Array<number>(example.tokens.length).fill(-1);
    let previousWord: number | null = null;
    encoding.wordIds.forEach((word, t) => {
      if (word === null) {
        labels.push(IGNORE_INDEX);
      } else if (word !== previousWord) {
        firstTokenOfWord[word] = t;
        labels.push(idOf(example.tags[word], example.line));
      } else {
        labels.push(labelAll ? idOf(continuationTag(example.tags[word], options.label2id), example.line) : IGNORE_INDEX);
      }
      previousWord = word;
    });
    features.push({
      inputIds: encoding.ids,
      tokenTypeIds: encoding.typeIds,
      labels,
      example: index,
      wordIds: encoding.wordIds,
      firstTokenOfWord,
    });
  }
  return { features, truncated, lengths: summarizeLengths(lengths) };
}

/**
 * The evaluation view: one prediction per word, read at the word's first piece (seqeval scores
 * words, not pieces). A word with no token in the row (cut by truncation, or one the tokenizer
 * drops entirely) gets null; the caller decides how to score it (usually as "O").
 */
export function predictionsPerWord(feature: TokenClassificationFeature, tokenPredictions: ArrayLike<number>): Array<number | null> {
  return feature.firstTokenOfWord.map((t) => (t < 0 ? null : tokenPredictions[t]));
}

/**
 * Predicted word tags for seqeval-style scoring: the first-piece prediction of each word through
 * id2label, and `missing` (default "O") for words with no token in the row.
 */
export function predictedWordTags(
  feature: TokenClassificationFeature,
  tokenPredictions: ArrayLike<number>,
  id2label: readonly string[],
  missing = 'O',
): string[] {
  return predictionsPerWord(feature, tokenPredictions).map((id) => {
    if (id === null) return missing;
    const tag = id2label[id];
    if (tag === undefined) throw new RangeError(`predicted label id ${id} is not in id2label (${id2label.length} labels)`);
    return tag;
  });
}
