import { ApiProperty } from '@nestjs/swagger';
import { QueryBool } from '../../http/validation';

/**
 * Request and response shapes of /v1/models. The @nestjs/swagger CLI plugin documents these classes from their
 * types and JSDoc comments; explicit decorators only add what a type cannot say.
 */

export class ModelVersionDto {
  version!: number;
  source!: 'embedded' | 'imported' | 'fine-tuned';
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  size_bytes!: number;
  /** How this version was trained and evaluated. */
  metrics?: Record<string, unknown>;
}

export class ModelDto {
  name!: string;
  task!: 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';
  /** Also serves NLI and zero-shot classification. */
  nli!: boolean;
  architecture!: string;
  labels!: string[];
  max_sequence_length!: number;
  versions!: ModelVersionDto[];
  /** The version this server serves (in a fleet: this replica). */
  active_version!: number;
  /**
   * Fleet mode only (`GET /v1/models/{name}`): the registry's active version, which every replica
   * converges to (a model never activated: its default version); null when the database cannot be
   * reached. Absent on a single server.
   */
  registry_active_version?: number | null;
  device!: 'cpu' | 'cuda';
  load_time_ms!: number;
  /** False when the model has no weights (model.safetensors or pytorch_model.bin): servable, not fine-tunable. */
  fine_tunable!: boolean;
  /** unloaded: released on request; inference on it answers 409 CONFLICT until POST /v1/models/{name}/load. */
  // Listed explicitly: the plugin would order a union's values as the compiler happens to create them.
  @ApiProperty({ enum: ['loading', 'ready', 'failed', 'unloaded'] })
  status!: 'loading' | 'ready' | 'failed' | 'unloaded';
}

export class ModelListDto {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  data!: ModelDto[];
}

export class ImportedVersionDto {
  version!: ModelVersionDto;
  /** The model after activation, when activate=true. */
  model?: ModelDto;
}

/** `POST /v1/models/{name}/versions` query parameters. */
export class ImportVersionQueryDto {
  /** Activate the new version once imported. */
  @QueryBool()
  activate?: boolean;
}
