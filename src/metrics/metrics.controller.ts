import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scope } from '../http/scope.decorator';
import { BerthMetrics } from './metrics';

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
}
