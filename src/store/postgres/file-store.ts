/** Uploaded datasets' records in PostgreSQL, with the ordering and cursors of the SQLite repository. */
import type { FileStore } from '../contracts';
import { fileFromRow as fromRow, type DecodedFileRow as FileRow, type ListPage, type StoredFile } from '../file-repository';
import type { Queryable } from './connection';

const COLUMNS = 'id, filename, purpose, bytes, created_at, path, task, format, stats';

export class PgFileStore implements FileStore {
  constructor(private readonly db: Queryable) {}

  async insert(file: StoredFile): Promise<void> {
    await this.db.query(`INSERT INTO files (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`, [
      file.id,
      file.filename,
      file.purpose,
      file.bytes,
      file.createdAt,
      file.path,
      file.task,
      file.format,
      JSON.stringify(file.stats),
    ]);
  }

  async get(id: string): Promise<StoredFile | undefined> {
    const { rows } = await this.db.query<FileRow>(`SELECT ${COLUMNS} FROM files WHERE id = $1`, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  /** Newest first (ties in insertion order, newest first); `after` is the id of the last file already seen. */
  async list(options: { limit: number; after?: string; purpose?: string }): Promise<ListPage<StoredFile>> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (options.purpose) {
      params.push(options.purpose);
      clauses.push(`purpose = $${params.length}`);
    }
    if (options.after) {
      const anchor = await this.db.query<{ created_at: number; seq: number }>('SELECT created_at, seq FROM files WHERE id = $1', [
        options.after,
      ]);
      if (anchor.rows.length === 0) return { data: [], hasMore: false };
      params.push(anchor.rows[0].created_at, anchor.rows[0].seq);
      clauses.push(`(created_at, seq) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(options.limit + 1);
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const { rows } = await this.db.query<FileRow>(
      `SELECT ${COLUMNS} FROM files ${where} ORDER BY created_at DESC, seq DESC LIMIT $${params.length}`,
      params,
    );
    return { data: rows.slice(0, options.limit).map(fromRow), hasMore: rows.length > options.limit };
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM files WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}
