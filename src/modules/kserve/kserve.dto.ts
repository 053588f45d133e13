import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsDefined, IsInt, IsObject, IsOptional, IsString, Min, MinLength, ValidateNested } from 'class-validator';

/**
 * Open Inference Protocol (KServe v2) request and response bodies, JSON form. The @nestjs/swagger
 * CLI plugin documents these classes from their types and JSDoc comments; explicit decorators only
 * add what a type cannot say (tensor data of any element type).
 */

export class InferInputTensorDto {
  /**
   * text (and text_pair) for classification, NER, fill-mask and embeddings; question and context for QA.
   * @example text
   */
  @IsString() @MinLength(1) name!: string;
  /** @example [2] */
  @IsArray() @IsInt({ each: true }) @Min(0, { each: true }) shape!: number[];
  /**
   * Text inputs are BYTES, sent as JSON strings.
   * @example BYTES
   */
  @IsString() datatype!: string;
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  /**
   * Row-major, flat or nested.
   * @example ['I loved it', 'Dreadful']
   */
  @ApiProperty({ type: 'array', items: {} })
  @IsDefined()
  @IsArray()
  data!: unknown[];
}

export class InferRequestedOutputDto {
  @IsString() @MinLength(1) name!: string;
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
}

export class InferRequestDto {
  @IsOptional() @IsString() id?: string;
  /** Task parameters as the /v1 endpoints name them (function_to_apply, candidate_labels, aggregation_strategy, top_k, ...). */
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @IsArray() @ArrayNotEmpty() @ValidateNested({ each: true }) @Type(() => InferInputTensorDto) inputs!: InferInputTensorDto[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => InferRequestedOutputDto) outputs?: InferRequestedOutputDto[];
}

export class InferOutputTensorDto {
  name!: string;
  datatype!: 'BYTES' | 'FP32' | 'INT64';
  shape!: number[];
  @ApiProperty({ type: 'array', items: {} }) data!: unknown[];
}

export class InferResponseDto {
  model_name!: string;
  model_version!: string;
  id?: string;
  outputs!: InferOutputTensorDto[];
}

export class TensorMetadataDto {
  name!: string;
  datatype!: string;
  shape!: number[];
}

export class ModelMetadataDto {
  name!: string;
  versions!: string[];
  /** @example onnxruntime_onnx */
  platform!: string;
  inputs!: TensorMetadataDto[];
  outputs!: TensorMetadataDto[];
}

export class ServerMetadataDto {
  name!: string;
  version!: string;
  extensions!: string[];
}

export class ServerLiveDto {
  live!: boolean;
}

export class ServerReadyDto {
  ready!: boolean;
}

export class ModelReadyDto {
  name!: string;
  ready!: boolean;
}
