import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorBodyDto } from '../../http/error-body.dto';
import { Scope } from '../../http/scope.decorator';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { LiveDto, ReadyDto } from './health.dto';
import { readiness } from './readiness';

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
