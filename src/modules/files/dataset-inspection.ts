import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidInputError } from '../../errors/domain-error';
import { DatasetError, DataTokenizer, readClassificationDataset, readNerDataset, readQaDataset, readTextCorpus } from '../../trainer/data';
import type { FileTask } from '../../store';

/** `text`: unlabeled documents, for continued masked-LM pre-training of an encoder (domain adaptation). */
export const FILE_TASKS: readonly FileTask[] = ['classification', 'ner', 'qa', 'text'];

export interface DatasetSummary {
  task: FileTask;
  format: string;
  stats: Record<string, unknown>;
}

/** The first non-blank line of a file (from its first 64 KiB), for deciding which task it holds. */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    return text.split(/\r\n|\n|\r/).find((l) => l.trim() !== '') ?? '';
  } finally {
    await handle.close();
  }
}

/**
 * Which task a file holds when the upload does not say: `.csv`/`.tsv` are classification, `.json`
 * is SQuAD, `.conll` is CoNLL columns; a JSON-lines file is NER when its records have `tokens`, QA
 * when they have `question` or `context`, classification otherwise; other column files are CoNLL
 * when their first row ends in a tag. A `.txt` (or `.text`) file that is neither CoNLL columns nor
 * tab-separated is unlabeled text.
 */
export async function guessTask(path: string, filename: string): Promise<FileTask> {
  const ext = extname(filename).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'classification';
  if (ext === '.json') return 'qa';
  if (ext === '.conll' || ext === '.iob' || ext === '.bio') return 'ner';
  const line = (await firstLine(path)).trim();
  if (line.startsWith('{')) {
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      if ('tokens' in record) return 'ner';
      if ('question' in record || 'context' in record) return 'qa';
      if ('data' in record) return 'qa';
      return 'classification';
    } catch {
      // A SQuAD document spread over lines starts with "{" but is not one line of JSON.
      return 'qa';
    }
  }
  // Columns: CoNLL when the last column of the first row is a tag (O, B-X, I-X, …).
  const last = line.split(/\t| +/).at(-1) ?? '';
  if (/^(O|[BIES]-\S+)$/.test(last)) return 'ner';
  // Prose has no tabs; a tab-separated .txt is a classification table.
  return (ext === '.txt' || ext === '.text') && !line.includes('\t') ? 'text' : 'classification';
}

/** A dataset problem as the API reports it: 400 with the file, line, field and problem. */
export function datasetProblem(e: DatasetError): InvalidInputError {
  return new InvalidInputError(e.message, {
    file: e.file,
    ...(e.line === undefined ? {} : { line: e.line }),
    ...(e.field === undefined ? {} : { field: e.field }),
    problem: e.problem,
  });
}

/**
 * Reads the whole file with the trainer's reader for its task (the same code that will train on
 * it), so a file accepted here is a file training can read. Throws INVALID_INPUT naming the line
 * and the problem.
 */
export async function inspectDataset(path: string, filename: string, task: FileTask, tokenizer?: DataTokenizer): Promise<DatasetSummary> {
  try {
    switch (task) {
      case 'classification': {
        const d = await readClassificationDataset(path, { displayName: filename, tokenizer });
        return {
          task,
          format: d.format,
          stats: {
            rows: d.stats.rows,
            columns: d.columns,
            pair: d.columns.textPair !== undefined,
            label_counts: d.stats.labelCounts,
            ...(d.stats.tokenLengths ? { token_lengths: d.stats.tokenLengths } : {}),
          },
        };
      }
      case 'ner': {
        const d = await readNerDataset(path, { displayName: filename, tokenizer });
        return {
          task,
          format: d.format,
          stats: {
            rows: d.stats.rows,
            words: d.stats.words,
            label_counts: d.stats.tagCounts,
            entity_counts: d.stats.entityCounts,
            ...(d.stats.tokenLengths ? { token_lengths: d.stats.tokenLengths } : {}),
          },
        };
      }
      case 'text': {
        const d = await readTextCorpus(path, { displayName: filename, tokenizer });
        return {
          task,
          format: 'text',
          stats: {
            rows: d.stats.rows,
            characters: d.stats.characters,
            ...(d.stats.tokenLengths ? { token_lengths: d.stats.tokenLengths } : {}),
          },
        };
      }
      case 'qa': {
        const d = await readQaDataset(path, { displayName: filename, tokenizer });
        return {
          task,
          format: d.format,
          stats: {
            rows: d.stats.rows,
            answerable: d.stats.answerable,
            unanswerable: d.stats.unanswerable,
            contexts: d.stats.contexts,
            ...(d.stats.tokenLengths ? { token_lengths: d.stats.tokenLengths } : {}),
          },
        };
      }
    }
  } catch (e) {
    if (e instanceof DatasetError) throw datasetProblem(e);
    throw e;
  }
}

/** The labels a file's rows carry (classification labels or NER tags), from its stats. */
export function labelsOf(stats: Record<string, unknown>): string[] {
  const counts = stats.label_counts;
  return counts && typeof counts === 'object' ? Object.keys(counts) : [];
}
