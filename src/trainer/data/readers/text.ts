import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatasetError } from '../errors';
import { DataTokenizer } from '../features';
import { type TokenLengthStats } from '../stats';
import { isBlank, readLines } from './lines';
import { measureTextLengths } from './token-lengths';

/** One document (a paragraph: one non-blank line of a text file). */
export interface TextDocument {
  text: string;
  /** The file it came from (relative name) and its 1-based line. */
  file: string;
  line: number;
}

export interface TextCorpusStats {
  rows: number;
  files: number;
  characters: number;
  tokenLengths?: TokenLengthStats;
}

export interface TextCorpus {
  file: string;
  documents: TextDocument[];
  stats: TextCorpusStats;
}

export interface TextReadOptions {
  displayName?: string;
  /** In a directory, which files are read (default: names ending in .txt). */
  include?: (name: string) => boolean;
  /** When given, stats include token-length percentiles per document. */
  tokenizer?: DataTokenizer;
}

/**
 * The longest document a text file may hold, in characters: one limit, with its message, for
 * uploads and training alike (a document is packed into blocks, but one this long is a file that
 * is not prose: a minified blob, a missing line break).
 */
export const MAX_TEXT_DOCUMENT_CHARS = 1_000_000;

function tooLong(chars: number): string {
  return `document of ${chars} characters is over the limit of ${MAX_TEXT_DOCUMENT_CHARS} (one document per line, or documents separated by blank lines)`;
}

/** NUL and other C0 controls (tab, line breaks and form feed aside), or U+FFFD where bytes were not UTF-8. */
// eslint-disable-next-line no-control-regex -- control bytes are exactly what this looks for
const BINARY = /[\u0000-\u0008\u000e-\u001f\ufffd]/;

/**
 * Reads plain text for masked-language-model training, from a file or from every text file of a
 * directory (sorted by name, so the order is reproducible). A file whose text is split by blank
 * lines holds one document per paragraph (its lines joined by spaces); a file without blank lines
 * holds one document per line. Binary content (control bytes, bytes that are not UTF-8) and a
 * document over MAX_TEXT_DOCUMENT_CHARS are errors naming the line.
 */
export async function readTextCorpus(path: string, options: TextReadOptions = {}): Promise<TextCorpus> {
  const name = options.displayName ?? basename(path);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new DatasetError(name, 'file not found');
  let files: Array<{ path: string; name: string }>;
  if (info.isDirectory()) {
    const include = options.include ?? ((n: string) => n.toLowerCase().endsWith('.txt'));
    const entries = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && include(e.name));
    files = entries.map((e) => e.name).sort().map((n) => ({ path: join(path, n), name: n }));
    if (files.length === 0) throw new DatasetError(name, 'directory holds no text files');
  } else {
    files = [{ path, name }];
  }
  const documents: TextDocument[] = [];
  let characters = 0;
  for (const f of files) {
    // Paragraph i: its first line and its lines; a blank line after text ends a paragraph.
    const paragraphs: Array<{ line: number; lines: string[] }> = [];
    let open = false;
    let blankBetween = false;
    for await (const { text, line } of readLines(f.path)) {
      const where = info.isDirectory() ? f.name : name;
      if (BINARY.test(text)) throw new DatasetError(where, 'binary content (control bytes or bytes that are not UTF-8); upload plain UTF-8 text', line);
      if (text.length > MAX_TEXT_DOCUMENT_CHARS) throw new DatasetError(where, tooLong(text.length), line);
      if (isBlank(text)) {
        open = false;
        continue;
      }
      if (open) paragraphs[paragraphs.length - 1].lines.push(text.trim());
      else {
        blankBetween ||= paragraphs.length > 0;
        paragraphs.push({ line, lines: [text.trim()] });
        open = true;
      }
    }
    for (const p of paragraphs) {
      const parts = blankBetween ? [{ line: p.line, text: p.lines.join(' ') }] : p.lines.map((text, i) => ({ line: p.line + i, text }));
      for (const part of parts) {
        if (part.text.length > MAX_TEXT_DOCUMENT_CHARS) throw new DatasetError(info.isDirectory() ? f.name : name, tooLong(part.text.length), part.line);
        characters += part.text.length;
        documents.push({ text: part.text, file: f.name, line: part.line });
      }
    }
  }
  if (documents.length === 0) throw new DatasetError(name, files.length === 1 ? 'file is empty (no text lines)' : 'no text lines in any file');
  const stats: TextCorpusStats = { rows: documents.length, files: files.length, characters };
  if (options.tokenizer) stats.tokenLengths = await measureTextLengths(documents.map((d) => d.text), options.tokenizer);
  return { file: name, documents, stats };
}
