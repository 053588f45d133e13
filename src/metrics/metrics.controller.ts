import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scope } from '../http/scope.decorator';
import { BerthMetrics } from './metrics';
import { MetricsSummaryDto } from './metrics.dto';

@ApiTags('metrics')
@Scope('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(BerthMetrics) private readonly metrics: BerthMetrics) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, text } = await this.metrics.render();
    await reply.header('content-type', contentType).send(text);
  }

  @Get('summary')
  @ApiOperation({
    summary: 'Requests per second and p95 latency per model over the last minute, as JSON',
    description: 'For live views (the console) that would otherwise parse the text format and keep their own history.',
  })
  @ApiOkResponse({ type: MetricsSummaryDto })
  summary(): MetricsSummaryDto {
    return { window_seconds: this.metrics.recent.windowSeconds, models: this.metrics.recent.summary() };
  }
}
