import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { attachmentDisposition } from '../../http/content-disposition';
import { AcceptsBody, Scope } from '../../http/scope.decorator';
import { FileDeletedDto, FileListDto, FileObjectDto, FileTokenLengthsDto, ListFilesQueryDto, TokenLengthsQueryDto } from './files.dto';
import { fileObject, FilesService } from './files.service';

@ApiTags('files')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403, 404, 413, 500])
@Scope('admin')
@Controller('v1/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @HttpCode(200)
  @AcceptsBody('multipart')
  @ApiOperation({
    summary: 'Upload a dataset for fine-tuning (validated on upload; a bad file is refused with its line and problem, and not kept)',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file', 'purpose'],
      properties: {
        file: { type: 'string', format: 'binary' },
        purpose: { type: 'string', enum: ['fine-tune'] },
        task: {
          type: 'string',
          enum: ['classification', 'ner', 'qa', 'text'],
          description:
            'Guessed from the file when omitted (a .txt file that is not CoNLL columns is unlabeled text, for continued pre-training).',
        },
        model: { type: 'string', description: 'A served model whose tokenizer measures token lengths (optional).' },
      },
    },
  })
  @ApiOkResponse({ type: FileObjectDto })
  upload(@Req() request: FastifyRequest): Promise<FileObjectDto> {
    return this.files.upload(request);
  }

  @Get()
  @ApiOperation({ summary: 'List uploaded files, newest first' })
  @ApiOkResponse({ type: FileListDto })
  list(@Query() query: ListFilesQueryDto): Promise<FileListDto> {
    return this.files.list({ limit: query.limit ?? 10_000, after: query.after, purpose: query.purpose });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a file record' })
  @ApiOkResponse({ type: FileObjectDto })
  async get(@Param('id') id: string): Promise<FileObjectDto> {
    return fileObject(await this.files.get(id));
  }

  @Get(':id/content')
  @ApiOperation({ summary: "Download a file's content" })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  async content(@Param('id') id: string, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const { stream, file } = await this.files.content(id);
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(file.bytes))
      .header('content-disposition', attachmentDisposition(file.filename))
      .send(stream);
  }

  @Get(':id/token-lengths')
  @ApiOperation({
    summary: "A file's token-length distribution under a chosen model's tokenizer (percentiles and a histogram)",
    description: 'Reads the whole file again with that model’s tokenizer, as the upload does when it names a model.',
  })
  @ApiOkResponse({ type: FileTokenLengthsDto })
  tokenLengths(@Param('id') id: string, @Query() query: TokenLengthsQueryDto): Promise<FileTokenLengthsDto> {
    return this.files.tokenLengths(id, query.model);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a file (jobs that still need it will fail cleanly)' })
  @ApiOkResponse({ type: FileDeletedDto })
  delete(@Param('id') id: string): Promise<FileDeletedDto> {
    return this.files.delete(id);
  }
}
