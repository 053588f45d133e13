import type { Db } from './database';

/** The task a dataset file was validated for. */
export type FileTask = 'classification' | 'ner' | 'qa' | 'text';

export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Where the content lives, inside `<dataDir>/files`. */
  readonly path: string;
  readonly task: FileTask;
  readonly format: string;
  /** What the dataset reader reported (rows, label counts, token lengths, …). */
  readonly stats: Record<string, unknown>;
}

interface FileRow {
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  created_at: number;
  path: string;
  task: string;
  format: string;
  stats: string;
}

/** A file row with its stats decoded (PostgreSQL gives it so; SQLite's JSON text is parsed first). */
export type DecodedFileRow = Omit<FileRow, 'stats'> & { stats: Record<string, unknown> };

/** A file's row, in either database, as the services see it. */
export const fileFromRow = (r: DecodedFileRow): StoredFile => ({
  id: r.id,
  filename: r.filename,
  purpose: r.purpose,
  bytes: r.bytes,
  createdAt: r.created_at,
  path: r.path,
  task: r.task as FileTask,
  format: r.format,
  stats: r.stats,
});

const fromRow = (r: FileRow): StoredFile => fileFromRow({ ...r, stats: JSON.parse(r.stats) as Record<string, unknown> });

export interface ListPage<T> {
  data: T[];
  hasMore: boolean;
}

export class FileRepository {
  constructor(private readonly db: Db) {}

  insert(file: StoredFile): void {
    this.db
      .prepare('INSERT INTO files (id, filename, purpose, bytes, created_at, path, task, format, stats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(file.id, file.filename, file.purpose, file.bytes, file.createdAt, file.path, file.task, file.format, JSON.stringify(file.stats));
  }

  get(id: string): StoredFile | undefined {
    const row = this.db.prepare('SELECT * FROM files WHERE id = ?').get(id) as FileRow | undefined;
    return row && fromRow(row);
  }

  /** Newest first, as the OpenAI API lists files; `after` is the id of the last file already seen. */
  list(options: { limit: number; after?: string; purpose?: string }): ListPage<StoredFile> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (options.purpose) {
      clauses.push('purpose = ?');
      params.push(options.purpose);
    }
    if (options.after) {
      const anchor = this.db.prepare('SELECT created_at, rowid FROM files WHERE id = ?').get(options.after) as
        { created_at: number; rowid: number } | undefined;
      if (!anchor) return { data: [], hasMore: false };
      clauses.push('(created_at < ? OR (created_at = ? AND rowid < ?))');
      params.push(anchor.created_at, anchor.created_at, anchor.rowid);
    }
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT * FROM files ${where} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
      .all(...params, options.limit + 1) as FileRow[];
    return { data: rows.slice(0, options.limit).map(fromRow), hasMore: rows.length > options.limit };
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM files WHERE id = ?').run(id).changes > 0;
  }
}
