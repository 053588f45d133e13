import { ApiProperty } from '@nestjs/swagger';

export class LabelScoreDto {
  @ApiProperty({ example: 'positive' }) label!: string;
  @ApiProperty({ example: 0.93 }) score!: number;
}

/** Every /v1 inference response names the model and version that served it. */
export class ServedEnvelopeDto {
  @ApiProperty({ description: 'The model that served the request.' }) model!: string;
  @ApiProperty({ description: 'The model version that served the request.' }) version!: number;
}
