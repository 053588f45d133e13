import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BerthMetrics } from '../metrics/metrics';
import type { JsonLogger } from './json-logger';
import type { StageTimings } from '../serving/contracts';

/** What the layers of one request learn about it, for its log line and metric labels. */
export interface RequestTelemetry {
  model?: string;
  task?: string;
  timings?: StageTimings;
}

const TELEMETRY = Symbol('berth.telemetry');
const STARTED = Symbol('berth.started');

type Tagged = FastifyRequest & { [TELEMETRY]?: RequestTelemetry; [STARTED]?: bigint };

export function telemetryOf(request: FastifyRequest): RequestTelemetry {
  const tagged = request as Tagged;
  tagged[TELEMETRY] ??= {};
  return tagged[TELEMETRY];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: keep a caller's sane `x-request-id`, otherwise make one. */
export function requestIdFor(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

/** Label for a request whose URL matched no route (kept constant so metrics stay bounded). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Per-request hooks: echo the request id, then, once the response is sent, write one JSON log
 * line and record the request metrics. This is the only place request metrics are recorded.
 */
export function installRequestHooks(fastify: FastifyInstance, logger: JsonLogger, metrics: BerthMetrics): void {
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    (request as Tagged)[STARTED] = process.hrtime.bigint();
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const started = (request as Tagged)[STARTED] ?? process.hrtime.bigint();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const route = request.routeOptions?.url ?? UNMATCHED_ROUTE;
    const t = telemetryOf(request);
    const status = reply.statusCode;
    metrics.recordRequest({
      route,
      method: request.method,
      status,
      model: t.model ?? '',
      task: t.task ?? '',
      seconds,
      stages: t.timings
        ? {
            tokenizationSeconds: t.timings.tokenizationMs / 1000,
            queueSeconds: t.timings.queueMs / 1000,
            inferenceSeconds: t.timings.inferenceMs / 1000,
          }
        : undefined,
    });
    logger.info(
      {
        request_id: request.id,
        method: request.method,
        route,
        url: request.url,
        status,
        ms: Math.round(seconds * 1e6) / 1e3,
        ...(t.model ? { model: t.model } : {}),
      },
      'request',
    );
  });
}
