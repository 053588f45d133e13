import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ModelNotReadyError } from '../../errors/domain-error';
import { ErrorBodyDto } from '../../http/error-body.dto';
import { Scope } from '../../http/scope.decorator';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { LiveDto, ReadyDto } from './health.dto';

/** Readiness for the process as a whole; shared by /health/ready and KServe's /v2/health/ready. */
export function readiness(host: CoreHost): ReadyDto {
  const state = host.state();
  if (state !== 'ready') {
    const reason =
      state === 'failed'
        ? `the serving core failed to start: ${host.failureMessage() ?? 'unknown error'}`
        : state === 'closed'
          ? 'the server is shutting down'
          : 'the server is still loading its models';
    throw new ModelNotReadyError(reason);
  }
  const models = host.get().list().map((m) => ({ name: m.name, status: m.status, active_version: m.active_version }));
  return { status: 'ready', models };
}

@ApiTags('health')
@Scope('public')
@Controller('health')
export class HealthController {
  constructor(@Inject(CORE_HOST) private readonly host: CoreHost) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LiveDto })
  live(): LiveDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 once the models are loaded and warmed, 503 before' })
  @ApiOkResponse({ type: ReadyDto })
  @ApiServiceUnavailableResponse({ type: ErrorBodyDto })
  ready(): ReadyDto {
    return readiness(this.host);
  }
}
