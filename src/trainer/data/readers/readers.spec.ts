import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from '../errors';
import { readClassificationDataset } from './classification';
import { detectFormat } from './format';
import { readNerDataset } from './ner';
import { readQaDataset } from './qa';
import { MAX_TEXT_DOCUMENT_CHARS, readTextCorpus } from './text';
import { readDataset } from '.';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-readers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, 'utf8');
  return path;
}

/** The DatasetError a promise rejects with (fails the test when it resolves). */
async function datasetError(promise: Promise<unknown>): Promise<DatasetError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError, but reading succeeded');
}

describe('classification reader', () => {
  it('reads RFC 4180 CSV: quoted commas, doubled quotes, line breaks, CRLF and a BOM', async () => {
    const path = file('quoted.csv', '\ufefftext,target\r\n"a, b",pos\r\n"say ""hi""",neg\r\n"two\nlines",pos\r\n\r\nplain,neu\r\n');
    const dataset = await readClassificationDataset(path);
    expect(dataset.format).toBe('csv');
    expect(dataset.examples.map((e) => [e.text, e.label, e.line])).toEqual([
      ['a, b', 'pos', 2],
      ['say "hi"', 'neg', 3],
      ['two\nlines', 'pos', 4],
      ['plain', 'neu', 7],
    ]);
    expect(dataset.stats).toEqual({ rows: 4, labelCounts: { pos: 2, neg: 1, neu: 1 } });
  });

  it('reads GLUE TSV, trimming the space before the tab; numeric labels stay names', async () => {
    const path = file('glue.tsv', 'sentence\tlabel\nhide new secretions \t0\nit has "quotes" \t1\n');
    const dataset = await readClassificationDataset(path);
    expect(dataset.format).toBe('tsv');
    expect(dataset.columns).toEqual({ text: 'sentence', label: 'label' });
    expect(dataset.examples.map((e) => [e.text, e.label])).toEqual([
      ['hide new secretions', '0'],
      ['it has "quotes"', '1'],
    ]);
  });

  it('reads NLI JSON lines with premise / hypothesis / label, and integer labels as names', async () => {
    const path = file(
      'nli.jsonl',
      '{"premise": "A man.", "hypothesis": "A person.", "label": "entailment"}\n\n{"premise": "B.", "hypothesis": "C.", "label": 2}\n',
    );
    const dataset = await readClassificationDataset(path);
    expect(dataset.columns).toEqual({ text: 'premise', textPair: 'hypothesis', label: 'label' });
    expect(dataset.examples).toEqual([
      { text: 'A man.', textPair: 'A person.', label: 'entailment', line: 1 },
      { text: 'B.', textPair: 'C.', label: '2', line: 3 },
    ]);
  });

  it('follows an explicit column mapping', async () => {
    const path = file('mapped.csv', 'review,stars,other\ngood,5,x\n');
    const dataset = await readClassificationDataset(path, { textColumn: 'review', labelColumn: 'stars' });
    expect(dataset.examples).toEqual([{ text: 'good', label: '5', line: 2 }]);
  });

  it('sniffs the format when the extension says nothing', async () => {
    expect(await detectFormat(file('a.txt', 'text\ttarget\nx\ty\n'), 'classification')).toBe('tsv');
    expect(await detectFormat(file('b.data', 'text,target\nx,y\n'), 'classification')).toBe('csv');
    expect(await detectFormat(file('c.json', '{"text": "x", "target": "y"}\n'), 'classification')).toBe('jsonl');
    expect(await detectFormat(file('d.txt', 'EU B-ORG\nrejects O\n'), 'ner')).toBe('conll');
    expect(await detectFormat(file('e.json', '{"version": "v2.0",\n "data": []}'), 'qa')).toBe('squad-json');
  });

  describe('errors name the file, the line and the problem', () => {
    it('an unclosed quote: the record where it opened', async () => {
      const err = await datasetError(readClassificationDataset(file('unclosed.csv', 'text,target\nok,pos\n"broken,neg\nmore,pos\n')));
      expect(err.code).toBe('INVALID_DATASET');
      expect(err.line).toBe(3);
      expect(err.message).toMatch(/^unclosed\.csv: line 3: .*never closed/);
    });

    it('a stray quote inside an unquoted field', async () => {
      const err = await datasetError(readClassificationDataset(file('stray.csv', 'text,target\nok,pos\nsay "hi" now,neg\n')));
      expect(err.line).toBe(3);
      expect(err.message).toMatch(/^stray\.csv: line 3: a double quote inside an unquoted field/);
    });

    it('a row with too many fields', async () => {
      const err = await datasetError(readClassificationDataset(file('wide.csv', 'text,target\nok,pos\na,b,c\n')));
      expect(err.line).toBe(3);
      expect(err.problem).toMatch(/wrong number of fields \(3\)/);
    });

    it('a missing default column, listing the columns found', async () => {
      const err = await datasetError(readClassificationDataset(file('nolabel.csv', 'text,score\nok,1\n')));
      expect(err.line).toBe(1);
      expect(err.field).toBe('target');
      expect(err.message).toBe(
        'nolabel.csv: line 1, field "target": missing label column: expected one of "target", "label" (or set labelColumn); columns are "text", "score"',
      );
    });

    it('a missing mapped column', async () => {
      const err = await datasetError(readClassificationDataset(file('map.csv', 'text,target\nok,pos\n'), { textPairColumn: 'hyp' }));
      expect(err.message).toMatch(/^map\.csv: line 1, field "hyp": missing column "hyp" \(set as textPairColumn\)/);
    });

    it('a JSON-lines row without the column', async () => {
      const err = await datasetError(readClassificationDataset(file('gap.jsonl', '{"text": "a", "target": "x"}\n{"text": "b"}\n')));
      expect(err.line).toBe(2);
      expect(err.field).toBe('target');
    });

    it('a non-string label', async () => {
      const err = await datasetError(readClassificationDataset(file('bool.jsonl', '{"text": "a", "target": "x"}\n{"text": "b", "target": true}\n')));
      expect(err.message).toBe('bool.jsonl: line 2, field "target": label must be a string (or an integer), got boolean true');
      const fractional = await datasetError(readClassificationDataset(file('frac.jsonl', '{"text": "a", "target": 0.5}\n')));
      expect(fractional.line).toBe(1);
    });

    it('invalid JSON on a line', async () => {
      const err = await datasetError(readClassificationDataset(file('bad.jsonl', '{"text": "a", "target": "x"}\n{"text": "b", \n')));
      expect(err.line).toBe(2);
      expect(err.problem).toMatch(/^invalid JSON/);
    });

    it('an empty file, a blank file and a header alone', async () => {
      expect((await datasetError(readClassificationDataset(file('empty.csv', '')))).message).toBe('empty.csv: file is empty');
      expect((await datasetError(readClassificationDataset(file('blank.csv', '\n \n')))).problem).toMatch(/file is empty/);
      expect((await datasetError(readClassificationDataset(file('header.csv', 'text,target\n')))).problem).toBe('no rows (only a header)');
    });

    it('an empty text', async () => {
      const err = await datasetError(readClassificationDataset(file('blanktext.csv', 'text,target\n" ",pos\n')));
      expect([err.line, err.field, err.problem]).toEqual([2, 'text', 'text is empty']);
    });

    it('a TSV row with the wrong number of tabs', async () => {
      const err = await datasetError(readClassificationDataset(file('tabs.tsv', 'sentence\tlabel\na\t0\nb\t1\textra\n')));
      expect(err.line).toBe(3);
    });

    it('shows the upload name, not the server path', async () => {
      const err = await datasetError(readClassificationDataset(file('x1.csv', ''), { displayName: 'my-upload.csv' }));
      expect(err.message).toBe('my-upload.csv: file is empty');
    });
  });
});

describe('NER reader', () => {
  it('reads CoNLL: space or tab columns, tag last, -DOCSTART- skipped, whitespace-only lines separate', async () => {
    const path = file(
      'train.txt',
      '-DOCSTART- -X- O O\n\nEU NNP I-NP B-ORG\nrejects VBZ I-VP O\n\t\nPeter NNP I-NP B-PER\nBlackburn NNP I-NP I-PER\n\n\n-DOCSTART- -X- O O\nBRUSSELS\tB-LOC\n',
    );
    const dataset = await readNerDataset(path);
    expect(dataset.format).toBe('conll');
    expect(dataset.examples).toEqual([
      { tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], line: 3 },
      { tokens: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'], line: 6 },
      { tokens: ['BRUSSELS'], tags: ['B-LOC'], line: 11 },
    ]);
    expect(dataset.stats).toEqual({
      rows: 3,
      words: 5,
      tagCounts: { 'B-ORG': 1, O: 1, 'B-PER': 1, 'I-PER': 1, 'B-LOC': 1 },
      entityCounts: { ORG: 1, PER: 1, LOC: 1 },
    });
  });

  it('reads JSON lines {tokens, tags}', async () => {
    const dataset = await readNerDataset(file('ner.jsonl', '{"tokens": ["Zürich", "is"], "tags": ["B-LOC", "O"]}\n'));
    expect(dataset.examples).toEqual([{ tokens: ['Zürich', 'is'], tags: ['B-LOC', 'O'], line: 1 }]);
  });

  it('rejects a CoNLL line without a tag, naming its line', async () => {
    const err = await datasetError(readNerDataset(file('notag.conll', 'John\tB-PER\nSmith\n')));
    expect(err.message).toBe('notag.conll: line 2: "Smith" has no tag: each line needs a token and a tag (tab- or space-separated)');
  });

  it('rejects a last column that is not a tag (columns in the wrong order)', async () => {
    const err = await datasetError(readNerDataset(file('swapped.conll', 'B-PER John\n')));
    expect(err.line).toBe(1);
    expect(err.problem).toMatch(/"John" is not a tag/);
  });

  it('rejects tokens and tags of different lengths, and non-string tags', async () => {
    const err = await datasetError(readNerDataset(file('len.jsonl', '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": ["a", "b"], "tags": ["O"]}\n')));
    expect([err.line, err.field, err.problem]).toEqual([2, 'tags', '2 tokens but 1 tags']);
    const ints = await datasetError(readNerDataset(file('ints.jsonl', '{"tokens": ["a"], "tags": [0]}\n')));
    expect(ints.message).toBe('ints.jsonl: line 1, field "tags": item 0 must be a string, got number 0');
  });

  it('rejects a file with no sentences', async () => {
    const err = await datasetError(readNerDataset(file('docstart.conll', '-DOCSTART- -X- O O\n\n')));
    expect(err.problem).toBe('no sentences');
  });
});

describe('QA reader', () => {
  const squad = (qas: unknown[], context = 'John Smith works at Google in London.'): string =>
    JSON.stringify({ version: 'v2.0', data: [{ title: 'T', paragraphs: [{ context, qas }] }] }, null, 2);

  it('reads SQuAD v2.0 JSON, unanswerable questions included', async () => {
    const path = file(
      'squad.json',
      squad([
        { id: 'q1', question: 'Where?', answers: [{ text: 'Google', answer_start: 20 }], is_impossible: false },
        { id: 'q2', question: 'Why?', answers: [], is_impossible: true },
      ]),
    );
    const dataset = await readQaDataset(path);
    expect(dataset.format).toBe('squad-json');
    expect(dataset.version).toBe('v2.0');
    expect(dataset.examples.map((e) => [e.id, e.answers, e.isImpossible, e.title])).toEqual([
      ['q1', { text: ['Google'], answerStart: [20] }, false, 'T'],
      ['q2', { text: [], answerStart: [] }, true, 'T'],
    ]);
    expect(dataset.stats).toEqual({ rows: 2, answerable: 1, unanswerable: 1, contexts: 1 });
  });

  it('counts answer_start in code points, as SQuAD (Python) does', async () => {
    // "😀" is one code point but two UTF-16 units: "Google" starts at code point 4, JS index 5.
    const path = file('astral.jsonl', JSON.stringify({ id: 'e', context: 'A 😀 Google', question: 'Who?', answers: { text: ['Google'], answer_start: [5] } }) + '\n');
    const err = await datasetError(readQaDataset(path));
    expect(err.problem).toMatch(/answer_start 5 does not point at its answer "Google" \(the context has "oogle" there\)/);
    const ok = file('astral2.jsonl', JSON.stringify({ id: 'e', context: 'A 😀 Google', question: 'Who?', answers: { text: ['Google'], answer_start: [4] } }) + '\n');
    expect((await readQaDataset(ok)).examples[0].answers.answerStart).toEqual([4]);
  });

  it('rejects a SQuAD answer_start that misses its text, naming the question and its line', async () => {
    // Pretty-printed, the question's "id" is on line 11.
    const path = file('badstart.json', squad([{ id: 'q-bad', question: 'Where?', answers: [{ text: 'Google', answer_start: 21 }] }]));
    const err = await datasetError(readQaDataset(path));
    expect(err.message).toBe(
      'badstart.json: line 11, field "answer_start": question "q-bad": answer_start 21 does not point at its answer "Google" (the context has "oogle " there)',
    );
  });

  it('rejects a JSON-lines answer_start that misses its text, with the line', async () => {
    const rows = [
      { id: 'a', context: 'Tokyo is big.', question: 'What?', answers: { text: ['Tokyo'], answer_start: [0] } },
      { id: 'b', context: 'Tokyo is big.', question: 'What?', answers: { text: ['big'], answer_start: [2] } },
    ];
    const err = await datasetError(readQaDataset(file('bad.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n')));
    expect([err.line, err.field]).toEqual([2, 'answer_start']);
    expect(err.problem).toMatch(/^question "b": answer_start 2 does not point/);
  });

  it('accepts SQuAD-style answer lists in JSON lines', async () => {
    const row = { id: 'l', context: 'Tokyo is big.', question: 'What?', answers: [{ text: 'big', answer_start: 9 }] };
    const dataset = await readQaDataset(file('list.jsonl', JSON.stringify(row) + '\n'));
    expect(dataset.examples[0].answers).toEqual({ text: ['big'], answerStart: [9] });
  });

  it('rejects duplicate ids, malformed JSON and structural errors', async () => {
    const dup = file('dup.json', squad([
      { id: 'x', question: 'A?', answers: [] },
      { id: 'x', question: 'B?', answers: [] },
    ]));
    expect((await datasetError(readQaDataset(dup))).problem).toBe('question id "x" appears twice');
    const broken = await datasetError(readQaDataset(file('broken.json', '{"data": [\n  {"title": }\n]}')));
    expect(broken.problem).toMatch(/^invalid JSON/);
    const noData = await datasetError(readQaDataset(file('nodata.json', '{"version": "1.1"}')));
    expect(noData.problem).toBe('"data" must be an array, got undefined undefined');
  });
});

describe('text corpus reader', () => {
  it('reads one document per non-blank line, from a file or a directory in name order', async () => {
    const sub = join(dir, 'corpus');
    mkdirSync(sub);
    writeFileSync(join(sub, 'b.txt'), 'Second file.\n');
    writeFileSync(join(sub, 'a.txt'), 'First line.\n\n  Second line.  \n');
    writeFileSync(join(sub, 'ignored.md'), 'not text\n');
    const corpus = await readTextCorpus(sub);
    expect(corpus.documents).toEqual([
      { text: 'First line.', file: 'a.txt', line: 1 },
      { text: 'Second line.', file: 'a.txt', line: 3 },
      { text: 'Second file.', file: 'b.txt', line: 1 },
    ]);
    expect(corpus.stats).toEqual({ rows: 3, files: 2, characters: 35 });
    const dataset = await readDataset(join(sub, 'a.txt'), 'mlm');
    expect(dataset.task).toBe('mlm');
  });

  it('rejects an empty corpus', async () => {
    expect((await datasetError(readTextCorpus(file('empty.txt', '\n\n')))).problem).toMatch(/file is empty/);
  });

  it('reads documents separated by blank lines as paragraphs, their lines joined', async () => {
    const corpus = await readTextCorpus(file('paras.txt', 'First document,\nits second line.\n\n\nSecond document.\n  \nThird,\nin two lines.\n'));
    expect(corpus.documents).toEqual([
      { text: 'First document, its second line.', file: 'paras.txt', line: 1 },
      { text: 'Second document.', file: 'paras.txt', line: 5 },
      { text: 'Third, in two lines.', file: 'paras.txt', line: 7 },
    ]);
  });

  it('refuses binary content and a document over the limit, naming the line', async () => {
    const nul = await datasetError(readTextCorpus(file('nul.txt', 'fine text\nbad \u0000 byte\n')));
    expect({ line: nul.line, problem: nul.problem }).toEqual({ line: 2, problem: expect.stringMatching(/^binary content/) });
    writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect((await datasetError(readTextCorpus(join(dir, 'latin1.txt')))).line).toBe(2);
    const long = await datasetError(readTextCorpus(file('long.txt', `ok\n${'x'.repeat(MAX_TEXT_DOCUMENT_CHARS + 1)}\n`)));
    expect(long.line).toBe(2);
    expect(long.problem).toMatch(/over the limit of 1000000/);
    // A paragraph of lines each under the limit that together exceed it is named by its first line.
    const half = 'y'.repeat(MAX_TEXT_DOCUMENT_CHARS / 2 + 1);
    const joined = await datasetError(readTextCorpus(file('joined.txt', `a\n\n${half}\n${half}\n`)));
    expect(joined.line).toBe(3);
  });
});
