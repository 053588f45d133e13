import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { ModelName, TextInputs } from '../../../http/validation';
import { ServedEnvelopeDto } from './common.dto';

export class ZeroShotRequestDto {
  @ModelName() model?: string;

  @TextInputs() inputs!: string | string[];

  @ApiProperty({ type: [String], minItems: 1, description: 'The labels to choose from (capped by BERTH_MAX_CANDIDATE_LABELS).' })
  @IsArray()
  @IsString({ each: true })
  candidate_labels!: string[];

  @ApiPropertyOptional({ default: 'This example is {}.', description: 'Hypothesis built per label; "{}" is replaced by the label.' })
  @IsOptional()
  @IsString()
  @Matches(/\{\}/, { message: 'hypothesis_template must contain "{}" where the label goes' })
  hypothesis_template?: string;

  @ApiPropertyOptional({
    default: false,
    description: 'Score each label independently (entailment vs contradiction) instead of a softmax across labels.',
  })
  @IsOptional()
  @IsBoolean()
  multi_label?: boolean;
}

export class ZeroShotItemDto {
  @ApiProperty() sequence!: string;
  @ApiProperty({ type: [String], description: 'Candidate labels, best first.' }) labels!: string[];
  @ApiProperty({ type: [Number], description: 'Scores aligned with labels.' }) scores!: number[];
  @ApiProperty() truncated!: boolean;
}

export class ZeroShotResponseDto extends ServedEnvelopeDto {
  @ApiProperty({ type: [ZeroShotItemDto] }) results!: ZeroShotItemDto[];
}
