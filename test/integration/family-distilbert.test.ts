import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, describeTrainParity, reportWorstAfterAll } from '../helpers/reference-parity';

/**
 * DistilBERT against its PyTorch references (distilbert-seqcls, distilbert-qa): its own layer names, no token types, no pooler, a pre_classifier/ReLU head.
 */
describeWithFixtures('DistilBERT (hf-tiny distilbert-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['distilbert-seqcls', 'distilbert-qa'], 'DistilBERT');
  describeTrainParity('distilbert-seqcls', 'sequence-classification');
});
