/**
 * TF-IDF features as scikit-learn's TfidfVectorizer computes them with
 * `sublinear_tf=True, ngram_range=(1, 2)` and its other defaults: lowercased text, tokens matched
 * by `(?u)\b\w\w+\b` (words of two or more word characters), term frequency 1 + ln(tf), smoothed
 * idf ln((1 + n) / (1 + df)) + 1, each row scaled to unit L2 norm. Features are numbered in sorted
 * order of their text, as in scikit-learn.
 */
import { SparseRows, sparseRowsFrom } from './sparse';

/** scikit-learn's default token_pattern; Python's Unicode `\w` is a letter, a number or "_". */
const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** Lowercased tokens of two or more word characters. */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/** Word n-grams for n in [minN, maxN], joined by a space; unigrams first, as scikit-learn lists them. */
export function wordNgrams(tokens: readonly string[], minN = 1, maxN = 2): string[] {
  const out: string[] = [];
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
  return out;
}

export interface TfidfOptions {
  /** Keep terms that occur in at least this many training documents (default 1: all). */
  minDf?: number;
  /** Default true: 1 + ln(tf) instead of tf. */
  sublinearTf?: boolean;
}

/**
 * Learns a vocabulary and idf weights from documents given as term lists (so callers decide the
 * terms: n-grams of one text, or prefixed terms of a sentence pair), then maps documents to
 * L2-normalised TF-IDF rows. Terms not seen in training are ignored.
 */
export class TfidfVectorizer {
  private vocabulary = new Map<string, number>();
  private idf = new Float64Array(0);

  constructor(private readonly options: TfidfOptions = {}) {}

  get size(): number {
    return this.vocabulary.size;
  }

  /** The column of a term, if it is in the vocabulary. */
  columnOf(term: string): number | undefined {
    return this.vocabulary.get(term);
  }

  idfOf(term: string): number | undefined {
    const column = this.vocabulary.get(term);
    return column === undefined ? undefined : this.idf[column];
  }

  fit(documents: ReadonlyArray<readonly string[]>): this {
    const minDf = this.options.minDf ?? 1;
    const df = new Map<string, number>();
    for (const terms of documents) for (const term of new Set(terms)) df.set(term, (df.get(term) ?? 0) + 1);
    const kept = [...df.entries()].filter(([, n]) => n >= minDf).map(([term]) => term);
    kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.vocabulary = new Map(kept.map((term, i) => [term, i]));
    const n = documents.length;
    this.idf = Float64Array.from(kept, (term) => Math.log((1 + n) / (1 + df.get(term)!)) + 1);
    return this;
  }

  transform(documents: ReadonlyArray<readonly string[]>): SparseRows {
    const sublinear = this.options.sublinearTf ?? true;
    const rows = documents.map((terms) => {
      const counts = new Map<number, number>();
      for (const term of terms) {
        const column = this.vocabulary.get(term);
        if (column !== undefined) counts.set(column, (counts.get(column) ?? 0) + 1);
      }
      let squares = 0;
      for (const [column, tf] of counts) {
        const weight = (sublinear ? 1 + Math.log(tf) : tf) * this.idf[column];
        counts.set(column, weight);
        squares += weight * weight;
      }
      const norm = Math.sqrt(squares);
      if (norm > 0) for (const [column, weight] of counts) counts.set(column, weight / norm);
      return counts;
    });
    return sparseRowsFrom(rows, this.vocabulary.size);
  }

  fitTransform(documents: ReadonlyArray<readonly string[]>): SparseRows {
    return this.fit(documents).transform(documents);
  }
}
