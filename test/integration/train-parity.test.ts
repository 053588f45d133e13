import { describeWithFixtures } from '../helpers/fixtures';
import { reportWorstAfterAll } from '../helpers/reference-parity';
import { BERT_TRAINING_HEADS, describeTrainParity } from '../helpers/train-reference';

/**
 * The training engine against the PyTorch training references of the BERT fixtures (the shared
 * checks are in test/helpers/reference-parity.ts; the other families have their own files).
 * Batches come from the dataset files through the trainer's data preparation; bert-mlm uses the
 * stored, pre-masked batch, as the fixtures README prescribes.
 */
describeWithFixtures('training engine: parity with the PyTorch training references', () => {
  reportWorstAfterAll();
  for (const [model, head] of Object.entries(BERT_TRAINING_HEADS)) describeTrainParity(model, head);
});
