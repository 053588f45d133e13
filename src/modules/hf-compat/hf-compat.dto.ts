import { ApiProperty } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';

/** `{inputs, parameters}` as the Hugging Face Inference API takes it; `inputs` is checked per task. */
export class HfRequestDto {
  /** Task-dependent: a text or array of texts; {text, text_pair} for pair classification; {question, context} (or an array) for question answering. */
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: {} }, { type: 'object', additionalProperties: true }] })
  @IsDefined()
  inputs!: unknown;

  /** The task's parameters, as the Hugging Face pipeline names them. */
  @IsOptional()
  @IsObject()
  parameters?: Record<string, unknown>;

  /** Accepted for compatibility (wait_for_model, use_cache); ignored. */
  @IsOptional()
  @IsObject()
  options?: Record<string, unknown>;
}

export class HfClassifyParamsDto {
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) @Max(100000) top_k?: number | null;
  @IsOptional() @IsIn(['softmax', 'sigmoid', 'none']) function_to_apply?: 'softmax' | 'sigmoid' | 'none';
}

export class HfZeroShotParamsDto {
  /** An array, or a comma-separated string as the Hugging Face pipeline also accepts. */
  @ValidateBy({
    name: 'candidateLabels',
    validator: {
      validate: (v: unknown) =>
        (typeof v === 'string' && v.trim().length > 0) ||
        (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0)),
      defaultMessage: () => 'candidate_labels must be a non-empty array of non-empty strings, or a comma-separated string',
    },
  })
  candidate_labels!: string[] | string;
  @IsOptional()
  @IsString()
  @Matches(/\{\}/, { message: 'hypothesis_template must contain "{}" where the label goes' })
  hypothesis_template?: string;
  @IsOptional() @IsBoolean() multi_label?: boolean;
}
