/**
 * Pre-training objectives and Hugging Face layouts: a BertForPreTraining checkpoint
 * (`bert-pretraining`, HF's names) continues pre-training under `mlm+nsp` with its own heads and
 * comes out with exactly its tensor names and architecture, and so does an AlbertForPreTraining
 * one (`albert-pretraining`) under `mlm+sop`; the heads another objective adds are
 * initialised, kept under their names, and a task model can still be made from the result.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../src/engine/formats/config';
import { readSafetensors } from '../../src/engine/formats/safetensors';
import { withPretrainingHeads } from '../../src/engine/init';
import { BerthTokenizer } from '../../src/tokenizer/tokenizer';
import { newHeadModelDir } from '../../src/trainer/new-head';
import { tokenizeCorpus } from '../../src/trainer/pretrain/corpus';
import { PRETRAIN_DEFAULTS, PretrainOptions, pretrain } from '../../src/trainer/pretrain/pretrain';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

const CORPUS = join(__dirname, '..', '..', 'assets', 'tiny-tokenizer', 'corpus.txt');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-objectives-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function options(modelDir: string, outDir: string, over: Partial<PretrainOptions>): PretrainOptions {
  return {
    ...PRETRAIN_DEFAULTS,
    modelDir,
    dataPath: CORPUS,
    outDir,
    maxSeqLength: 32,
    batchSize: 4,
    steps: 2,
    threads: 1,
    ...over,
  };
}

describe('the corpus with a real tokenizer', () => {
  it('the stream is each line tokenized whole; sentences start where ICU puts them; blank lines separate documents', async () => {
    const tokenizer = await BerthTokenizer.fromModelDir(join(__dirname, '..', '..', 'models', 'berth-mini'));
    const lines = ['It was late. "Go home," she said! Why?', 'A second paragraph.', 'Another book.'];
    const file = join(work, 'books.txt');
    writeFileSync(file, `${lines[0]}\n${lines[1]}\n\n${lines[2]}\n`);
    const corpus = await tokenizeCorpus([file], tokenizer);
    const direct = await tokenizer.encodeBatch(lines, { addSpecialTokens: false, truncation: false });
    expect([...corpus.ids]).toEqual(direct.flatMap(([e]) => [...e.ids, tokenizer.specialIds.sep]));
    expect(corpus.documents).toBe(2);
    // "It was late." | "\"Go home,\" she said!" | "Why?" || "A second paragraph." ||| "Another book."
    expect([...corpus.documentSentences]).toEqual([0, 4, 5]);
    const first = direct[0][0];
    const startOf = (charStart: number): number => first.offsets.findIndex(([a]) => a >= charStart);
    expect([...corpus.sentenceStarts].slice(0, 3)).toEqual([0, startOf(13), startOf(34)]);
    expect(corpus.sentenceEnds[2]).toBe(first.ids.length);
    expect(corpus.sentenceStarts[3]).toBe(first.ids.length + 1);
  });
});

describeWithFixtures('pre-training objectives: Hugging Face layouts', () => {
  const fixture = hfTinyDir('bert-pretraining');

  it('the BertForPreTraining heads are read, not re-initialised, and written back under the same names', async () => {
    const weights = readSafetensors(join(fixture, 'model.safetensors'));
    const config = readConfig(join(fixture, 'config.json'));
    const completed = withPretrainingHeads(config, weights, { sentence: 'nsp' }, 1);
    expect([...completed.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, t] of weights) expect(completed.get(name)).toBe(t);

    const out = join(work, 'nsp');
    await pretrain(options(fixture, out, { objective: 'mlm+nsp' }));
    const saved = readSafetensors(join(out, 'model', 'model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...weights.keys()].sort());
    expect(readConfig(join(out, 'model', 'config.json')).architectures).toEqual(['BertForPreTraining']);
    // Trained: the NSP classifier moved from the fixture's values.
    expect(saved.get('cls.seq_relationship.weight')!.data).not.toEqual(weights.get('cls.seq_relationship.weight')!.data);
  });

  it('an AlbertForPreTraining checkpoint continues under mlm+sop with its own heads and the same names', async () => {
    const albert = hfTinyDir('albert-pretraining');
    const weights = readSafetensors(join(albert, 'model.safetensors'));
    const out = join(work, 'albert-sop');
    await pretrain(options(albert, out, { objective: 'mlm+sop' }));
    const saved = readSafetensors(join(out, 'model', 'model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...weights.keys()].sort());
    expect(readConfig(join(out, 'model', 'config.json')).architectures).toEqual(['AlbertForPreTraining']);
    expect(saved.get('sop_classifier.classifier.weight')!.data).not.toEqual(weights.get('sop_classifier.classifier.weight')!.data);
    expect(saved.get('albert.pooler.weight')!.data).not.toEqual(weights.get('albert.pooler.weight')!.data);
  });

  it('SOP on a BertForPreTraining checkpoint adds ALBERT’s sop_classifier and keeps the NSP head it does not train; a task model drops the pre-training heads', async () => {
    const out = join(work, 'sop');
    await pretrain(options(fixture, out, { objective: 'mlm+sop' }));
    const saved = readSafetensors(join(out, 'model', 'model.safetensors'));
    const before = new Set(readSafetensors(join(fixture, 'model.safetensors')).keys());
    expect([...saved.keys()].filter((n) => !before.has(n)).sort()).toEqual([
      'sop_classifier.classifier.bias',
      'sop_classifier.classifier.weight',
    ]);
    const task = newHeadModelDir({
      modelDir: join(out, 'model'),
      task: 'classification',
      labels: ['a', 'b'],
      outDir: join(work, 'task'),
      seed: 1,
    });
    expect(task.dropped.sort()).toEqual(
      [
        'cls.predictions.bias',
        'cls.predictions.transform.LayerNorm.bias',
        'cls.predictions.transform.LayerNorm.weight',
        'cls.predictions.transform.dense.bias',
        'cls.predictions.transform.dense.weight',
        'cls.seq_relationship.bias',
        'cls.seq_relationship.weight',
        'sop_classifier.classifier.bias',
        'sop_classifier.classifier.weight',
      ].sort(),
    );
    // The pre-trained pooler is kept, not re-initialised.
    expect(task.kept).toContain('bert.pooler.dense.weight');
    const config = JSON.parse(readFileSync(join(work, 'task', 'config.json'), 'utf8')) as { architectures: string[] };
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
  });
});
