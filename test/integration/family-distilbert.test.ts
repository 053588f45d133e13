import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, reportWorstAfterAll } from '../helpers/reference-parity';
import { describeTrainMethods, describeTrainParity } from '../helpers/train-reference';
import { describeServingParity } from '../helpers/serving-parity';

/**
 * DistilBERT against its PyTorch references (distilbert-seqcls, distilbert-qa): its own layer names, no token types, no pooler, a pre_classifier/ReLU head.
 */
describeWithFixtures('DistilBERT (hf-tiny distilbert-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['distilbert-seqcls', 'distilbert-qa'], 'DistilBERT');
  describeServingParity(
    'DistilBERT',
    { 'distilbert-seqcls': 'classify', 'distilbert-qa': 'qa' },
    { model: 'distilbert-seqcls', method: 'lora' },
  );
  describeTrainParity('distilbert-seqcls', 'sequence-classification');
  describeTrainMethods('distilbert-seqcls');
});
