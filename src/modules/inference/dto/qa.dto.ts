import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { QaInput } from '../../../serving/contracts';
import { ModelName, ObjectInputs } from '../../../http/validation';
import { ServedEnvelopeDto } from './common.dto';

export class QaParamsDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 1 }) @IsOptional() @IsInt() top_k?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Overlap, in tokens, between context windows (default min(max_seq_len / 2, 128); 0 for none).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4096)
  doc_stride?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 15, description: 'Longest answer, in tokens.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4096)
  max_answer_len?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 8, description: 'Window length in tokens (default min(384, model maximum)).' })
  @IsOptional()
  @IsInt()
  @Min(8)
  @Max(8192)
  max_seq_len?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 64 }) @IsOptional() @IsInt() @Min(1) @Max(8192) max_question_len?: number;
  @ApiPropertyOptional({ default: false, description: 'Allow the empty answer (score from the CLS token).' })
  @IsOptional()
  @IsBoolean()
  handle_impossible_answer?: boolean;
}

export class QaRequestDto extends QaParamsDto {
  @ModelName() model?: string;

  @ObjectInputs(['question', 'context'], 'A question with its context, or an array of them.')
  inputs!: QaInput | QaInput[];
}

export class AnswerDto {
  @ApiProperty() answer!: string;
  @ApiProperty() score!: number;
  @ApiProperty({ description: 'Start offset in the context, in Unicode code points.' }) start!: number;
  @ApiProperty({ description: 'End offset (exclusive) in the context, in Unicode code points.' }) end!: number;
}

export class QaResponseDto extends ServedEnvelopeDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { $ref: '#/components/schemas/AnswerDto' } },
    description: 'Per input, its top_k answers, best first.',
  })
  results!: AnswerDto[][];
}
