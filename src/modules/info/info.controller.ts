import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Scope } from '../../http/scope.decorator';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { InfoDto } from './info.dto';
import { BERTH_VERSION } from '../../config/version';

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
      for (const task of [
        'text-classification',
        'nli',
        'zero-shot',
        'token-classification',
        'question-answering',
        'fill-mask',
        'feature-extraction',
      ] as const) {
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
