import { decodeModel } from '../../src/engine/onnx/decode';
import { encodeModel } from '../../src/engine/onnx/encode';
import { buildModelFromDir } from '../../src/engine/nn/export';
import { HF_TINY_MODELS, describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { describeExportParity, reportWorstAfterAll } from '../helpers/reference-parity';

describeWithFixtures('berth export: parity with the PyTorch reference (hf-tiny)', () => {
  reportWorstAfterAll();
  describeExportParity(HF_TINY_MODELS, 'BERT');

  it('stores the MLM decoder tied: the word embedding table is in the file once', () => {
    const graph = decodeModel(encodeModel(buildModelFromDir(hfTinyDir('bert-mlm')))).graph;
    const tables = graph.initializers.filter((t) => t.dims.includes(30522) && t.dims.length === 2);
    expect(tables.map((t) => t.name)).toEqual(['bert.embeddings.word_embeddings.weight']);
  });
});
