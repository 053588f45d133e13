import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import {
  Batch,
  IGNORE_INDEX,
  labelMapFromId2Label,
  makeBatches,
  prepareClassification,
  prepareMlm,
  prepareQaTraining,
  prepareTokenClassification,
  readClassificationDataset,
  readNerDataset,
  readQaDataset,
  readTextCorpus,
} from '../../src/trainer/data';
import { describeWithFixtures, hfTinyDir, sharedDataRoot } from '../helpers/fixtures';

/** The stored training batch of a fixture (train_reference.json), the yardstick for data preparation. */
interface ReferenceBatch {
  shape: [number, number];
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  labels?: number[] | number[][];
  start_positions?: number[];
  end_positions?: number[];
}

function referenceBatch(model: string): ReferenceBatch {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'train_reference.json'), 'utf8')).batch as ReferenceBatch;
}

function label2idOf(model: string): Record<string, number> {
  const config = JSON.parse(readFileSync(join(hfTinyDir(model), 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  return labelMapFromId2Label(config.id2label).label2id;
}

/** A flat [rows, cols] typed array back to nested numbers, for comparison with the JSON reference. */
function rows(data: BigInt64Array, shape: readonly number[]): number[][] {
  const [n, cols] = shape.length === 1 ? [shape[0], 1] : shape;
  return Array.from({ length: n }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols), Number));
}

function expectInputsMatch(batch: Batch, reference: ReferenceBatch): void {
  expect([batch.size, batch.seqLength]).toEqual(reference.shape);
  expect(rows(batch.inputIds, reference.shape)).toEqual(reference.input_ids);
  expect(rows(batch.attentionMask, reference.shape)).toEqual(reference.attention_mask);
  expect(rows(batch.tokenTypeIds, reference.shape)).toEqual(reference.token_type_ids);
}

describeWithFixtures('trainer data: dataset files reproduce the fixtures’ training batches', () => {
  const tokenizers = new Map<string, Promise<BerthTokenizer>>();
  const tokenizer = (model: string): Promise<BerthTokenizer> => {
    if (!tokenizers.has(model)) tokenizers.set(model, BerthTokenizer.fromModelDir(hfTinyDir(model)));
    return tokenizers.get(model)!;
  };
  const options = { batchSize: 4, shuffle: false };

  it.each(['train.csv', 'train.jsonl'])('bert-seqcls/%s → input ids, masks, type ids and labels', async (file) => {
    const reference = referenceBatch('bert-seqcls');
    const dataset = await readClassificationDataset(join(hfTinyDir('bert-seqcls'), file));
    expect(dataset.stats.rows).toBe(4);
    expect(dataset.stats.labelCounts).toEqual({ positive: 2, negative: 1, neutral: 1 });
    const prepared = await prepareClassification(dataset.examples, await tokenizer('bert-seqcls'), {
      maxLength: 128,
      label2id: label2idOf('bert-seqcls'),
      file,
    });
    expect(prepared.truncated).toBe(0);
    const batches = makeBatches(prepared.features, options);
    expect(batches).toHaveLength(1);
    expectInputsMatch(batches[0], reference);
    expect(batches[0].labelShape).toEqual([4]);
    expect(Array.from(batches[0].labels!, Number)).toEqual(reference.labels);
  });

  it.each(['train.jsonl', 'train.conll'])('bert-ner/%s → every sub-word labelled, specials and padding −100', async (file) => {
    const reference = referenceBatch('bert-ner');
    const dataset = await readNerDataset(join(hfTinyDir('bert-ner'), file));
    expect(dataset.stats.rows).toBe(4);
    const prepared = await prepareTokenClassification(dataset.examples, await tokenizer('bert-ner'), {
      maxLength: 128,
      label2id: label2idOf('bert-ner'),
      file,
    });
    const [batch] = makeBatches(prepared.features, options);
    expectInputsMatch(batch, reference);
    expect(batch.labelShape).toEqual(reference.shape);
    expect(rows(batch.labels!, reference.shape)).toEqual(reference.labels);
    expect(rows(batch.labels!, reference.shape)[0].slice(-1)[0]).toBe(IGNORE_INDEX);
  });

  it.each(['train.json', 'train.jsonl'])('bert-qa/%s → start and end positions by the run_qa.py rule', async (file) => {
    const reference = referenceBatch('bert-qa');
    const dataset = await readQaDataset(join(hfTinyDir('bert-qa'), file));
    expect(dataset.stats).toMatchObject({ rows: 4, answerable: 3, unanswerable: 1 });
    const features = await prepareQaTraining(dataset.examples, await tokenizer('bert-qa'), { maxLength: 384, docStride: 128, file });
    expect(features).toHaveLength(4); // short contexts: one window per question
    const [batch] = makeBatches(features, options);
    expectInputsMatch(batch, reference);
    expect(Array.from(batch.startPositions!, Number)).toEqual(reference.start_positions);
    expect(Array.from(batch.endPositions!, Number)).toEqual(reference.end_positions);
  });

  it('bert-mlm/corpus.txt → the reference batch before its fixed masking', async () => {
    const reference = referenceBatch('bert-mlm');
    const corpus = await readTextCorpus(join(hfTinyDir('bert-mlm'), 'corpus.txt'));
    const prepared = await prepareMlm(
      corpus.documents.map((d) => d.text),
      await tokenizer('bert-mlm'),
      { maxLength: 128 },
    );
    const [batch] = makeBatches(prepared.features, options);
    expect(rows(batch.attentionMask, reference.shape)).toEqual(reference.attention_mask);
    // The reference replaced its labelled positions; everywhere else it is the plain tokenization,
    // and at the labelled positions its labels are the original ids.
    const ids = rows(batch.inputIds, reference.shape);
    const labels = reference.labels as number[][];
    ids.forEach((row, b) =>
      row.forEach((id, t) => expect(labels[b][t] === IGNORE_INDEX ? reference.input_ids[b][t] : labels[b][t]).toBe(id)),
    );
  });

  it('reports token-length percentiles when given a tokenizer', async () => {
    const dataset = await readClassificationDataset(join(hfTinyDir('bert-seqcls'), 'train.csv'), {
      tokenizer: await tokenizer('bert-seqcls'),
    });
    // Unpadded lengths are the attention-mask sums of the reference batch.
    const lengths = referenceBatch('bert-seqcls')
      .attention_mask.map((m) => m.reduce((a, b) => a + b, 0))
      .sort((a, b) => a - b);
    expect(dataset.stats.tokenLengths).toMatchObject({ count: 4, p50: lengths[1], max: lengths[3] });
  });
});

/**
 * A development check on real public datasets (not unit tests): reads them fully and prints rows,
 * stats and time. Skipped when the shared data folder is absent.
 */
const dataRoot = sharedDataRoot();
const realData = {
  sst2: join(dataRoot, 'sentiment', 'sst2', 'train.tsv'),
  conll: join(dataRoot, 'ner', 'conll2003', 'train.txt'),
  squad: join(dataRoot, 'qa', 'squad11', 'train.json'),
};
const haveRealData = Object.values(realData).every((p) => existsSync(p));
(haveRealData ? describe : describe.skip)('trainer data: real datasets read fully (smoke)', () => {
  const timed = async <T>(name: string, read: () => Promise<T>, summary: (value: T) => unknown): Promise<T> => {
    const start = performance.now();
    const value = await read();

    console.log(`${name}: ${JSON.stringify(summary(value))} in ${((performance.now() - start) / 1000).toFixed(2)} s`);
    return value;
  };

  it('SST-2 train.tsv', async () => {
    const dataset = await timed(
      'sst2/train.tsv',
      () => readClassificationDataset(realData.sst2),
      (d) => d.stats,
    );
    expect(dataset.format).toBe('tsv');
    expect(dataset.columns).toEqual({ text: 'sentence', label: 'label' });
    // MANIFEST.md: 67,349 rows, 29,780 negative (0) and 37,569 positive (1).
    expect(dataset.stats).toEqual({ rows: 67349, labelCounts: { '0': 29780, '1': 37569 } });
    expect(dataset.examples[0].text).toBe('hide new secretions from the parental units');
  });

  it('CoNLL-2003 train.txt', async () => {
    const dataset = await timed(
      'conll2003/train.txt',
      () => readNerDataset(realData.conll),
      (d) => d.stats,
    );
    expect(dataset.format).toBe('conll');
    // MANIFEST.md: 14,041 sentences and 23,499 entities.
    expect(dataset.stats.rows).toBe(14041);
    expect(Object.values(dataset.stats.entityCounts).reduce((a, b) => a + b, 0)).toBe(23499);
  });

  it('SQuAD v1.1 train.json', async () => {
    const dataset = await timed(
      'squad11/train.json',
      () => readQaDataset(realData.squad),
      (d) => ({ version: d.version, ...d.stats }),
    );
    expect(dataset.format).toBe('squad-json');
    // MANIFEST.md: 7,732 questions, all answerable.
    expect(dataset.stats).toMatchObject({ rows: 7732, answerable: 7732, unanswerable: 0 });
  });
});
