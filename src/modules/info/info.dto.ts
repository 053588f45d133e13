import { ApiProperty } from '@nestjs/swagger';
import type { CoreState } from '../core/core-host';

/** Response body of /info (documented by the @nestjs/swagger CLI plugin from types and JSDoc comments). */

export class LimitsDto {
  /** Texts per request (client batch size cap). */
  max_inputs_per_request!: number;
  max_candidate_labels!: number;
  /** Characters (code points) per text. */
  max_text_chars!: number;
  max_body_bytes!: number;
  max_archive_bytes!: number;
}

export class BatchingDto {
  enabled!: boolean;
  max_batch_size!: number;
  max_batch_tokens!: number;
  max_wait_ms!: number;
  max_queue!: number;
}

export class InfoModelDto {
  name!: string;
  task!: string;
  nli!: boolean;
  active_version!: number;
  status!: string;
  max_sequence_length!: number;
}

export class InfoDto {
  /** @example berth */
  name!: string;
  version!: string;
  @ApiProperty({ enum: ['cpu', 'cuda'] }) device!: string;
  // Listed explicitly: the plugin would order a union's values as the compiler happens to create them.
  @ApiProperty({ enum: ['starting', 'ready', 'failed', 'closed'] }) state!: CoreState;
  limits!: LimitsDto;
  batching!: BatchingDto;
  models!: InfoModelDto[];
  /** Default model per task. */
  defaults?: Record<string, string>;
}
