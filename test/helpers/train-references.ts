/**
 * The PyTorch training references of the hf-tiny fixtures (fixtures README, "Reproducing the
 * training references with a trainer"): each model's reference file, and the batch it was made on,
 * built from the dataset files through the trainer's data preparation (bert-mlm: the stored,
 * pre-masked batch, as the README prescribes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../src/engine/formats/config';
import { TrainableHead } from '../../src/engine/training';
import { TrainingBatch } from '../../src/runtime/training-session';
import { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import {
  labelMapFromId2Label,
  makeBatches,
  prepareClassification,
  prepareQaTraining,
  prepareTokenClassification,
  readClassificationDataset,
  readNerDataset,
  readQaDataset,
} from '../../src/trainer/data';
import { hfTinyDir } from './fixtures';

export interface TrainReference {
  batch: {
    shape: [number, number];
    input_ids: number[][];
    attention_mask: number[][];
    token_type_ids: number[][];
    labels?: number[][];
  };
  loss: number;
  losses: number[];
  loss_after_3: number;
  grad_global_l2_norms: number[];
  noise_sensitive_parameters: { name: string }[];
}

export const HEADS: Record<string, TrainableHead> = {
  'bert-seqcls': 'sequence-classification',
  'bert-ner': 'token-classification',
  'bert-qa': 'question-answering',
  'bert-mlm': 'masked-lm',
};

const flat = (rows: number[][]): BigInt64Array => BigInt64Array.from(rows.flat(), (v) => BigInt(v));

export async function datasetBatch(model: string): Promise<TrainingBatch> {
  const dir = hfTinyDir(model);
  const tokenizer = await BerthTokenizer.fromModelDir(dir);
  const { label2id } = labelMapFromId2Label(readConfig(join(dir, 'config.json')).id2label);
  const options = { batchSize: 4, shuffle: false };
  switch (model) {
    case 'bert-seqcls': {
      const dataset = await readClassificationDataset(join(dir, 'train.csv'));
      const prepared = await prepareClassification(dataset.examples, tokenizer, { maxLength: 128, label2id, file: 'train.csv' });
      return makeBatches(prepared.features, options)[0];
    }
    case 'bert-ner': {
      const dataset = await readNerDataset(join(dir, 'train.conll'));
      const prepared = await prepareTokenClassification(dataset.examples, tokenizer, { maxLength: 128, label2id, file: 'train.conll' });
      return makeBatches(prepared.features, options)[0];
    }
    case 'bert-qa': {
      const dataset = await readQaDataset(join(dir, 'train.json'));
      const features = await prepareQaTraining(dataset.examples, tokenizer, { maxLength: 384, docStride: 128, file: 'train.json' });
      return makeBatches(features, options)[0];
    }
    default: {
      // A real MLM trainer masks at random; the reference keeps its fixed, pre-masked batch.
      const b = (JSON.parse(readFileSync(join(dir, 'train_reference.json'), 'utf8')) as TrainReference).batch;
      return {
        size: b.shape[0],
        seqLength: b.shape[1],
        inputIds: flat(b.input_ids),
        attentionMask: flat(b.attention_mask),
        tokenTypeIds: flat(b.token_type_ids),
        labels: flat(b.labels!),
      };
    }
  }
}
