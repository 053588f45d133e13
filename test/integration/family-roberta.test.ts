import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, describeTrainParity, reportWorstAfterAll } from '../helpers/reference-parity';

/**
 * RoBERTa against its PyTorch references (roberta-seqcls, roberta-ner): position ids counted from padding_idx + 1, no token_type_ids input, <pad> = 1, a dense/tanh/out_proj classifier.
 */
describeWithFixtures('RoBERTa (hf-tiny roberta-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['roberta-seqcls', 'roberta-ner'], 'RoBERTa');
  describeTrainParity('roberta-seqcls', 'sequence-classification');
});
