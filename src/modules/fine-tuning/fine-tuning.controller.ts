import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { pathRedactor, type PathRedactor } from '../../http/path-redaction';
import { Scope } from '../../http/scope.decorator';
import { sendEventStream } from '../../http/sse';
import {
  CreateJobDto,
  JobCheckpointListDto,
  JobEventListDto,
  JobListDto,
  JobObjectDto,
  ListCheckpointsQueryDto,
  ListEventsQueryDto,
  ListJobsQueryDto,
} from './fine-tuning.dto';
import { FineTuningService } from './fine-tuning.service';
import { jobObject } from './job-objects';

@ApiTags('fine-tuning')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403, 404, 409, 500, 503])
@Scope('admin')
@Controller('v1/fine_tuning/jobs')
export class FineTuningController {
  /** Server-sent events bypass the JSON hook that redacts server paths; they are redacted here. */
  private readonly redact: PathRedactor;

  constructor(
    private readonly jobs: FineTuningService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.redact = pathRedactor(config);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a fine-tuning job (checked against the model and files before it is queued)' })
  @ApiOkResponse({ type: JobObjectDto })
  create(@Body() body: CreateJobDto): Promise<JobObjectDto> {
    return this.jobs.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List fine-tuning jobs, newest first' })
  @ApiOkResponse({ type: JobListDto })
  list(@Query() query: ListJobsQueryDto): Promise<JobListDto> {
    return this.jobs.list(query.limit ?? 20, query.after);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a fine-tuning job' })
  @ApiOkResponse({ type: JobObjectDto })
  async get(@Param('id') id: string): Promise<JobObjectDto> {
    return jobObject(await this.jobs.get(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a job: a queued job at once, a running one within seconds; no version is written' })
  @ApiOkResponse({ type: JobObjectDto })
  cancel(@Param('id') id: string): Promise<JobObjectDto> {
    return this.jobs.cancel(id);
  }

  @Get(':id/events')
  @ApiOperation({
    summary:
      "A job's events, newest first; with stream=true a server-sent event stream (oldest first, then live) that ends when the job does",
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: JobEventListDto })
  async events(
    @Param('id') id: string,
    @Query() query: ListEventsQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobEventListDto | undefined> {
    if (!query.stream) return this.jobs.events(id, query.limit ?? 20, query.after);
    sendEventStream(reply, await this.jobs.eventStream(id, query.after), { redact: this.redact });
    return undefined;
  }

  @Get(':id/checkpoints')
  @ApiOperation({ summary: "A job's checkpoints (one per evaluation; the selected one is the version written)" })
  @ApiOkResponse({ type: JobCheckpointListDto })
  checkpoints(@Param('id') id: string, @Query() query: ListCheckpointsQueryDto): Promise<JobCheckpointListDto> {
    return this.jobs.checkpoints(id, query.limit ?? 10, query.after);
  }
}
