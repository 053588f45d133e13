import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, describeTrainParity, reportWorstAfterAll } from '../helpers/reference-parity';

/**
 * ALBERT against its PyTorch references (albert-seqcls, albert-mlm): factorised embeddings, one
 * layer's weights applied at both depths (its gradient the sum of both uses), gelu_new.
 */
describeWithFixtures('ALBERT (hf-tiny albert-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['albert-seqcls', 'albert-mlm'], 'ALBERT');
  describeTrainParity('albert-seqcls', 'sequence-classification');
});
