import { BadRequestException, NotFoundException } from '@nestjs/common';
import { EngineError, FormatError, UnsupportedModelError } from '../engine/errors';
import { DomainError, ErrorCode, OverloadedError, WrongTaskError } from '../errors/domain-error';
import { mapError, statusForCode } from './error-mapping';

describe('error mapping', () => {
  // The documented table (error-mapping.ts); every ErrorCode must appear here.
  const TABLE: Record<ErrorCode, number> = {
    INVALID_INPUT: 400,
    WRONG_TASK: 400,
    INPUT_TOO_LONG: 413,
    PAYLOAD_TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    REQUEST_TIMEOUT: 408,
    MODEL_NOT_FOUND: 404,
    VERSION_NOT_FOUND: 404,
    NOT_FOUND: 404,
    CONFLICT: 409,
    MODEL_NOT_READY: 503,
    DATABASE_UNAVAILABLE: 503,
    MODEL_LOAD_FAILED: 422,
    OVERLOADED: 429,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    CLIENT_CLOSED: 499,
    INTERNAL: 500,
  };

  it.each(Object.entries(TABLE))('%s → %i', (code, status) => {
    expect(statusForCode(code as ErrorCode)).toBe(status);
    const mapped = mapError(new DomainError(code as ErrorCode, 'm', { a: 1 }));
    expect(mapped.status).toBe(status);
    expect(mapped.body).toEqual({ error: { code, message: 'm', details: { a: 1 } } });
    expect(mapped.serverFault).toBe(status >= 500 && code !== 'MODEL_NOT_READY' && code !== 'DATABASE_UNAVAILABLE');
  });

  it('still loading (503) is not logged as a server fault; an internal domain error is', () => {
    expect(mapError(new DomainError('MODEL_NOT_READY', 'loading')).serverFault).toBe(false);
    expect(mapError(new DomainError('INTERNAL', 'broken')).serverFault).toBe(true);
  });

  it('the only 503s are MODEL_NOT_READY and the database outage of admin routes (the HF client retries 503 forever)', () => {
    expect(
      Object.entries(TABLE)
        .filter(([, s]) => s === 503)
        .map(([c]) => c)
        .sort(),
    ).toEqual(['DATABASE_UNAVAILABLE', 'MODEL_NOT_READY']);
  });

  it('overload carries Retry-After (rounded up, at least 1); 401 carries WWW-Authenticate', () => {
    expect(mapError(new OverloadedError('full', 2.2)).headers).toEqual({ 'retry-after': '3' });
    expect(mapError(new OverloadedError('full', 0)).headers).toEqual({ 'retry-after': '1' });
    expect(mapError(new DomainError('UNAUTHORIZED', 'no key')).headers).toEqual({ 'www-authenticate': 'Bearer' });
  });

  it('keeps subclass details (wrong task names the model task)', () => {
    const mapped = mapError(new WrongTaskError('m', 'token-classification', 'text-classification'));
    expect(mapped.status).toBe(400);
    expect(mapped.body.error.details).toEqual({ model: 'm', task: 'token-classification', expected: 'text-classification' });
  });

  it('engine model-file errors are 422, other engine errors 500', () => {
    expect(mapError(new FormatError('config.json', 'bad')).status).toBe(422);
    expect(mapError(new UnsupportedModelError('gpt2')).status).toBe(422);
    expect(mapError(new EngineError('SHAPE_MISMATCH', 'x')).status).toBe(500);
  });

  it("Nest's HttpExceptions keep their status with a code", () => {
    expect(mapError(new NotFoundException('Cannot GET /x')).body.error).toEqual({
      code: 'NOT_FOUND',
      message: 'Cannot GET /x',
      details: {},
    });
    expect(mapError(new BadRequestException('bad')).status).toBe(400);
  });

  it('unknown errors are 500 and never leak their message', () => {
    for (const e of [new Error('secret'), new TypeError('secret'), 'a string', null, { statusCode: 400 }]) {
      const mapped = mapError(e);
      expect(mapped.status).toBe(500);
      expect(mapped.body.error).toEqual({ code: 'INTERNAL', message: 'internal server error', details: {} });
      expect(mapped.serverFault).toBe(true);
    }
  });
});
