/** Classic, non-neural baselines the default models are compared with (plain TypeScript; build tooling for scripts/defaults, not shipped in dist/). */
export { minimizeLbfgs } from './lbfgs';
export type { LbfgsOptions, LbfgsResult, Objective } from './lbfgs';
export { LogisticRegression } from './logistic-regression';
export type { LogisticRegressionOptions } from './logistic-regression';
export { MostFrequentTagTagger, OUTSIDE_TAG } from './most-frequent-tag';
export { answerBySlidingWindow, sentenceRanges, slidingWindowScore, STOP_WORDS } from './sliding-window-qa';
export type { SlidingWindowOptions, SpanAnswer } from './sliding-window-qa';
export { sparseRow, sparseRowsFrom } from './sparse';
export type { SparseRows } from './sparse';
export { pairTerms, textTerms, TfidfLogisticClassifier } from './tfidf-classifier';
export type { TfidfClassifierOptions } from './tfidf-classifier';
export { TfidfVectorizer, wordNgrams, wordTokens } from './tfidf';
export type { TfidfOptions } from './tfidf';
