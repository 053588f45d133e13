import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DatasetError } from '../errors';

export type DatasetTask = 'classification' | 'ner' | 'qa' | 'mlm';

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'conll' | 'squad-json' | 'text';

/** The formats each task accepts, in the order they are documented. */
export const TASK_FORMATS: Readonly<Record<DatasetTask, readonly DatasetFormat[]>> = {
  classification: ['csv', 'tsv', 'jsonl'],
  ner: ['conll', 'jsonl'],
  qa: ['squad-json', 'jsonl'],
  mlm: ['text'],
};

const SNIFF_BYTES = 64 * 1024;

/** The first non-blank line of a file, read from its first 64 KiB (BOM removed). */
async function firstNonBlankLine(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split(/\r\n|\n|\r/);
    // The last piece may be cut mid-line when the file is longer; keep it only if it is all there is.
    if (bytesRead === SNIFF_BYTES && lines.length > 1) lines.pop();
    return lines.find((l) => l.trim() !== '');
  } finally {
    await handle.close();
  }
}

function parsesAsObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decides a file's format from its extension, confirmed or overridden by its content: a `.txt`
 * CoNLL file or a `.json` file holding JSON lines is read for what it is. Empty files are
 * rejected here, once, for every reader.
 */
export async function detectFormat(path: string, task: DatasetTask, displayName = basename(path)): Promise<DatasetFormat> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new DatasetError(displayName, 'file not found');
  if (task === 'mlm') return 'text';
  if (!info.isFile()) throw new DatasetError(displayName, 'not a regular file');
  if (info.size === 0) throw new DatasetError(displayName, 'file is empty');
  const first = await firstNonBlankLine(path);
  if (first === undefined) throw new DatasetError(displayName, 'file is empty (only blank lines)');

  const ext = extname(path).toLowerCase();
  const firstObject = first.trimStart().startsWith('{') ? parsesAsObject(first) : undefined;
  switch (task) {
    case 'classification':
      if (ext === '.jsonl' || ext === '.ndjson' || firstObject) return 'jsonl';
      if (ext === '.tsv') return 'tsv';
      if (ext === '.csv') return 'csv';
      return first.includes('\t') ? 'tsv' : 'csv';
    case 'ner':
      return ext === '.jsonl' || ext === '.ndjson' || firstObject ? 'jsonl' : 'conll';
    case 'qa':
      if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
      // A SQuAD file is one JSON document; a JSON-lines file has a whole record on its first line.
      return firstObject && ('question' in firstObject || 'context' in firstObject) ? 'jsonl' : 'squad-json';
  }
}

export function assertFormatForTask(format: DatasetFormat, task: DatasetTask, displayName: string): void {
  if (!TASK_FORMATS[task].includes(format)) {
    throw new DatasetError(
      displayName,
      `format "${format}" cannot hold ${task} data (expected one of: ${TASK_FORMATS[task].join(', ')})`,
    );
  }
}
