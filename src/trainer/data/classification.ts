import type { ClassificationExample } from './readers/classification';
import { DatasetError } from './errors';
import { DataTokenizer, ENCODE_CHUNK, SequenceClassificationFeature } from './features';
import { resolveLabelIds } from './labels';
import { summarizeLengths, LengthSummary } from './stats';

export interface ClassificationPrepOptions {
  /** Longest row in tokens, special tokens included; longer rows are truncated (longest_first) and counted. */
  maxLength: number;
  label2id: Readonly<Record<string, number>>;
  /** File name for errors (unknown labels). */
  file: string;
  /** Column name for errors (default "label"). */
  labelField?: string;
}

export interface PreparedClassification {
  features: SequenceClassificationFeature[];
  /** Rows longer than maxLength, cut to it (never silently: this is reported). */
  truncated: number;
  /** Token lengths before truncation. */
  lengths: LengthSummary;
}

/**
 * Tokenizes classification or NLI rows ([CLS] text [SEP] or [CLS] text [SEP] pair [SEP]) and maps
 * their labels; every label is checked before any row is tokenized.
 */
export async function prepareClassification(
  examples: readonly ClassificationExample[],
  tokenizer: DataTokenizer,
  options: ClassificationPrepOptions,
): Promise<PreparedClassification> {
  const labels = resolveLabelIds(examples, options.label2id, options.file, options.labelField);
  const features: SequenceClassificationFeature[] = [];
  const lengths: number[] = [];
  let truncated = 0;
  for (let from = 0; from < examples.length; from += ENCODE_CHUNK) {
    const slice = examples.slice(from, from + ENCODE_CHUNK);
    const inputs = slice.map((e): string | [string, string] => (e.textPair === undefined ? e.text : [e.text, e.textPair]));
    const full = await tokenizer.encodeBatch(inputs, { truncation: false });
    const tooLong = full.map((w, i) => (w[0].ids.length > options.maxLength ? i : -1)).filter((i) => i >= 0);
    const cut =
      tooLong.length === 0
        ? []
        : await tokenizer.encodeBatch(tooLong.map((i) => inputs[i]), { truncation: 'longest_first', maxLength: options.maxLength });
    const cutOf = new Map(tooLong.map((i, k) => [i, cut[k][0]]));
    slice.forEach((example, i) => {
      const encoding = cutOf.get(i) ?? full[i][0];
      lengths.push(full[i][0].ids.length);
      if (cutOf.has(i)) truncated++;
      if (encoding.ids.length > options.maxLength) {
        throw new DatasetError(options.file, `row cannot be truncated to ${options.maxLength} tokens`, example.line);
      }
      features.push({ inputIds: encoding.ids, tokenTypeIds: encoding.typeIds, label: labels[from + i], example: from + i });
    });
  }
  return { features, truncated, lengths: summarizeLengths(lengths) };
}
