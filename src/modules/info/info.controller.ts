import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Scope } from '../../http/scope.decorator';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { BERTH_VERSION } from './version';

export class LimitsDto {
  @ApiProperty({ description: 'Texts per request (client batch size cap).' }) max_inputs_per_request!: number;
  @ApiProperty() max_candidate_labels!: number;
  @ApiProperty({ description: 'Characters (code points) per text.' }) max_text_chars!: number;
  @ApiProperty() max_body_bytes!: number;
  @ApiProperty() max_archive_bytes!: number;
}

export class BatchingDto {
  @ApiProperty() enabled!: boolean;
  @ApiProperty() max_batch_size!: number;
  @ApiProperty() max_batch_tokens!: number;
  @ApiProperty() max_wait_ms!: number;
  @ApiProperty() max_queue!: number;
}

export class InfoModelDto {
  @ApiProperty() name!: string;
  @ApiProperty() task!: string;
  @ApiProperty() nli!: boolean;
  @ApiProperty() active_version!: number;
  @ApiProperty() status!: string;
  @ApiProperty() max_sequence_length!: number;
}

export class InfoDto {
  @ApiProperty({ example: 'berth' }) name!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ['cpu', 'cuda'] }) device!: string;
  @ApiProperty({ enum: ['starting', 'ready', 'failed', 'closed'] }) state!: string;
  @ApiProperty({ type: LimitsDto }) limits!: LimitsDto;
  @ApiProperty({ type: BatchingDto }) batching!: BatchingDto;
  @ApiProperty({ type: [InfoModelDto] }) models!: InfoModelDto[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Default model per task.' })
  defaults!: Record<string, string>;
}

@ApiTags('info')
@ApiBearerAuth()
@Scope('inference')
@Controller('info')
export class InfoController {
  constructor(
    @Inject(CORE_HOST) private readonly host: CoreHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Server version, limits, batching and models' })
  @ApiOkResponse({ type: InfoDto })
  info(): InfoDto {
    const core = this.host.peek();
    const models = core?.list() ?? [];
    const defaults: Record<string, string> = {};
    if (core) {
      for (const task of ['text-classification', 'nli', 'zero-shot', 'token-classification', 'question-answering', 'fill-mask', 'feature-extraction'] as const) {
        const name = core.defaultModelFor(task);
        if (name) defaults[task] = name;
      }
    }
    const { limits, batching } = this.config;
    return {
      name: 'berth',
      version: BERTH_VERSION,
      device: this.config.device,
      state: this.host.state(),
      limits: {
        max_inputs_per_request: limits.maxInputsPerRequest,
        max_candidate_labels: limits.maxCandidateLabels,
        max_text_chars: limits.maxTextChars,
        max_body_bytes: limits.bodyBytes,
        max_archive_bytes: limits.archiveBytes,
      },
      batching: {
        enabled: batching.enabled,
        max_batch_size: batching.maxBatchSize,
        max_batch_tokens: batching.maxBatchTokens,
        max_wait_ms: batching.maxWaitMs,
        max_queue: batching.maxQueue,
      },
      models: models.map((m) => ({
        name: m.name,
        task: m.task,
        nli: m.nli,
        active_version: m.active_version,
        status: m.status,
        max_sequence_length: m.max_sequence_length,
      })),
      defaults,
    };
  }
}
