import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FileDetailsDto {
  @ApiProperty({ enum: ['classification', 'ner', 'qa'], description: 'The task the file was validated for.' })
  task!: 'classification' | 'ner' | 'qa';
  @ApiProperty({ enum: ['csv', 'tsv', 'jsonl', 'conll', 'squad-json'], description: 'Detected format.' })
  format!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'rows; label_counts (classification labels or NER tags); token_lengths {count, mean, p50, p90, p99, max} when a model was named.',
  })
  stats!: Record<string, unknown>;
}

/** An uploaded file, in the shape of the OpenAI Files API plus Berth's dataset details. */
export class FileObjectDto {
  @ApiProperty({ example: 'file-AbC123' }) id!: string;
  @ApiProperty({ enum: ['file'] }) object!: 'file';
  @ApiProperty() bytes!: number;
  @ApiProperty({ description: 'Unix seconds.' }) created_at!: number;
  @ApiProperty() filename!: string;
  @ApiProperty({ enum: ['fine-tune'] }) purpose!: string;
  @ApiProperty({ enum: ['processed'] }) status!: 'processed';
  @ApiProperty({ type: FileDetailsDto }) berth!: FileDetailsDto;
}

export class FileListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [FileObjectDto] }) data!: FileObjectDto[];
  @ApiProperty() has_more!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) first_id!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) last_id!: string | null;
}

export class FileDeletedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['file'] }) object!: 'file';
  @ApiProperty({ enum: [true] }) deleted!: true;
}
