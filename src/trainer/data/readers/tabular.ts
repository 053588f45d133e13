import { createReadStream } from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import { DatasetError } from '../errors';
import { isBlank, readLines } from './lines';

/** One record of a delimited file: its values and the 1-based line it starts on. */
export interface TabularRecord {
  values: string[];
  line: number;
}

/**
 * RFC 4180 CSV through csv-parse, streamed. Records may span lines (quoted line breaks); each
 * record reports the line it starts on. Parser errors become DatasetErrors with a line number.
 */
export async function* readCsvRecords(path: string, file: string): AsyncGenerator<TabularRecord> {
  const parser = createReadStream(path).pipe(
    parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: false }),
  );
  let previousEnd = 0;
  let previousEmpty = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const start = previousEnd + 1 + (item.info.empty_lines - previousEmpty);
      previousEnd = item.info.lines;
      previousEmpty = item.info.empty_lines;
      yield { values: item.record, line: start };
    }
  } catch (err) {
    if (err instanceof CsvError) throw csvProblem(err, file, previousEnd + 1);
    throw err;
  } finally {
    parser.destroy();
  }
}

function csvProblem(err: CsvError, file: string, recordStart: number): DatasetError {
  const at = (err as CsvError & { lines?: number }).lines ?? recordStart;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new DatasetError(
        file,
        `a quoted field opened in the record starting here is never closed (the file ends at line ${at}); double any quote inside a quoted field ("")`,
        recordStart,
      );
    case 'INVALID_OPENING_QUOTE':
      return new DatasetError(file, 'a double quote inside an unquoted field; quote the whole field and double the inner quote ("")', at);
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new DatasetError(file, 'characters after a closing quote; a quoted field must end at a comma or a line end (double inner quotes as "")', at);
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      const record = (err as CsvError & { record?: unknown[] }).record;
      const got = Array.isArray(record) ? record.length : undefined;
      return new DatasetError(file, `wrong number of fields${got === undefined ? '' : ` (${got})`}: every row must have as many fields as the header`, at);
    }
    default:
      return new DatasetError(file, `malformed CSV (${err.message})`, at);
  }
}

/**
 * GLUE-style TSV: one record per line, fields split on tabs, no quoting (quotes are text), values
 * trimmed (GLUE files end their sentences with a space before the tab).
 */
export async function* readTsvRecords(path: string, file: string): AsyncGenerator<TabularRecord> {
  let width: number | undefined;
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    const values = text.split('\t').map((v) => v.trim());
    if (width === undefined) width = values.length;
    else if (values.length !== width) {
      throw new DatasetError(file, `expected ${width} tab-separated fields (as in the header), got ${values.length}`, line);
    }
    yield { values, line };
  }
}
