import { HttpException, HttpStatus } from '@nestjs/common';
import { EngineError } from '../engine/errors';
import { DomainError, ErrorCode, OverloadedError } from '../errors/domain-error';

/**
 * The one place where error codes become HTTP statuses. Services throw DomainError (or the engine
 * throws EngineError) with a code; this file decides what the wire says.
 *
 * Choices worth knowing:
 * - INPUT_TOO_LONG is 413: the request is well-formed but one of its texts exceeds the configured
 *   character limit, which is a size problem rather than a shape problem.
 * - MODEL_LOAD_FAILED is 422: the artifact that was uploaded or activated is readable as a request
 *   but cannot be loaded as a model; the previous version keeps serving.
 * - MODEL_NOT_READY is the only 503 an inference route gives. The Hugging Face client retries 503
 *   forever, so overload is 429 (with Retry-After) and a swap never fails a request.
 *   DATABASE_UNAVAILABLE (fleet mode, PostgreSQL down) is 503 on admin routes only: inference
 *   never touches the database.
 * - CLIENT_CLOSED is 499 (the client is gone; the status is only seen in logs and metrics).
 * - Anything unrecognised is 500, never a 4xx: an unknown error is a server bug.
 */
export function statusForCode(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'WRONG_TASK':
      return HttpStatus.BAD_REQUEST;
    case 'UNAUTHORIZED':
      return HttpStatus.UNAUTHORIZED;
    case 'FORBIDDEN':
      return HttpStatus.FORBIDDEN;
    case 'MODEL_NOT_FOUND':
    case 'VERSION_NOT_FOUND':
    case 'NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'CONFLICT':
      return HttpStatus.CONFLICT;
    case 'INPUT_TOO_LONG':
    case 'PAYLOAD_TOO_LARGE':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case 'REQUEST_TIMEOUT':
      return HttpStatus.REQUEST_TIMEOUT;
    case 'MODEL_LOAD_FAILED':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'OVERLOADED':
      return HttpStatus.TOO_MANY_REQUESTS;
    case 'CLIENT_CLOSED':
      return 499;
    case 'MODEL_NOT_READY':
    case 'DATABASE_UNAVAILABLE':
      return HttpStatus.SERVICE_UNAVAILABLE;
    case 'INTERNAL':
      return HttpStatus.INTERNAL_SERVER_ERROR;
    default: {
      const unhandled: never = code;
      void unhandled;
      return HttpStatus.INTERNAL_SERVER_ERROR;
    }
  }
}

/** Engine codes are open-ended strings: the ones that describe a bad model file are the caller's. */
function statusForEngineCode(code: string): number {
  switch (code) {
    case 'INVALID_MODEL_FILE':
    case 'UNSUPPORTED_MODEL':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    default:
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True for 5xx other than "still loading": logged with its stack. */
  serverFault: boolean;
}

/** Codes of Nest's own HttpExceptions (routing, body parsing) by status. */
function codeForHttpStatus(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_INPUT';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 406:
      return 'NOT_ACCEPTABLE';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'OVERLOADED';
    case 503:
      return 'MODEL_NOT_READY';
    default:
      return status >= 500 ? 'INTERNAL' : 'INVALID_INPUT';
  }
}

/** Errors Fastify raises itself before a route runs (body parsing, body size, content type). */
interface FastifyLikeError {
  code: string;
  statusCode: number;
  message: string;
}

function isFastifyError(e: unknown): e is FastifyLikeError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as FastifyLikeError).code === 'string' &&
    (e as FastifyLikeError).code.startsWith('FST_') &&
    typeof (e as FastifyLikeError).statusCode === 'number'
  );
}

/** The client went away mid-request (Node's "aborted" on a body being read, or a stream closed early). */
function isClientAbort(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e instanceof Error && e.message === 'aborted');
}

function body(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

export function mapError(e: unknown): MappedError {
  if (e instanceof DomainError) {
    const status = statusForCode(e.code);
    const headers: Record<string, string> = {};
    if (e instanceof OverloadedError) headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterSeconds)));
    else if (e.code === 'OVERLOADED') headers['retry-after'] = '1';
    else if (e.code === 'DATABASE_UNAVAILABLE') headers['retry-after'] = '5';
    if (e.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer';
    // Still loading is a state the server announces (readiness probes hit it every boot), not a fault.
    const serverFault = status >= 500 && e.code !== 'MODEL_NOT_READY' && e.code !== 'DATABASE_UNAVAILABLE';
    return { status, body: body(e.code, e.message, e.details ?? {}), headers, serverFault };
  }
  if (e instanceof EngineError) {
    const status = statusForEngineCode(e.code);
    return { status, body: body(e.code, e.message), headers: {}, serverFault: status >= 500 };
  }
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const response = e.getResponse();
    let message = e.message;
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const m = (response as { message: unknown }).message;
      if (typeof m === 'string') message = m;
      else if (Array.isArray(m)) message = m.join('; ');
    }
    return { status, body: body(codeForHttpStatus(status), message), headers: {}, serverFault: status >= 500 };
  }
  if (isFastifyError(e)) {
    const status = e.statusCode;
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.code === 'FST_REQ_FILE_TOO_LARGE' || status === 413) {
      return { status: 413, body: body('PAYLOAD_TOO_LARGE', e.message), headers: {}, serverFault: false };
    }
    if (status >= 400 && status < 500) {
      const code = e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_INPUT';
      return { status, body: body(code, e.message, { cause: e.code }), headers: {}, serverFault: false };
    }
  }
  if (isClientAbort(e)) {
    return {
      status: 499,
      body: body('CLIENT_CLOSED', 'the client closed the connection before the request was read'),
      headers: {},
      serverFault: false,
    };
  }
  if (e instanceof SyntaxError && (e as { statusCode?: number }).statusCode === 400) {
    return { status: 400, body: body('INVALID_INPUT', `malformed JSON: ${e.message}`), headers: {}, serverFault: false };
  }
  return {
    status: 500,
    body: body('INTERNAL', 'internal server error'),
    headers: {},
    serverFault: true,
  };
}
