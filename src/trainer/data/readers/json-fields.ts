import { DatasetError } from '../errors';

/** Where a record came from, for error messages. */
export interface RecordLocation {
  file: string;
  line?: number;
}

/** Parses one JSON-lines record, which must be an object. */
export function parseJsonRecord(text: string, at: RecordLocation): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(at.file, `invalid JSON (${(err as Error).message})`, at.line);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DatasetError(at.file, `expected a JSON object, got ${describeJson(value)}`, at.line);
  }
  return value as Record<string, unknown>;
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function requireField(record: Record<string, unknown>, name: string, at: RecordLocation): unknown {
  if (!(name in record) || record[name] === undefined) {
    throw new DatasetError(at.file, `missing field "${name}" (fields: ${Object.keys(record).join(', ') || 'none'})`, at.line, name);
  }
  return record[name];
}

export function requireString(record: Record<string, unknown>, name: string, at: RecordLocation): string {
  const value = requireField(record, name, at);
  if (typeof value !== 'string') {
    throw new DatasetError(at.file, `must be a string, got ${describeJson(value)}`, at.line, name);
  }
  return value;
}

export function requireStringArray(record: Record<string, unknown>, name: string, at: RecordLocation): string[] {
  const value = requireField(record, name, at);
  if (!Array.isArray(value)) {
    throw new DatasetError(at.file, `must be an array of strings, got ${describeJson(value)}`, at.line, name);
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string') {
      throw new DatasetError(at.file, `item ${i} must be a string, got ${describeJson(item)}`, at.line, name);
    }
  });
  return value as string[];
}

/**
 * A label as written in a file. Labels are names (strings). An integer is accepted and becomes its
 * decimal name ("0", "1"), which is how TSV files spell them anyway; anything else is an error.
 */
export function labelName(value: unknown, at: RecordLocation, field: string): string {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') throw new DatasetError(at.file, 'label is empty', at.line, field);
    return trimmed;
  }
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw new DatasetError(at.file, `label must be a string (or an integer), got ${describeJson(value)}`, at.line, field);
}
