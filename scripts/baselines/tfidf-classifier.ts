/**
 * TF-IDF + logistic regression text classification: the classic baseline for sentiment and NLI.
 * Documents are term lists, so a single text and a sentence pair share one classifier and differ
 * only in how their terms are made (`textTerms`, `pairTerms`).
 */
import { LogisticRegression, LogisticRegressionOptions } from './logistic-regression';
import { TfidfOptions, TfidfVectorizer, wordNgrams, wordTokens } from './tfidf';

/** Word unigrams and bigrams of one text. */
export function textTerms(text: string): string[] {
  return wordNgrams(wordTokens(text), 1, 2);
}

/**
 * Terms of a sentence pair (NLI): the premise's and the hypothesis's unigrams and bigrams in
 * separate vocabularies ("p:", "h:"), plus one cross feature per hypothesis word missing from the
 * premise ("new:"), since a bag of words cannot see the overlap between the two sides otherwise.
 */
export function pairTerms(premise: string, hypothesis: string): string[] {
  const premiseTokens = wordTokens(premise);
  const hypothesisTokens = wordTokens(hypothesis);
  const inPremise = new Set(premiseTokens);
  return [
    ...wordNgrams(premiseTokens, 1, 2).map((t) => `p:${t}`),
    ...wordNgrams(hypothesisTokens, 1, 2).map((t) => `h:${t}`),
    ...hypothesisTokens.filter((t) => !inPremise.has(t)).map((t) => `new:${t}`),
  ];
}

export interface TfidfClassifierOptions {
  tfidf?: TfidfOptions;
  logisticRegression?: LogisticRegressionOptions;
}

export class TfidfLogisticClassifier {
  readonly vectorizer: TfidfVectorizer;
  readonly model: LogisticRegression;
  /** Class names in id order (sorted). */
  labels: string[] = [];

  constructor(options: TfidfClassifierOptions = {}) {
    this.vectorizer = new TfidfVectorizer({ sublinearTf: true, ...options.tfidf });
    this.model = new LogisticRegression(options.logisticRegression);
  }

  fit(documents: ReadonlyArray<readonly string[]>, labels: readonly string[]): this {
    if (documents.length !== labels.length) throw new RangeError(`${documents.length} documents but ${labels.length} labels`);
    this.labels = [...new Set(labels)].sort();
    const ids = new Map(this.labels.map((label, i) => [label, i]));
    const x = this.vectorizer.fitTransform(documents);
    this.model.fit(
      x,
      Int32Array.from(labels, (label) => ids.get(label)!),
      this.labels.length,
    );
    return this;
  }

  predict(documents: ReadonlyArray<readonly string[]>): string[] {
    return Array.from(this.model.predict(this.vectorizer.transform(documents)), (id) => this.labels[id]);
  }
}
