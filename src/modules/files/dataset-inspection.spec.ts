import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guessTask } from './dataset-inspection';

describe('guessTask', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'berth-guess-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const guess = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return guessTask(join(dir, name), name);
  };

  it('takes a .txt file of prose as unlabeled text, and CoNLL columns or a tab-separated table in a .txt as labelled', async () => {
    expect(await guess('reviews.txt', 'A quiet, moving film.\nThe plot drags.\n')).toBe('text');
    expect(await guess('paras.text', '\n\nFirst paragraph, one line.\n\nSecond.\n')).toBe('text');
    expect(await guess('train.txt', 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n')).toBe('ner');
    expect(await guess('table.txt', 'sentence\tlabel\ngood film\t1\n')).toBe('classification');
    // Without the extension, a line of prose stays what it was before: classification (whose reader then explains).
    expect(await guess('reviews', 'A quiet, moving film.\n')).toBe('classification');
  });
});
