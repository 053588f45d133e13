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
 * Reads plain text for masked-language-model training: one document per non-blank line, from a
 * file or from every text file of a directory (sorted by name, so the order is reproducible).
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
    for await (const { text, line } of readLines(f.path)) {
      if (isBlank(text)) continue;
      const trimmed = text.trim();
      characters += trimmed.length;
      documents.push({ text: trimmed, file: f.name, line });
    }
  }
  if (documents.length === 0) throw new DatasetError(name, files.length === 1 ? 'file is empty (no text lines)' : 'no text lines in any file');
  const stats: TextCorpusStats = { rows: documents.length, files: files.length, characters };
  if (options.tokenizer) stats.tokenLengths = await measureTextLengths(documents.map((d) => d.text), options.tokenizer);
  return { file: name, documents, stats };
}
