import { TrainableHead } from '../../src/engine/training';
import { describeWithFixtures } from '../helpers/fixtures';
import { reportWorstAfterAll } from '../helpers/reference-parity';
import { describeTrainParity } from '../helpers/train-reference';

/**
 * The training engine against the PyTorch training references of the BERT fixtures (the shared
 * checks are in test/helpers/reference-parity.ts; the other families have their own files).
 * Batches come from the dataset files through the trainer's data preparation; bert-mlm uses the
 * stored, pre-masked batch, as the fixtures README prescribes.
 */
const HEADS: Record<string, TrainableHead> = {
  'bert-seqcls': 'sequence-classification',
  'bert-ner': 'token-classification',
  'bert-qa': 'question-answering',
  'bert-mlm': 'masked-lm',
};

describeWithFixtures('training engine: parity with the PyTorch training references', () => {
  reportWorstAfterAll();
  for (const [model, head] of Object.entries(HEADS)) describeTrainParity(model, head);
});
