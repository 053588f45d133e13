import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, describeTrainParity, reportWorstAfterAll } from '../helpers/reference-parity';

/**
 * ELECTRA (discriminator) against its PyTorch references (electra-seqcls): embeddings of width embedding_size projected to hidden_size, an erf-GELU classification head.
 */
describeWithFixtures('ELECTRA (hf-tiny electra-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['electra-seqcls'], 'ELECTRA');
  describeTrainParity('electra-seqcls', 'sequence-classification');
});
