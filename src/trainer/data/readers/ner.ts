import { basename } from 'node:path';
import { getEntities } from '../../evaluation/seqeval';
import { DatasetError } from '../errors';
import { DataTokenizer } from '../features';
import { countValues, TokenLengthStats } from '../stats';
import { assertFormatForTask, DatasetFormat, detectFormat } from './format';
import { parseJsonRecord, requireStringArray } from './json-fields';
import { isBlank, readLines } from './lines';
import { measureWordLengths } from './token-lengths';

/** One sentence: its words and one tag per word (IOB1, IOB2 or IOBES: O, B-X, I-X, E-X, S-X). */
export interface NerExample {
  tokens: string[];
  tags: string[];
  /** 1-based line the sentence starts on. */
  line: number;
}

export interface NerReadOptions {
  displayName?: string;
  format?: DatasetFormat;
  /** JSON-lines field names (defaults `tokens` and `tags`). */
  tokensField?: string;
  tagsField?: string;
  /** When given, stats include token-length percentiles. */
  tokenizer?: DataTokenizer;
}

export interface NerStats {
  rows: number;
  words: number;
  /** Words per tag, in order of first appearance. */
  tagCounts: Record<string, number>;
  /** Entities (chunks) per type, counted as conlleval does. */
  entityCounts: Record<string, number>;
  tokenLengths?: TokenLengthStats;
}

export interface NerDataset {
  file: string;
  format: DatasetFormat;
  examples: NerExample[];
  stats: NerStats;
}

const TAG = /^(?:O|[BIES]-\S+)$/;

function checkTag(tag: string, file: string, line: number, field?: string): void {
  if (!TAG.test(tag)) {
    throw new DatasetError(file, `"${tag}" is not a tag: expected O or a B-, I-, E- or S- prefixed type (the tag is the last column)`, line, field);
  }
}

async function* conllSentences(path: string, file: string): AsyncGenerator<NerExample> {
  let tokens: string[] = [];
  let tags: string[] = [];
  let start = 0;
  const flush = (): NerExample | undefined => {
    const sentence = tokens.length > 0 ? { tokens, tags, line: start } : undefined;
    tokens = [];
    tags = [];
    return sentence;
  };
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) {
      const sentence = flush();
      if (sentence) yield sentence;
      continue;
    }
    // Tab-separated files may hold spaces inside a column; otherwise columns are space-separated.
    const columns = (text.includes('\t') ? text.split('\t') : text.trim().split(/ +/)).map((c) => c.trim()).filter((c) => c !== '');
    if (columns[0] === '-DOCSTART-') {
      const sentence = flush();
      if (sentence) yield sentence;
      continue;
    }
    if (columns.length < 2) {
      throw new DatasetError(file, `"${columns[0]}" has no tag: each line needs a token and a tag (tab- or space-separated)`, line);
    }
    const tag = columns[columns.length - 1];
    checkTag(tag, file, line);
    if (tokens.length === 0) start = line;
    tokens.push(columns[0]);
    tags.push(tag);
  }
  const last = flush();
  if (last) yield last;
}

async function* jsonlSentences(path: string, file: string, options: NerReadOptions): AsyncGenerator<NerExample> {
  const tokensField = options.tokensField ?? 'tokens';
  const tagsField = options.tagsField ?? 'tags';
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    const at = { file, line };
    const record = parseJsonRecord(text, at);
    const tokens = requireStringArray(record, tokensField, at);
    const tags = requireStringArray(record, tagsField, at);
    if (tokens.length !== tags.length) {
      throw new DatasetError(file, `${tokens.length} tokens but ${tags.length} tags`, line, tagsField);
    }
    if (tokens.length === 0) throw new DatasetError(file, 'sentence has no tokens', line, tokensField);
    tokens.forEach((t, i) => {
      if (t.trim() === '') throw new DatasetError(file, `token ${i} is empty`, line, tokensField);
    });
    tags.forEach((t) => checkTag(t, file, line, tagsField));
    yield { tokens, tags, line };
  }
}

/** Reads a NER dataset (CoNLL columns or JSON lines `{tokens, tags}`), validating every sentence. */
export async function readNerDataset(path: string, options: NerReadOptions = {}): Promise<NerDataset> {
  const file = options.displayName ?? basename(path);
  const format = options.format ?? (await detectFormat(path, 'ner', file));
  assertFormatForTask(format, 'ner', file);
  const examples: NerExample[] = [];
  const source = format === 'conll' ? conllSentences(path, file) : jsonlSentences(path, file, options);
  for await (const sentence of source) examples.push(sentence);
  if (examples.length === 0) throw new DatasetError(file, 'no sentences');
  const stats = nerStats(examples);
  if (options.tokenizer) stats.tokenLengths = await measureWordLengths(examples.map((e) => e.tokens), options.tokenizer);
  return { file, format, examples, stats };
}

function nerStats(examples: readonly NerExample[]): NerStats {
  let words = 0;
  const tags: string[] = [];
  const types: string[] = [];
  for (const e of examples) {
    words += e.tokens.length;
    tags.push(...e.tags);
    for (const entity of getEntities(e.tags)) types.push(entity.type);
  }
  return { rows: examples.length, words, tagCounts: countValues(tags), entityCounts: countValues(types) };
}
