import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ModelVersionDto {
  @ApiProperty() version!: number;
  @ApiProperty({ enum: ['embedded', 'imported', 'fine-tuned'] }) source!: 'embedded' | 'imported' | 'fine-tuned';
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty() size_bytes!: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'How this version was trained and evaluated.' })
  metrics?: Record<string, unknown>;
}

export class ModelDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['text-classification', 'token-classification', 'question-answering', 'fill-mask', 'feature-extraction'] })
  task!: 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';
  @ApiProperty({ description: 'Also serves NLI and zero-shot classification.' }) nli!: boolean;
  @ApiProperty() architecture!: string;
  @ApiProperty({ type: [String] }) labels!: string[];
  @ApiProperty() max_sequence_length!: number;
  @ApiProperty({ type: [ModelVersionDto] }) versions!: ModelVersionDto[];
  @ApiProperty() active_version!: number;
  @ApiProperty({ enum: ['cpu', 'cuda'] }) device!: 'cpu' | 'cuda';
  @ApiProperty() load_time_ms!: number;
  @ApiProperty({ description: 'False when the model has no model.safetensors: servable, not fine-tunable.' }) fine_tunable!: boolean;
  @ApiProperty({
    enum: ['loading', 'ready', 'failed', 'unloaded'],
    description: 'unloaded: released on request; inference on it answers 409 CONFLICT until POST /v1/models/{name}/load.',
  })
  status!: 'loading' | 'ready' | 'failed' | 'unloaded';
}

export class ModelListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [ModelDto] }) data!: ModelDto[];
}

export class ImportedVersionDto {
  @ApiProperty({ type: ModelVersionDto }) version!: ModelVersionDto;
  @ApiPropertyOptional({ type: ModelDto, description: 'The model after activation, when activate=true.' }) model?: ModelDto;
}
