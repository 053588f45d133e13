import { describeWithFixtures } from '../helpers/fixtures';
import { describeExportParity, reportWorstAfterAll } from '../helpers/reference-parity';
import { describeTrainMethods, describeTrainParity } from '../helpers/train-reference';
import { describeServingParity } from '../helpers/serving-parity';

/**
 * RoBERTa against its PyTorch references (roberta-seqcls, roberta-ner): position ids counted from padding_idx + 1, no token_type_ids input, <pad> = 1, a dense/tanh/out_proj classifier.
 */
describeWithFixtures('RoBERTa (hf-tiny roberta-*)', () => {
  reportWorstAfterAll();
  describeExportParity(['roberta-seqcls', 'roberta-ner'], 'RoBERTa');
  describeServingParity('RoBERTa', { 'roberta-seqcls': 'classify', 'roberta-ner': 'ner' }, { model: 'roberta-seqcls', method: 'prompt' });
  describeTrainParity('roberta-seqcls', 'sequence-classification');
  describeTrainMethods('roberta-seqcls');
});
