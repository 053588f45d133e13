import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { ModelName, TextInputs } from '../../../http/validation';
import { ServedEnvelopeDto } from './common.dto';

export class EmbeddingsParamsDto {
  @ApiPropertyOptional({ enum: ['cls', 'mean', 'none'], description: "'none' returns one vector per token." })
  @IsOptional()
  @IsIn(['cls', 'mean', 'none'])
  pooling?: 'cls' | 'mean' | 'none';

  @ApiPropertyOptional({ description: 'L2-normalise each vector.' }) @IsOptional() @IsBoolean() normalize?: boolean;
}

export class EmbeddingsRequestDto extends EmbeddingsParamsDto {
  @ModelName() model?: string;

  @TextInputs() inputs!: string | string[];
}

export class EmbeddingItemDto {
  @ApiProperty({
    description: '[dim] when pooled, [tokens][dim] with pooling none.',
    oneOf: [
      { type: 'array', items: { type: 'number' } },
      { type: 'array', items: { type: 'array', items: { type: 'number' } } },
    ],
  })
  embedding!: number[] | number[][];
  @ApiPropertyOptional({ type: [String] }) tokens?: string[];
  @ApiProperty() truncated!: boolean;
}

export class EmbeddingsResponseDto extends ServedEnvelopeDto {
  @ApiProperty({ type: [EmbeddingItemDto] }) results!: EmbeddingItemDto[];
}
