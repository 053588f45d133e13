import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { QueryBool, QueryInt } from '../../http/validation';
import type { EventLevel, EventType, JobStatus } from '../../store';

/**
 * Request and response bodies of /v1/fine_tuning/jobs. The @nestjs/swagger CLI plugin documents
 * these classes from their types and JSDoc comments; explicit decorators only add what a type
 * cannot say (single-value enums, examples of objects, length limits).
 */

/** `POST /v1/fine_tuning/jobs`, as the OpenAI fine-tuning API takes it, plus Berth's fields. */
export class CreateJobDto {
  /** The base model (a served, fine-tunable model). */
  @IsString()
  @MinLength(1)
  model!: string;

  /** Id of an uploaded file (purpose fine-tune). */
  @IsString()
  @MinLength(1)
  training_file!: string;

  /** Id of an uploaded validation file; without one a seeded share of the training rows is held out (10%). */
  @IsOptional()
  @IsString()
  validation_file?: string | null;

  /** Legacy OpenAI placement of the hyperparameters: n_epochs (or epochs, default 3), batch_size ("auto" or an integer), learning_rate_multiplier (× 5e-5; "auto" runs a learning-rate sweep) or learning_rate, patience (early stopping, in epochs), warmup_ratio, weight_decay, max_seq_length, validation_split, lora_r, lora_alpha, lora_dropout, lora_targets, adapter_reduction, prompt_tokens. */
  @IsOptional()
  @IsObject()
  hyperparameters?: Record<string, unknown>;

  /**
   * {type: full|lora|adapter|head|prompt|distill (OpenAI's "supervised" means full), <type>: {hyperparameters: {…}}}. n_epochs (or epochs, default 3), batch_size ("auto" or an integer), learning_rate_multiplier (× 5e-5; "auto" runs a learning-rate sweep: short trials, the best on validation wins) or learning_rate, patience (early stopping, in epochs), warmup_ratio, weight_decay, max_seq_length, validation_split, lora_r, lora_alpha, lora_dropout, lora_targets, adapter_reduction, prompt_tokens. distill: {teacher: "<model>", transfer_file (optional: the id of an uploaded plain-text file the teacher labels for the student; classification and NER), hyperparameters: {student_layers (default half the model's, alternate layers), temperature (2), alpha (0.5), …}}: the model cut to student_layers learns α·T²·KL(teacher ‖ student) + (1 − α)·CE(labels), transfer rows from the soft term alone.
   * @example {"type": "distill", "distill": {"teacher": "berth-mini-sentiment", "hyperparameters": {"n_epochs": 3, "student_layers": 2, "temperature": 2, "alpha": 0.5}}}
   */
  @IsOptional()
  @IsObject()
  method?: Record<string, unknown>;

  /** Names the output model <base>-ft-<suffix>; without it the result is the next version of the base model. */
  @ApiPropertyOptional({ maxLength: 40 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/, { message: 'suffix must be 1–40 letters, digits, "_" or "-"' })
  suffix?: string;

  /** Seed for shuffling, dropout and the held-out split (default 42). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2147483647)
  seed?: number;

  /** Up to 16 string pairs, returned as given. */
  @IsOptional()
  @IsObject()
  metadata?: Record<string, string>;

  /** Activate the new version when it finishes, if it loads, answers golden inputs sanely and scores at least as well as the active version. */
  @IsOptional()
  @IsBoolean()
  auto_activate?: boolean;

  /** Accepted for compatibility; must be empty. */
  @IsOptional()
  integrations?: unknown[] | null;
}

export class JobErrorDto {
  code!: string;
  message!: string;
  param!: string | null;
}

export class JobObjectDto {
  /** @example ftjob-AbC123 */
  id!: string;
  @ApiProperty({ enum: ['fine_tuning.job'] }) object!: 'fine_tuning.job';
  /** Unix seconds. */
  created_at!: number;
  finished_at!: number | null;
  model!: string;
  /** The model that serves the result (with berth.version). */
  fine_tuned_model!: string | null;
  organization_id!: string;
  status!: JobStatus;
  training_file!: string;
  validation_file!: string | null;
  hyperparameters!: Record<string, unknown>;
  method!: Record<string, unknown>;
  trained_tokens!: number | null;
  error!: JobErrorDto | null;
  result_files!: string[];
  seed!: number;
  suffix!: string | null;
  metadata!: Record<string, string> | null;
  estimated_finish!: number | null;
  integrations!: unknown[] | null;
  /** task, auto_activate, version, progress, result (selected metrics, activation decision). */
  berth!: Record<string, unknown>;
}

export class JobListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  data!: JobObjectDto[];
  has_more!: boolean;
}

export class JobEventDto {
  id!: string;
  @ApiProperty({ enum: ['fine_tuning.job.event'] }) object!: 'fine_tuning.job.event';
  created_at!: number;
  level!: EventLevel;
  message!: string;
  type!: EventType;
  data!: Record<string, unknown> | null;
}

export class JobEventListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  data!: JobEventDto[];
  has_more!: boolean;
}

export class JobCheckpointDto {
  id!: string;
  @ApiProperty({ enum: ['fine_tuning.job.checkpoint'] }) object!: 'fine_tuning.job.checkpoint';
  created_at!: number;
  /** The model version holding this checkpoint (only the selected one is kept). */
  fine_tuned_model_checkpoint!: string | null;
  fine_tuning_job_id!: string;
  metrics!: Record<string, unknown>;
  step_number!: number;
}

export class JobCheckpointListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  data!: JobCheckpointDto[];
  has_more!: boolean;
  first_id?: string | null;
  last_id?: string | null;
}

/** `GET /v1/fine_tuning/jobs` query parameters. */
export class ListJobsQueryDto {
  /** 1–100, default 20 */
  @QueryInt(1, 100)
  limit?: number;
  /** Id of the last job of the previous page */
  @IsOptional()
  @IsString()
  after?: string;
}

/** `GET /v1/fine_tuning/jobs/{id}/events` query parameters. */
export class ListEventsQueryDto {
  /** 1–1000, default 20 */
  @QueryInt(1, 1000)
  limit?: number;
  /** Id of the last event of the previous page */
  @IsOptional()
  @IsString()
  after?: string;
  @QueryBool()
  stream?: boolean;
}

/** `GET /v1/fine_tuning/jobs/{id}/checkpoints` query parameters. */
export class ListCheckpointsQueryDto {
  /** 1–100, default 10 */
  @QueryInt(1, 100)
  limit?: number;
  @IsOptional()
  @IsString()
  after?: string;
}
