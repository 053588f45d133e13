import { basename } from 'node:path';
import { DatasetError } from '../errors';
import { DataTokenizer } from '../features';
import { countValues, TokenLengthStats } from '../stats';
import { assertFormatForTask, DatasetFormat, detectFormat } from './format';
import { describeJson, labelName, parseJsonRecord, requireField } from './json-fields';
import { isBlank, readLines } from './lines';
import { readCsvRecords, readTsvRecords } from './tabular';
import { measureTextLengths } from './token-lengths';

/** One row of a classification or NLI (sentence-pair) dataset. */
export interface ClassificationExample {
  text: string;
  /** The second sentence of a pair (NLI hypothesis), when the dataset has one. */
  textPair?: string;
  /** The label's name as written in the file; integers are read as their decimal name ("0"). */
  label: string;
  /** 1-based line the row starts on, for later errors (an unknown label, say). */
  line: number;
}

/** Column mapping, as AutoTrain names it. Unset columns fall back to the accepted defaults. */
export interface ClassificationColumns {
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
}

export interface ClassificationReadOptions extends ClassificationColumns {
  /** The name shown in errors (an upload's original filename); defaults to the file's basename. */
  displayName?: string;
  /** Skip detection and read the file as this format. */
  format?: DatasetFormat;
  /** When given, stats include token-length percentiles. */
  tokenizer?: DataTokenizer;
}

export interface ClassificationStats {
  rows: number;
  /** Rows per label, in order of first appearance. */
  labelCounts: Record<string, number>;
  /** Tokens per row (special tokens included, before truncation), when a tokenizer was given. */
  tokenLengths?: TokenLengthStats;
}

export interface ClassificationDataset {
  file: string;
  format: DatasetFormat;
  /** The columns actually used. */
  columns: { text: string; textPair?: string; label: string };
  examples: ClassificationExample[];
  stats: ClassificationStats;
}

/** Default column names, in order of preference (AutoTrain first, then GLUE and NLI layouts). */
export const DEFAULT_TEXT_COLUMNS = ['text', 'sentence', 'premise', 'sentence1'] as const;
export const DEFAULT_TEXT_PAIR_COLUMNS = ['text_pair', 'hypothesis', 'sentence2'] as const;
export const DEFAULT_LABEL_COLUMNS = ['target', 'label'] as const;

function resolveColumns(
  available: readonly string[],
  options: ClassificationColumns,
  file: string,
  line: number,
): { text: string; textPair?: string; label: string } {
  const listed = available.map((c) => `"${c}"`).join(', ');
  const pick = (explicit: string | undefined, defaults: readonly string[], role: string, option: string, required: boolean): string | undefined => {
    if (explicit !== undefined) {
      if (!available.includes(explicit)) {
        throw new DatasetError(file, `missing column "${explicit}" (set as ${option}); columns are ${listed}`, line, explicit);
      }
      return explicit;
    }
    const found = defaults.find((c) => available.includes(c));
    if (found === undefined && required) {
      throw new DatasetError(
        file,
        `missing ${role} column: expected one of ${defaults.map((c) => `"${c}"`).join(', ')} (or set ${option}); columns are ${listed}`,
        line,
        defaults[0],
      );
    }
    return found;
  };
  const text = pick(options.textColumn, DEFAULT_TEXT_COLUMNS, 'text', 'textColumn', true)!;
  const textPair = pick(options.textPairColumn, DEFAULT_TEXT_PAIR_COLUMNS, 'text pair', 'textPairColumn', false);
  const label = pick(options.labelColumn, DEFAULT_LABEL_COLUMNS, 'label', 'labelColumn', true)!;
  const used = [text, textPair, label].filter((c): c is string => c !== undefined);
  if (new Set(used).size !== used.length) {
    throw new DatasetError(file, `the same column is mapped twice (${used.join(', ')})`, line);
  }
  return textPair === undefined ? { text, label } : { text, textPair, label };
}

function requireText(value: unknown, file: string, line: number, column: string): string {
  if (typeof value !== 'string') {
    throw new DatasetError(file, `text must be a string, got ${describeJson(value)}`, line, column);
  }
  if (value.trim() === '') throw new DatasetError(file, 'text is empty', line, column);
  return value;
}

/** A row as named values, whatever the file format. */
interface RawRow {
  get(column: string): unknown;
  line: number;
}

/** The column names: a CSV/TSV header, or the keys of the first JSON-lines record. */
interface HeaderRow {
  header: string[];
  line: number;
}

async function* tabularRows(
  records: AsyncGenerator<{ values: string[]; line: number }>,
  file: string,
): AsyncGenerator<RawRow | HeaderRow> {
  let header: string[] | undefined;
  let index = new Map<string, number>();
  for await (const { values, line } of records) {
    if (header === undefined) {
      header = values.map((v) => v.trim());
      const duplicate = header.find((h, i) => header!.indexOf(h) !== i);
      if (duplicate !== undefined) throw new DatasetError(file, `duplicate column "${duplicate}" in the header`, line);
      index = new Map(header.map((h, i) => [h, i]));
      yield { header, line };
      continue;
    }
    yield { get: (c: string) => values[index.get(c)!], line };
  }
}

async function* jsonlRows(path: string, file: string): AsyncGenerator<RawRow | HeaderRow> {
  let first = true;
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    const record = parseJsonRecord(text, { file, line });
    if (first) {
      yield { header: Object.keys(record), line };
      first = false;
    }
    yield { get: (c: string) => requireField(record, c, { file, line }), line };
  }
}

/**
 * Reads a classification or NLI dataset (CSV, GLUE-style TSV or JSON lines), validating every row.
 * Errors name the file, the line and the column.
 */
export async function readClassificationDataset(
  path: string,
  options: ClassificationReadOptions = {},
): Promise<ClassificationDataset> {
  const file = options.displayName ?? basename(path);
  const format = options.format ?? (await detectFormat(path, 'classification', file));
  assertFormatForTask(format, 'classification', file);
  const rows =
    format === 'jsonl'
      ? jsonlRows(path, file)
      : tabularRows(format === 'csv' ? readCsvRecords(path, file) : readTsvRecords(path, file), file);

  let columns: ClassificationDataset['columns'] | undefined;
  const examples: ClassificationExample[] = [];
  for await (const row of rows) {
    if ('header' in row) {
      columns = resolveColumns(row.header, options, file, row.line);
      continue;
    }
    const c = columns!;
    const text = requireText(row.get(c.text), file, row.line, c.text);
    const label = labelName(row.get(c.label), { file, line: row.line }, c.label);
    const example: ClassificationExample = { text, label, line: row.line };
    if (c.textPair !== undefined) example.textPair = requireText(row.get(c.textPair), file, row.line, c.textPair);
    examples.push(example);
  }
  if (columns === undefined) throw new DatasetError(file, 'file is empty');
  if (examples.length === 0) throw new DatasetError(file, 'no rows (only a header)');
  const stats: ClassificationStats = { rows: examples.length, labelCounts: countValues(examples.map((e) => e.label)) };
  if (options.tokenizer) {
    stats.tokenLengths = await measureTextLengths(
      examples.map((e) => (e.textPair === undefined ? e.text : [e.text, e.textPair])),
      options.tokenizer,
    );
  }
  return { file, format, columns, examples, stats };
}
