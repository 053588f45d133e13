import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { ClientSignal } from '../../http/client-signal.decorator';
import { Scope } from '../../http/scope.decorator';
import { ServedResponse } from '../../http/served-response';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { readiness } from '../health/readiness';
import { BERTH_VERSION } from '../../config/version';
import {
  InferRequestDto,
  InferResponseDto,
  ModelMetadataDto,
  ModelReadyDto,
  ServerLiveDto,
  ServerMetadataDto,
  ServerReadyDto,
} from './kserve.dto';
import { KServeService } from './kserve.service';

@ApiTags('kserve-v2')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403, 404, 409, 413, 429, 503, 500])
@Scope('inference')
@Controller('v2')
export class KServeController {
  constructor(
    private readonly kserve: KServeService,
    @Inject(CORE_HOST) private readonly host: CoreHost,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Server metadata' })
  @ApiOkResponse({ type: ServerMetadataDto })
  server(): ServerMetadataDto {
    return { name: 'berth', version: BERTH_VERSION, extensions: [] };
  }

  @Get('health/live')
  @Scope('public')
  @ApiOperation({ summary: 'Server liveness' })
  @ApiOkResponse({ type: ServerLiveDto })
  live(): ServerLiveDto {
    return { live: true };
  }

  @Get('health/ready')
  @Scope('public')
  @ApiOperation({ summary: 'Server readiness (503 while loading)' })
  @ApiOkResponse({ type: ServerReadyDto })
  ready(): ServerReadyDto {
    readiness(this.host);
    return { ready: true };
  }

  @Get('models/:model')
  @ApiOperation({ summary: 'Model metadata: versions and input/output tensors' })
  @ApiOkResponse({ type: ModelMetadataDto })
  metadata(@Param('model') model: string): ModelMetadataDto {
    return this.kserve.metadata(model);
  }

  @Get('models/:model/ready')
  @ApiOperation({ summary: 'Model readiness' })
  @ApiOkResponse({ type: ModelReadyDto })
  modelReady(@Param('model') model: string): ModelReadyDto {
    return this.kserve.modelReady(model);
  }

  @Get('models/:model/versions/:version')
  @ApiOperation({ summary: 'Model version metadata' })
  @ApiOkResponse({ type: ModelMetadataDto })
  versionMetadata(@Param('model') model: string, @Param('version') version: string): ModelMetadataDto {
    return this.kserve.metadata(model, version);
  }

  @Post('models/:model/infer')
  @HttpCode(200)
  @ApiOperation({ summary: 'Inference on the active version' })
  @ApiOkResponse({ type: InferResponseDto })
  infer(
    @Param('model') model: string,
    @Body() dto: InferRequestDto,
    @ClientSignal() signal: AbortSignal,
  ): Promise<ServedResponse<InferResponseDto>> {
    return this.kserve.infer(model, undefined, dto, signal);
  }

  @Post('models/:model/versions/:version/infer')
  @HttpCode(200)
  @ApiOperation({ summary: 'Inference on a named version (it must be the active one)' })
  @ApiOkResponse({ type: InferResponseDto })
  inferVersion(
    @Param('model') model: string,
    @Param('version') version: string,
    @Body() dto: InferRequestDto,
    @ClientSignal() signal: AbortSignal,
  ): Promise<ServedResponse<InferResponseDto>> {
    return this.kserve.infer(model, version, dto, signal);
  }
}
