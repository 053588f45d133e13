import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, reportWorstAfterAll } from '../helpers/reference-parity';
import { describeTrainMethods, describeTrainParity } from '../helpers/train-reference';
import { describeServingParity } from '../helpers/serving-parity';

/**
 * ELECTRA (discriminator) against its PyTorch references (electra-seqcls): embeddings of width embedding_size projected to hidden_size, an erf-GELU classification head.
 */
describeWithFixtures('ELECTRA (hf-tiny electra-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['electra-seqcls'], 'ELECTRA');
  describeServingParity('ELECTRA', { 'electra-seqcls': 'classify' }, { model: 'electra-seqcls', method: 'full' });
  describeTrainParity('electra-seqcls', 'sequence-classification');
  describeTrainMethods('electra-seqcls');
});
