import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError, MappedError } from './error-mapping';
import type { JsonLogger } from './json-logger';

/** Writes a mapped error to the wire; shared by the Nest filter and Fastify's own error handler. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: JsonLogger): MappedError {
  const mapped = mapError(error);
  if (mapped.serverFault) {
    const e = error instanceof Error ? error : new Error(String(error));
    logger.error({ request_id: request.id, err: e.message, name: e.name, stack: e.stack }, 'unhandled error');
  } else if (mapped.body.error.code === 'CLIENT_CLOSED') {
    logger.info({ request_id: request.id, url: request.url }, 'the client closed the connection');
  }
  if (!reply.sent && !reply.raw.headersSent) {
    void reply.status(mapped.status).headers(mapped.headers).type('application/json; charset=utf-8').send(mapped.body);
  }
  return mapped;
}

/** The one exception filter: every error leaves as `{ error: { code, message, details } }`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}
