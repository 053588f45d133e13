import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpServerLimits } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { mapError } from './error-mapping';

/**
 * Fastify's `serverFactory`: a plain Node HTTP server with every timeout set. Node checks the
 * request and header deadlines on a timer (30 s apart by default); it runs here at a quarter of
 * the request timeout (between 0.1 and 1 s), so a slow client is cut off close to its deadline.
 */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpServer(handler: RequestHandler, limits: HttpServerLimits): Server {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4))),
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

function clientErrorFor(err: NodeJS.ErrnoException): DomainError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new DomainError('REQUEST_TIMEOUT', 'the request was not received in time; the connection is closed');
    case 'HPE_HEADER_OVERFLOW':
      return new DomainError('PAYLOAD_TOO_LARGE', 'the request headers are too large');
    default:
      return new DomainError('INVALID_INPUT', 'malformed HTTP request');
  }
}

/**
 * Fastify's `clientErrorHandler`: errors Node raises on a connection before a route can answer
 * (timeouts, malformed requests) leave in the same JSON error shape as every other error, and the
 * connection is closed.
 */
export function writeClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const mapped = mapError(clientErrorFor(err));
  if (socket.writable) {
    const body = JSON.stringify(mapped.body);
    socket.write(
      `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
