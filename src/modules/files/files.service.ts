import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import '@fastify/multipart';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DomainError, InvalidInputError } from '../../errors/domain-error';
import { FileTask, type Persistence, StoredFile, newId, unixNow } from '../../store';
import { SCRATCH, scratchName } from '../../store/scratch';
import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { FILE_TASKS, guessTask, inspectDataset } from './dataset-inspection';
import type { FileDeletedDto, FileListDto, FileObjectDto, FileTokenLengthsDto, TokenLengthsDto } from './files.dto';
import { PERSISTENCE } from './persistence.provider';

export const FILE_PURPOSES = ['fine-tune'] as const;

/** Extensions a stored file keeps (format detection reads them); anything else is stored bare. */
const KEPT_EXTENSIONS = new Set(['.csv', '.tsv', '.jsonl', '.ndjson', '.json', '.conll', '.txt', '.iob', '.bio']);

export function fileObject(f: StoredFile): FileObjectDto {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    berth: { task: f.task, format: f.format, stats: f.stats },
  };
}

export class FileNotFoundError extends DomainError {
  constructor(id: string) {
    super('NOT_FOUND', `no file with id "${id}"`, { file: id });
  }
}

interface UploadFields {
  purpose?: string;
  task?: string;
  model?: string;
}

/**
 * Uploaded datasets. The content is streamed to a temporary file under `<dataDir>/files` (never
 * held whole in memory), read in full by the trainer's own reader for its task, and kept only
 * when that succeeds: a rejected upload leaves nothing behind.
 */
@Injectable()
export class FilesService {
  private readonly dir: string;

  constructor(
    @Inject(PERSISTENCE) private readonly persistence: Persistence,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CORE_HOST) private readonly host: CoreHost,
  ) {
    this.dir = join(config.dataDir, SCRATCH.upload.dir);
  }

  /** The upload limit in bytes (BERTH_MAX_FILE_BYTES). */
  get maxBytes(): number {
    return this.config.limits.fileBytes;
  }

  async upload(request: FastifyRequest): Promise<FileObjectDto> {
    if (!request.isMultipart()) throw new InvalidInputError('send the file as multipart/form-data with fields "file" and "purpose"');
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw new DomainError('INTERNAL', `the data directory cannot hold uploads (${(e as Error).message}); nothing was kept`);
    }
    const fields: UploadFields = {};
    let temp: string | undefined;
    let filename = '';
    try {
      for await (const part of request.parts({ limits: { fileSize: this.maxBytes } })) {
        if (part.type === 'file') {
          if (temp) throw new InvalidInputError('send exactly one file');
          filename = safeFilename(part.filename);
          const ext = extname(filename).toLowerCase();
          temp = join(this.dir, scratchName(SCRATCH.upload.prefix, KEPT_EXTENSIONS.has(ext) ? ext : ''));
          await pipeline(part.file, createWriteStream(temp, { flags: 'wx' }));
          if (part.file.truncated) {
            throw new DomainError('PAYLOAD_TOO_LARGE', `the file is larger than the upload limit of ${this.maxBytes} bytes`, {
              limit: this.maxBytes,
            });
          }
        } else if (part.fieldname === 'purpose' || part.fieldname === 'task' || part.fieldname === 'model') {
          fields[part.fieldname] = String(part.value);
        } else {
          throw new InvalidInputError(`unknown form field "${part.fieldname}" (expected file, purpose, and optionally task and model)`);
        }
      }
      if (!temp) throw new InvalidInputError('the form has no "file" part');
      const stored = await this.accept(temp, filename, fields);
      temp = undefined;
      return fileObject(stored);
    } catch (e) {
      throw uploadError(e, this.maxBytes);
    } finally {
      if (temp) await rm(temp, { force: true });
    }
  }

  /** Validates a streamed upload and moves it into place. */
  private async accept(temp: string, filename: string, fields: UploadFields): Promise<StoredFile> {
    if (fields.purpose === undefined) throw new InvalidInputError('the form needs a "purpose" field (fine-tune)', { field: 'purpose' });
    if (!(FILE_PURPOSES as readonly string[]).includes(fields.purpose)) {
      throw new InvalidInputError(`purpose "${fields.purpose}" is not supported; use ${FILE_PURPOSES.join(', ')}`, { field: 'purpose' });
    }
    if (fields.task !== undefined && !(FILE_TASKS as readonly string[]).includes(fields.task)) {
      throw new InvalidInputError(`task must be one of ${FILE_TASKS.join(', ')}, got "${fields.task}"`, { field: 'task' });
    }
    const tokenizer = fields.model === undefined ? undefined : await this.tokenizerOf(fields.model);
    const task = (fields.task as FileTask | undefined) ?? (await guessTask(temp, filename));
    const summary = await inspectDataset(temp, filename, task, tokenizer);
    const id = newId('file');
    const path = join(this.dir, `${id}${extname(temp)}`);
    const { size } = await stat(temp);
    await rename(temp, path);
    const file: StoredFile = {
      id,
      filename,
      purpose: fields.purpose,
      bytes: size,
      createdAt: unixNow(),
      path,
      task: summary.task,
      format: summary.format,
      stats: fields.model === undefined ? summary.stats : { ...summary.stats, tokenizer_model: fields.model },
    };
    try {
      await this.persistence.files.insert(file);
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
    return file;
  }

  /** The tokenizer of a served model's active version (token-length percentiles in the stats). */
  private async tokenizerOf(model: string): Promise<BerthTokenizer> {
    const core = this.host.get();
    return BerthTokenizer.fromModelDir(core.versionDir(model, core.get(model).active_version));
  }

  async list(options: { limit: number; after?: string; purpose?: string }): Promise<FileListDto> {
    const page = await this.persistence.files.list(options);
    const data = page.data.map(fileObject);
    return { object: 'list', data, has_more: page.hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  async get(id: string): Promise<StoredFile> {
    const file = await this.persistence.files.get(id);
    if (!file) throw new FileNotFoundError(id);
    return file;
  }

  async content(id: string): Promise<{ stream: ReadStream; file: StoredFile }> {
    const file = await this.get(id);
    return { stream: createReadStream(file.path), file };
  }

  /** Measures a stored file again under `model`'s tokenizer, with the reader that validated it. */
  async tokenLengths(id: string, model: string): Promise<FileTokenLengthsDto> {
    const file = await this.get(id);
    const tokenizer = await this.tokenizerOf(model);
    const { stats } = await inspectDataset(file.path, file.filename, file.task, tokenizer);
    return { file: id, model, token_lengths: stats.token_lengths as TokenLengthsDto };
  }

  async delete(id: string): Promise<FileDeletedDto> {
    const file = await this.get(id);
    await this.persistence.files.delete(id);
    await rm(file.path, { force: true });
    return { id, object: 'file', deleted: true };
  }
}

/** The client's file name without any directory part (it is shown, never used as a path). */
function safeFilename(name: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const base = basename((name ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f]/g, '');
  return base.length > 0 ? base.slice(0, 255) : 'upload';
}

/** Multipart parser limits surface as Fastify errors; say them in the API's words. */
function uploadError(e: unknown, limit: number): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new DomainError('PAYLOAD_TOO_LARGE', `the file is larger than the upload limit of ${limit} bytes`, { limit });
  }
  if (code === 'FST_FILES_LIMIT') return new InvalidInputError('send exactly one file');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT')
    return new InvalidInputError('too many form fields (expected file, purpose, task, model)');
  if (code === 'ENOSPC') return new DomainError('INTERNAL', 'the data directory is full; the upload was not kept', { cause: 'ENOSPC' });
  if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR') {
    return new DomainError('INTERNAL', 'the data directory is not writable; the upload was not kept', { cause: code });
  }
  return e;
}
