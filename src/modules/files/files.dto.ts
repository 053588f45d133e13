import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { QueryInt } from '../../http/validation';

/**
 * Request and response shapes of /v1/files. The @nestjs/swagger CLI plugin documents these classes from their
 * types and JSDoc comments; explicit decorators only add what a type cannot say.
 */

export class FileDetailsDto {
  /** The task the file was validated for. */
  task!: 'classification' | 'ner' | 'qa' | 'text';
  /** Detected format. */
  @ApiProperty({ enum: ['csv', 'tsv', 'jsonl', 'conll', 'squad-json', 'text'] })
  format!: string;
  /** rows (documents, for text); characters (text); label_counts (classification labels or NER tags); token_lengths {count, mean, p50, p90, p99, max, histogram {edges, counts}} when a model was named. */
  stats!: Record<string, unknown>;
}

/** An uploaded file, in the shape of the OpenAI Files API plus Berth's dataset details. */
export class FileObjectDto {
  /** @example file-AbC123 */
  id!: string;
  @ApiProperty({ enum: ['file'] }) object!: 'file';
  bytes!: number;
  /** Unix seconds. */
  created_at!: number;
  filename!: string;
  @ApiProperty({ enum: ['fine-tune'] }) purpose!: string;
  @ApiProperty({ enum: ['processed'] }) status!: 'processed';
  berth!: FileDetailsDto;
}

export class FileListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  data!: FileObjectDto[];
  has_more!: boolean;
  first_id?: string | null;
  last_id?: string | null;
}

export class FileDeletedDto {
  id!: string;
  @ApiProperty({ enum: ['file'] }) object!: 'file';
  @ApiProperty({ enum: [true] }) deleted!: true;
}

/** `GET /v1/files` query parameters. */
export class ListFilesQueryDto {
  /** 1–10000, default 10000 */
  @QueryInt(1, 10_000)
  limit?: number;
  /** Id of the last file of the previous page */
  @IsOptional()
  @IsString()
  after?: string;
  @IsOptional()
  @IsString()
  purpose?: string;
}

/** `GET /v1/files/{id}/token-lengths` query parameters. */
export class TokenLengthsQueryDto {
  /** A served model whose tokenizer measures the rows (its active version's). */
  @IsString()
  @IsNotEmpty()
  model!: string;
}

export class TokenLengthHistogramDto {
  /** Bin edges: bin i holds the lengths in [edges[i], edges[i+1]). */
  edges!: number[];
  /** Rows per bin. */
  counts!: number[];
}

export class TokenLengthsDto {
  count!: number;
  mean!: number;
  p50!: number;
  p90!: number;
  p99!: number;
  max!: number;
  histogram!: TokenLengthHistogramDto;
}

/** A file's rows measured in tokens by one model's tokenizer (special tokens counted, nothing truncated). */
export class FileTokenLengthsDto {
  file!: string;
  model!: string;
  token_lengths!: TokenLengthsDto;
}
