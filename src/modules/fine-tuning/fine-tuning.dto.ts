import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

const HYPERPARAMETERS_DOC =
  'n_epochs (or epochs), batch_size ("auto" or an integer), learning_rate_multiplier (× 5e-5) or learning_rate, warmup_ratio, ' +
  'weight_decay, max_seq_length, validation_split, lora_r, lora_alpha, lora_dropout, lora_targets, adapter_reduction, prompt_tokens.';

/** `POST /v1/fine_tuning/jobs`, as the OpenAI fine-tuning API takes it, plus Berth's fields. */
export class CreateJobDto {
  @ApiProperty({ description: 'The base model (a served, fine-tunable model).' })
  @IsString()
  @MinLength(1)
  model!: string;

  @ApiProperty({ description: 'Id of an uploaded file (purpose fine-tune).' })
  @IsString()
  @MinLength(1)
  training_file!: string;

  @ApiPropertyOptional({ description: 'Id of an uploaded validation file; without one a seeded share of the training rows is held out (10%).', nullable: true, type: String })
  @IsOptional()
  @IsString()
  validation_file?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `Legacy OpenAI placement of the hyperparameters: ${HYPERPARAMETERS_DOC}` })
  @IsOptional()
  @IsObject()
  hyperparameters?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      '{type: full|lora|adapter|head|prompt (OpenAI\'s "supervised" means full), <type>: {hyperparameters: {…}}}. ' + HYPERPARAMETERS_DOC,
    example: { type: 'lora', lora: { hyperparameters: { n_epochs: 3, lora_r: 8 } } },
  })
  @IsOptional()
  @IsObject()
  method?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Names the output model <base>-ft-<suffix>; without it the result is the next version of the base model.', maxLength: 40 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/, { message: 'suffix must be 1–40 letters, digits, "_" or "-"' })
  suffix?: string;

  @ApiPropertyOptional({ description: 'Seed for shuffling, dropout and the held-out split (default 42).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2147483647)
  seed?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Up to 16 string pairs, returned as given.' })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Activate the new version when it finishes, if it loads, answers golden inputs sanely and scores at least as well as the active version.' })
  @IsOptional()
  @IsBoolean()
  auto_activate?: boolean;

  @ApiPropertyOptional({ description: 'Accepted for compatibility; must be empty.', type: 'array', items: { type: 'object' }, nullable: true })
  @IsOptional()
  integrations?: unknown[] | null;
}

export class JobErrorDto {
  @ApiProperty() code!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ nullable: true, type: String }) param!: string | null;
}

export class JobObjectDto {
  @ApiProperty({ example: 'ftjob-AbC123' }) id!: string;
  @ApiProperty({ enum: ['fine_tuning.job'] }) object!: 'fine_tuning.job';
  @ApiProperty({ description: 'Unix seconds.' }) created_at!: number;
  @ApiProperty({ nullable: true, type: Number }) finished_at!: number | null;
  @ApiProperty() model!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The model that serves the result (with berth.version).' }) fine_tuned_model!: string | null;
  @ApiProperty() organization_id!: string;
  @ApiProperty({ enum: ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty() training_file!: string;
  @ApiProperty({ nullable: true, type: String }) validation_file!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) hyperparameters!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) method!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: Number }) trained_tokens!: number | null;
  @ApiProperty({ nullable: true, type: JobErrorDto }) error!: JobErrorDto | null;
  @ApiProperty({ type: [String] }) result_files!: string[];
  @ApiProperty() seed!: number;
  @ApiProperty({ nullable: true, type: String }) suffix!: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string> | null;
  @ApiProperty({ nullable: true, type: Number }) estimated_finish!: number | null;
  @ApiProperty({ nullable: true, type: 'array', items: { type: 'object' } }) integrations!: unknown[] | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'task, auto_activate, version, progress, result (selected metrics, activation decision).' })
  berth!: Record<string, unknown>;
}

export class JobListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [JobObjectDto] }) data!: JobObjectDto[];
  @ApiProperty() has_more!: boolean;
}

export class JobEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['fine_tuning.job.event'] }) object!: 'fine_tuning.job.event';
  @ApiProperty() created_at!: number;
  @ApiProperty({ enum: ['info', 'warn', 'error'] }) level!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: ['message', 'metrics'] }) type!: string;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) data!: Record<string, unknown> | null;
}

export class JobEventListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [JobEventDto] }) data!: JobEventDto[];
  @ApiProperty() has_more!: boolean;
}

export class JobCheckpointDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['fine_tuning.job.checkpoint'] }) object!: 'fine_tuning.job.checkpoint';
  @ApiProperty() created_at!: number;
  @ApiProperty({ nullable: true, type: String, description: 'The model version holding this checkpoint (only the selected one is kept).' })
  fine_tuned_model_checkpoint!: string | null;
  @ApiProperty() fine_tuning_job_id!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metrics!: Record<string, unknown>;
  @ApiProperty() step_number!: number;
}

export class JobCheckpointListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [JobCheckpointDto] }) data!: JobCheckpointDto[];
  @ApiProperty() has_more!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) first_id!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) last_id!: string | null;
}

