import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, ValidateIf } from 'class-validator';
import type { TextInput } from '../../../serving/contracts';
import { ClassifyInputs, ModelName } from '../../../http/validation';
import { LabelScoreDto, ServedEnvelopeDto } from './common.dto';

export class ClassifyRequestDto {
  @ModelName() model?: string;

  @ClassifyInputs() inputs!: TextInput | TextInput[];

  /** How many labels to return per input, best first; `null` returns every label. */
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    default: 1,
    description: 'Labels per input, best first; null for all.',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  top_k?: number | null;

  @ApiPropertyOptional({
    enum: ['softmax', 'sigmoid', 'none'],
    description:
      "Default, as the Hugging Face pipeline: none for regression models, sigmoid for one-label or multi-label models, softmax otherwise; 'none' returns raw logits.",
  })
  @IsOptional()
  @IsIn(['softmax', 'sigmoid', 'none'])
  function_to_apply?: 'softmax' | 'sigmoid' | 'none';
}

export class ClassifyItemDto {
  @ApiProperty({ type: [LabelScoreDto] }) labels!: LabelScoreDto[];
  @ApiProperty({ description: 'True when the input was longer than the model allows and was truncated.' }) truncated!: boolean;
}

export class ClassifyResponseDto extends ServedEnvelopeDto {
  @ApiProperty({ type: [ClassifyItemDto], description: 'One item per input, in input order.' }) results!: ClassifyItemDto[];
}
