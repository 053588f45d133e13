import { ClassificationDataset, ClassificationReadOptions, readClassificationDataset } from './classification';
import { DatasetTask } from './format';
import { NerDataset, NerReadOptions, readNerDataset } from './ner';
import { QaDataset, QaReadOptions, readQaDataset } from './qa';
import { readTextCorpus, TextCorpus, TextReadOptions } from './text';

export type AnyDataset =
  | ({ task: 'classification' } & ClassificationDataset)
  | ({ task: 'ner' } & NerDataset)
  | ({ task: 'qa' } & QaDataset)
  | ({ task: 'mlm' } & TextCorpus);

export type AnyReadOptions = ClassificationReadOptions & NerReadOptions & QaReadOptions & TextReadOptions;

/** Reads a dataset for a task, detecting its format (the one entry point for uploads). */
export async function readDataset(path: string, task: DatasetTask, options: AnyReadOptions = {}): Promise<AnyDataset> {
  switch (task) {
    case 'classification':
      return { task, ...(await readClassificationDataset(path, options)) };
    case 'ner':
      return { task, ...(await readNerDataset(path, options)) };
    case 'qa':
      return { task, ...(await readQaDataset(path, options)) };
    case 'mlm':
      return { task, ...(await readTextCorpus(path, options)) };
  }
}
