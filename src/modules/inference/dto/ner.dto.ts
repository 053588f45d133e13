import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import type { AggregationStrategy } from '../../../serving/contracts';
import { NER_AGGREGATION_DEFAULT } from '../../../tasks/types';
import { ModelName, TextInputs } from '../../../http/validation';
import { ServedEnvelopeDto } from './common.dto';

export const AGGREGATION_STRATEGIES = ['none', 'simple', 'first', 'average', 'max'] as const;

export class NerParamsDto {
  @ApiPropertyOptional({
    enum: AGGREGATION_STRATEGIES,
    default: NER_AGGREGATION_DEFAULT,
    description:
      "How sub-word tokens become entities. first (the default on /v1/ner), average and max tag whole words, so an entity never ends inside a word; simple groups tokens as they are tagged (the Hugging Face route's default); none returns every token.",
  })
  @IsOptional()
  @IsIn(AGGREGATION_STRATEGIES)
  aggregation_strategy?: AggregationStrategy;

  @ApiPropertyOptional({ type: [String], default: ['O'], description: 'Entity groups left out of the result.' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  ignore_labels?: string[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Overlap, in tokens, between the windows of a text longer than the model allows.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4096)
  stride?: number;
}

export class NerRequestDto extends NerParamsDto {
  @ModelName() model?: string;

  @TextInputs() inputs!: string | string[];
}

export class EntityDto {
  @ApiPropertyOptional({ description: 'The raw tag (aggregation none only).', example: 'B-PER' }) entity?: string;
  @ApiProperty({ example: 'PER' }) entity_group!: string;
  @ApiProperty() score!: number;
  @ApiProperty({ description: 'The exact source substring.' }) word!: string;
  @ApiProperty({ description: 'Start offset in Unicode code points.' }) start!: number;
  @ApiProperty({ description: 'End offset (exclusive) in Unicode code points.' }) end!: number;
  @ApiPropertyOptional({ description: 'Token index (aggregation none only).' }) index?: number;
}

export class NerResponseDto extends ServedEnvelopeDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { $ref: '#/components/schemas/EntityDto' } },
    description: 'Per input, its entities.',
  })
  results!: EntityDto[][];
}
