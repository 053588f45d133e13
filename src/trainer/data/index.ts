/** Dataset readers and data preparation for training: the public API of `src/trainer/data`. */
export { DatasetError } from './errors';
export { summarizeLengths, countValues } from './stats';
export type { LengthHistogram, LengthSummary, TokenLengthStats } from './stats';

export { detectFormat, TASK_FORMATS } from './readers/format';
export type { DatasetFormat, DatasetTask } from './readers/format';
export {
  readClassificationDataset,
  DEFAULT_TEXT_COLUMNS,
  DEFAULT_TEXT_PAIR_COLUMNS,
  DEFAULT_LABEL_COLUMNS,
} from './readers/classification';
export type {
  ClassificationColumns,
  ClassificationDataset,
  ClassificationExample,
  ClassificationReadOptions,
  ClassificationStats,
} from './readers/classification';
export { readNerDataset } from './readers/ner';
export type { NerDataset, NerExample, NerReadOptions, NerStats } from './readers/ner';
export { readQaDataset } from './readers/qa';
export type { QaDataset, QaExample, QaReadOptions, QaStats } from './readers/qa';
export { readTextCorpus } from './readers/text';
export type { TextCorpus, TextCorpusStats, TextDocument, TextReadOptions } from './readers/text';
export { readDataset } from './readers';
export type { AnyDataset, AnyReadOptions } from './readers';

export { IGNORE_INDEX } from './features';
export type {
  DataTokenizer,
  EncodedRow,
  MlmFeature,
  QaEvaluationFeature,
  QaTrainingFeature,
  SequenceClassificationFeature,
  TokenClassificationFeature,
  TrainingFeature,
} from './features';
export { buildLabelMap, labelMapFromId2Label, resolveLabelIds } from './labels';
export type { LabelMap, LabelledRow } from './labels';
export { prepareClassification } from './classification';
export type { ClassificationPrepOptions, PreparedClassification } from './classification';
export { prepareTokenClassification, predictionsPerWord, predictedWordTags } from './ner';
export type { PreparedTokenClassification, TokenClassificationPrepOptions } from './ner';
export { prepareQaTraining, prepareQaEvaluation, answerPositions } from './qa';
export type { QaPrepOptions } from './qa';
export { prepareMlm, packRows, maskTokens, maskRows, spanLengthProbabilities } from './mlm';
export type { MaskedRow, MaskingOptions, MaskingStrategy, MlmPrepOptions, PreparedMlm } from './mlm';
export { makeBatches, planBatches, collate, lengthGroupedOrder } from './batching';
export type { Batch, BatchingOptions, IndexDType } from './batching';
