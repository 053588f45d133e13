import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional } from 'class-validator';
import { ModelName, TextInputs } from '../../../http/validation';
import { ServedEnvelopeDto } from './common.dto';

export class FillMaskParamsDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 5 }) @IsOptional() @IsInt() top_k?: number;
}

export class FillMaskRequestDto extends FillMaskParamsDto {
  @ModelName() model?: string;

  @TextInputs('A text with the mask token, or an array of them.') inputs!: string | string[];
}

export class FillMaskCandidateDto {
  @ApiProperty() score!: number;
  @ApiProperty() token!: number;
  @ApiProperty() token_str!: string;
  @ApiProperty() sequence!: string;
}

export class FillMaskResponseDto extends ServedEnvelopeDto {
  @ApiProperty({ type: 'array', items: { type: 'array', items: { $ref: '#/components/schemas/FillMaskCandidateDto' } } })
  results!: FillMaskCandidateDto[][];
}
