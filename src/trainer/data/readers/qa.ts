import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DatasetError } from '../errors';
import { DataTokenizer } from '../features';
import { type TokenLengthStats } from '../stats';
import { assertFormatForTask, DatasetFormat, detectFormat } from './format';
import { describeJson, parseJsonRecord, requireField, requireString } from './json-fields';
import { isBlank, readLines } from './lines';
import { measureTextLengths } from './token-lengths';

/** One question over one context. `answerStart` indexes the context in code points, as in SQuAD. */
export interface QaExample {
  id: string;
  question: string;
  context: string;
  answers: { text: string[]; answerStart: number[] };
  /** True when there is no answer (SQuAD v2 `is_impossible`, or no answers given). */
  isImpossible: boolean;
  title?: string;
  /** 1-based line (JSON lines) or the line of the question's id (SQuAD JSON), when known. */
  line?: number;
}

export interface QaReadOptions {
  displayName?: string;
  format?: DatasetFormat;
  /** When given, stats include token-length percentiles of question + context (before windowing). */
  tokenizer?: DataTokenizer;
}

export interface QaStats {
  rows: number;
  answerable: number;
  unanswerable: number;
  contexts: number;
  tokenLengths?: TokenLengthStats;
}

export interface QaDataset {
  file: string;
  format: DatasetFormat;
  /** The `version` field of a SQuAD file ("1.1", "v2.0"), when present. */
  version?: string;
  examples: QaExample[];
  stats: QaStats;
}

/** Length of a string in code points, the unit of SQuAD's `answer_start`. */
function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The context's code points [start, start + length), joined; fast path for contexts without astral characters. */
function sliceCodePoints(context: string, start: number, length: number): string {
  if (context.length === codePointLength(context)) return context.slice(start, start + length);
  return Array.from(context).slice(start, start + length).join('');
}

/** Checks that every answer's start points at its text: the commonest corruption of QA data. */
function checkAnswers(example: QaExample, file: string, line: number | undefined): void {
  const { text, answerStart } = example.answers;
  text.forEach((answer, i) => {
    const start = answerStart[i];
    const label = `question "${example.id}"`;
    if (!Number.isInteger(start) || start < 0) {
      throw new DatasetError(file, `${label}: answer_start must be a non-negative integer, got ${describeJson(start)}`, line, 'answer_start');
    }
    if (answer === '') throw new DatasetError(file, `${label}: answer ${i} is empty`, line, 'answers');
    const found = sliceCodePoints(example.context, start, codePointLength(answer));
    if (found !== answer) {
      throw new DatasetError(
        file,
        `${label}: answer_start ${start} does not point at its answer ${JSON.stringify(answer)} (the context has ${JSON.stringify(found)} there)`,
        line,
        'answer_start',
      );
    }
  });
}

/** Question ids are strings; integer ids (some exports) become their decimal string. */
function questionId(value: unknown, file: string, line: number | undefined): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw new DatasetError(file, `question id must be a non-empty string, got ${describeJson(value)}`, line, 'id');
}

async function* jsonlQuestions(path: string, file: string): AsyncGenerator<QaExample> {
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    const at = { file, line };
    const record = parseJsonRecord(text, at);
    const id = questionId(requireField(record, 'id', at), file, line);
    const question = requireString(record, 'question', at);
    const context = requireString(record, 'context', at);
    let answers = requireField(record, 'answers', at);
    // SQuAD-style answer lists ([{text, answer_start}]) are accepted too, and turned into HF's layout.
    if (Array.isArray(answers) && answers.every((a) => a !== null && typeof a === 'object' && !Array.isArray(a))) {
      const list = answers as Array<Record<string, unknown>>;
      answers = { text: list.map((a) => a.text), answer_start: list.map((a) => a.answer_start) };
    }
    if (answers === null || typeof answers !== 'object' || Array.isArray(answers)) {
      throw new DatasetError(file, `question "${id}": answers must be an object {text: [...], answer_start: [...]}, got ${describeJson(answers)}`, line, 'answers');
    }
    const texts = (answers as Record<string, unknown>).text;
    const starts = (answers as Record<string, unknown>).answer_start;
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) {
      throw new DatasetError(file, `question "${id}": answers.text must be an array of strings`, line, 'answers.text');
    }
    if (!Array.isArray(starts) || starts.length !== texts.length) {
      throw new DatasetError(file, `question "${id}": answers.answer_start must be an array as long as answers.text`, line, 'answers.answer_start');
    }
    const example: QaExample = {
      id,
      question,
      context,
      answers: { text: texts as string[], answerStart: starts as number[] },
      isImpossible: texts.length === 0,
      line,
    };
    if (typeof record.title === 'string') example.title = record.title;
    checkQuestion(example, file, line);
    yield example;
  }
}

function checkQuestion(example: QaExample, file: string, line: number | undefined): void {
  if (example.question.trim() === '') throw new DatasetError(file, `question "${example.id}": question is empty`, line, 'question');
  if (example.context.trim() === '') throw new DatasetError(file, `question "${example.id}": context is empty`, line, 'context');
  checkAnswers(example, file, line);
}

/** Line of a question id in a SQuAD file's text, for error messages only (computed on failure). */
function lineOfId(raw: string, id: string): number | undefined {
  const key = raw.search(new RegExp(`"id"\\s*:\\s*${JSON.stringify(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  if (key < 0) return undefined;
  let line = 1;
  for (let i = 0; i < key; i++) if (raw.charCodeAt(i) === 10) line++;
  return line;
}

function jsonErrorLine(raw: string, message: string): number | undefined {
  const match = /position (\d+)/.exec(message);
  if (!match) return undefined;
  let line = 1;
  const end = Math.min(Number(match[1]), raw.length);
  for (let i = 0; i < end; i++) if (raw.charCodeAt(i) === 10) line++;
  return line;
}

function asArray(value: unknown, file: string, what: string, line?: number): unknown[] {
  if (!Array.isArray(value)) throw new DatasetError(file, `${what} must be an array, got ${describeJson(value)}`, line);
  return value;
}

function asObject(value: unknown, file: string, what: string, line?: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DatasetError(file, `${what} must be an object, got ${describeJson(value)}`, line);
  }
  return value as Record<string, unknown>;
}

/**
 * SQuAD JSON is one document, so it is parsed whole (SQuAD v2's train set is 40 MB); every
 * question is then validated, and errors point at the line of the question's id.
 */
async function readSquadJson(path: string, file: string): Promise<{ version?: string; examples: QaExample[] }> {
  const raw = (await readFile(path, 'utf8')).replace(/^\ufeff/, '');
  let document: unknown;
  try {
    document = JSON.parse(raw);
  } catch (err) {
    const message = (err as Error).message;
    throw new DatasetError(file, `invalid JSON (${message})`, jsonErrorLine(raw, message));
  }
  const root = asObject(document, file, 'the document');
  const data = asArray(root.data, file, '"data"');
  const examples: QaExample[] = [];
  data.forEach((article, a) => {
    const articleObject = asObject(article, file, `data[${a}]`);
    const title = typeof articleObject.title === 'string' ? articleObject.title : undefined;
    asArray(articleObject.paragraphs, file, `data[${a}].paragraphs`).forEach((paragraph, p) => {
      const where = `data[${a}].paragraphs[${p}]`;
      const paragraphObject = asObject(paragraph, file, where);
      const context = paragraphObject.context;
      if (typeof context !== 'string') throw new DatasetError(file, `${where}.context must be a string, got ${describeJson(context)}`);
      asArray(paragraphObject.qas, file, `${where}.qas`).forEach((qa, q) => {
        const qaObject = asObject(qa, file, `${where}.qas[${q}]`);
        const id = questionId(qaObject.id, file, undefined);
        const line = (): number | undefined => lineOfId(raw, id);
        const fail = (problem: string, field?: string): never => {
          throw new DatasetError(file, `question "${id}": ${problem}`, line(), field);
        };
        if (typeof qaObject.question !== 'string') fail(`question must be a string, got ${describeJson(qaObject.question)}`, 'question');
        const answers = Array.isArray(qaObject.answers) ? qaObject.answers : fail('answers must be an array', 'answers');
        const text: string[] = [];
        const answerStart: number[] = [];
        answers.forEach((answer, k) => {
          const answerObject = answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? (answer as Record<string, unknown>) : fail(`answers[${k}] must be an object`, 'answers');
          if (typeof answerObject.text !== 'string') fail(`answers[${k}].text must be a string`, 'answers');
          text.push(answerObject.text as string);
          answerStart.push(answerObject.answer_start as number);
        });
        const impossible = qaObject.is_impossible === true || text.length === 0;
        if (qaObject.is_impossible === true && text.length > 0) {
          fail('is_impossible is true but answers are given (plausible answers belong in "plausible_answers")', 'answers');
        }
        const example: QaExample = { id, question: qaObject.question as string, context, answers: { text, answerStart }, isImpossible: impossible };
        if (title !== undefined) example.title = title;
        try {
          checkQuestion(example, file, undefined);
        } catch (err) {
          if (err instanceof DatasetError) throw new DatasetError(file, err.problem, line(), err.field);
          throw err;
        }
        examples.push(example);
      });
    });
  });
  return { version: typeof root.version === 'string' ? root.version : undefined, examples };
}

/** Reads a QA dataset: SQuAD v1.1/v2.0 JSON, or JSON lines in the Hugging Face `squad` layout. */
export async function readQaDataset(path: string, options: QaReadOptions = {}): Promise<QaDataset> {
  const file = options.displayName ?? basename(path);
  const format = options.format ?? (await detectFormat(path, 'qa', file));
  assertFormatForTask(format, 'qa', file);
  let version: string | undefined;
  let examples: QaExample[] = [];
  if (format === 'squad-json') {
    ({ version, examples } = await readSquadJson(path, file));
  } else {
    for await (const example of jsonlQuestions(path, file)) examples.push(example);
  }
  if (examples.length === 0) throw new DatasetError(file, 'no questions');
  const seen = new Map<string, QaExample>();
  for (const e of examples) {
    if (seen.has(e.id)) throw new DatasetError(file, `question id "${e.id}" appears twice`, e.line, 'id');
    seen.set(e.id, e);
  }
  const answerable = examples.filter((e) => !e.isImpossible).length;
  const dataset: QaDataset = {
    file,
    format,
    examples,
    stats: {
      rows: examples.length,
      answerable,
      unanswerable: examples.length - answerable,
      contexts: new Set(examples.map((e) => e.context)).size,
    },
  };
  if (version !== undefined) dataset.version = version;
  if (options.tokenizer) {
    dataset.stats.tokenLengths = await measureTextLengths(
      examples.map((e): [string, string] => [e.question.trimStart(), e.context]),
      options.tokenizer,
    );
  }
  return dataset;
}
