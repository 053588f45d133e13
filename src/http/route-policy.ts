import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { sendError } from './all-exceptions.filter';
import { authorize } from './api-keys';
import type { JsonLogger } from './json-logger';
import { lingerOnClose } from './lingering-close';
import { BodyKind, policyOf } from './scope.decorator';

/**
 * The checks that run before a route reads a single byte of its body, in Fastify's onRequest hook:
 * the API key against the route's scope, then the body's media type against what the route takes.
 * A client without a key, or with a body the route does not take, costs the server its headers
 * only; nothing is buffered for it.
 */

/** Media types of a raw model archive body (passed to the route as a stream, never buffered). */
export const ARCHIVE_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream'];
const MULTIPART = 'multipart/form-data';
const JSON_TYPE = 'application/json';

const ACCEPTED: Record<BodyKind, readonly string[]> = {
  json: [JSON_TYPE],
  archive: [...ARCHIVE_TYPES, MULTIPART],
  multipart: [MULTIPART],
};

/** The media type without parameters, lower-cased (`Application/JSON; charset=utf-8` → `application/json`). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function checkBody(request: FastifyRequest, kind: BodyKind, config: AppConfig): void {
  if (!hasBody(request)) return;
  const type = mediaType(request.headers['content-type']);
  const accepted = ACCEPTED[kind];
  if (!accepted.includes(type)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `this route takes ${accepted.join(' or ')} bodies, not "${type || 'none'}"`, {
      content_type: type,
      accepted,
    });
  }
  const declared = Number(request.headers['content-length']);
  if (kind === 'archive' && declared > config.limits.archiveBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `the archive is larger than the upload limit of ${config.limits.archiveBytes} bytes`, {
      limit: config.limits.archiveBytes,
    });
  }
}

/** A fleet worker (`BERTH_ROLE=worker`) trains and answers only its health and its metrics. */
const WORKER_ROUTES = /^\/(health\/|metrics$)/;

function checkRole(request: FastifyRequest, config: AppConfig): void {
  if (config.fleet.role !== 'worker' || WORKER_ROUTES.test(request.routeOptions.url ?? '')) return;
  throw new DomainError('NOT_FOUND', 'this process is a fleet worker: it serves only /health/live, /health/ready and /metrics', {
    role: 'worker',
  });
}

export function installRoutePolicy(fastify: FastifyInstance, config: AppConfig, logger: JsonLogger): void {
  // Archive bodies reach their route as the raw request stream; the route bounds what it reads.
  fastify.addContentTypeParser(ARCHIVE_TYPES, (_request, payload, done) => done(null, payload));
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return;
    const policy = policyOf(request.routeOptions.config);
    try {
      checkRole(request, config);
      authorize(config, policy.scope, request.headers.authorization);
      checkBody(request, policy.body, config);
    } catch (err) {
      // The body is never read: close the connection rather than drain what the client still sends,
      // lingering briefly so the client reads this answer rather than a reset (lingering-close.ts).
      if (hasBody(request)) {
        void reply.header('connection', 'close');
        lingerOnClose(request.raw);
      }
      sendError(err, request, reply, logger);
      return reply;
    }
  });
}
