import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsDefined, IsInt, IsObject, IsOptional, IsString, Min, MinLength, ValidateNested } from 'class-validator';

/** Open Inference Protocol (KServe v2) request and response bodies, JSON form. */

export class InferInputTensorDto {
  @ApiProperty({ example: 'text', description: 'text (and text_pair) for classification, NER, fill-mask and embeddings; question and context for QA.' })
  @IsString() @MinLength(1) name!: string;
  @ApiProperty({ type: [Number], example: [2] }) @IsArray() @IsInt({ each: true }) @Min(0, { each: true }) shape!: number[];
  @ApiProperty({ example: 'BYTES', description: 'Text inputs are BYTES, sent as JSON strings.' }) @IsString() datatype!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @ApiProperty({ type: 'array', items: {}, example: ['I loved it', 'Dreadful'], description: 'Row-major, flat or nested.' })
  @IsDefined() @IsArray() data!: unknown[];
}

export class InferRequestedOutputDto {
  @ApiProperty() @IsString() @MinLength(1) name!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() parameters?: Record<string, unknown>;
}

export class InferRequestDto {
  @ApiPropertyOptional() @IsOptional() @IsString() id?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "Task parameters as the /v1 endpoints name them (function_to_apply, candidate_labels, aggregation_strategy, top_k, ...).",
  })
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @ApiProperty({ type: [InferInputTensorDto] })
  @IsArray() @ArrayNotEmpty() @ValidateNested({ each: true }) @Type(() => InferInputTensorDto) inputs!: InferInputTensorDto[];
  @ApiPropertyOptional({ type: [InferRequestedOutputDto] })
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => InferRequestedOutputDto) outputs?: InferRequestedOutputDto[];
}

export class InferOutputTensorDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['BYTES', 'FP32', 'INT64'] }) datatype!: 'BYTES' | 'FP32' | 'INT64';
  @ApiProperty({ type: [Number] }) shape!: number[];
  @ApiProperty({ type: 'array', items: {} }) data!: unknown[];
}

export class InferResponseDto {
  @ApiProperty() model_name!: string;
  @ApiProperty() model_version!: string;
  @ApiPropertyOptional() id?: string;
  @ApiProperty({ type: [InferOutputTensorDto] }) outputs!: InferOutputTensorDto[];
}

export class TensorMetadataDto {
  @ApiProperty() name!: string;
  @ApiProperty() datatype!: string;
  @ApiProperty({ type: [Number] }) shape!: number[];
}

export class ModelMetadataDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) versions!: string[];
  @ApiProperty({ example: 'onnxruntime_onnx' }) platform!: string;
  @ApiProperty({ type: [TensorMetadataDto] }) inputs!: TensorMetadataDto[];
  @ApiProperty({ type: [TensorMetadataDto] }) outputs!: TensorMetadataDto[];
}

export class ServerMetadataDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ type: [String] }) extensions!: string[];
}

export class ServerLiveDto {
  @ApiProperty() live!: boolean;
}

export class ServerReadyDto {
  @ApiProperty() ready!: boolean;
}

export class ModelReadyDto {
  @ApiProperty() name!: string;
  @ApiProperty() ready!: boolean;
}
