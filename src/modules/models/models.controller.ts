import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import '@fastify/multipart';
import { Readable } from 'node:stream';
import { InvalidInputError } from '../../errors/domain-error';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { ARCHIVE_TYPES } from '../../http/route-policy';
import { AcceptsBody, Scope } from '../../http/scope.decorator';
import { ImportedVersionDto, ImportVersionQueryDto, ModelDto, ModelListDto } from './models.dto';
import { ModelsService } from './models.service';

@ApiTags('models')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403, 404, 409, 413, 422, 503, 500])
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @Scope('inference')
  @ApiOperation({ summary: 'List models with their task, labels, versions and status' })
  @ApiOkResponse({ type: ModelListDto })
  list(): ModelListDto {
    return { object: 'list', data: this.models.list() };
  }

  @Get(':name')
  @Scope('inference')
  @ApiOperation({ summary: 'Inspect one model' })
  @ApiOkResponse({ type: ModelDto })
  get(@Param('name') name: string): Promise<ModelDto> {
    return this.models.inspect(name);
  }

  @Post(':name/versions/:version/activate')
  @HttpCode(200)
  @Scope('admin')
  @ApiOperation({ summary: 'Activate (or roll back to) a version: loaded and warmed beside the active one, then swapped in' })
  @ApiOkResponse({ type: ModelDto })
  activate(@Param('name') name: string, @Param('version', new ParseIntPipe({ exceptionFactory: () => new InvalidInputError('version must be an integer') })) version: number): Promise<ModelDto> {
    return this.models.activate(name, version);
  }

  @Post(':name/rollback')
  @HttpCode(200)
  @Scope('admin')
  @ApiOperation({
    summary: 'Return to the version that was active before the current one (hot-swapped like an activation)',
    description: 'Each activation remembers the version it replaced, on disk; rollbacks walk back through them. 409 CONFLICT when there is none.',
  })
  @ApiOkResponse({ type: ModelDto })
  rollback(@Param('name') name: string): Promise<ModelDto> {
    return this.models.rollback(name);
  }

  @Post(':name/unload')
  @HttpCode(200)
  @Scope('admin')
  @ApiOperation({
    summary: 'Stop serving a model and release its session',
    description: 'Requests in flight finish first. Afterwards the model reports status "unloaded" and inference on it answers 409 CONFLICT.',
  })
  @ApiOkResponse({ type: ModelDto })
  unload(@Param('name') name: string): Promise<ModelDto> {
    return this.models.unload(name);
  }

  @Post(':name/load')
  @HttpCode(200)
  @Scope('admin')
  @ApiOperation({ summary: 'Load and warm the active version of an unloaded (or failed) model; a ready model is left as it is' })
  @ApiOkResponse({ type: ModelDto })
  load(@Param('name') name: string): Promise<ModelDto> {
    return this.models.load(name);
  }

  @Post(':name/versions')
  @Scope('admin')
  @AcceptsBody('archive')
  @ApiOperation({
    summary: 'Upload a new version as a .tar.gz of a Hugging Face layout directory (raw body, or multipart field "file")',
  })
  @ApiConsumes('application/gzip', 'application/octet-stream', 'multipart/form-data')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: ImportedVersionDto })
  async importVersion(@Param('name') name: string, @Query() query: ImportVersionQueryDto, @Req() request: FastifyRequest): Promise<ImportedVersionDto> {
    const archive = await archiveStream(request, this.models.maxArchiveBytes);
    return this.models.importArchive(name, archive, query.activate ?? false);
  }
}

/** The archive as a stream: the raw body (never buffered), or the multipart field "file". */
async function archiveStream(request: FastifyRequest, maxBytes: number): Promise<Readable> {
  if (request.isMultipart()) {
    // One byte past the limit, so the import's own count reports the overflow (multipart truncates silently).
    const part = await request.file({ limits: { fileSize: maxBytes + 1 } });
    if (!part) throw new InvalidInputError('the multipart body has no file part');
    return part.file;
  }
  const body = request.body;
  if (!(body instanceof Readable)) {
    throw new InvalidInputError(`send the archive as the request body (Content-Type one of ${ARCHIVE_TYPES.join(', ')}) or as multipart field "file"`);
  }
  return body;
}

