/**
 * Errors raised by Berth's own services. A DomainError carries a stable SCREAMING_SNAKE code, never
 * an HTTP status: the transport mapping lives at the edge, in the one exception filter.
 */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'INPUT_TOO_LONG'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_TIMEOUT'
  | 'MODEL_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'WRONG_TASK'
  | 'MODEL_NOT_READY'
  | 'DATABASE_UNAVAILABLE'
  | 'MODEL_LOAD_FAILED'
  | 'OVERLOADED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CLIENT_CLOSED'
  | 'INTERNAL';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_INPUT', message, details);
  }
}

export class InputTooLongError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INPUT_TOO_LONG', message, details);
  }
}

export class ModelNotFoundError extends DomainError {
  constructor(model: string) {
    super('MODEL_NOT_FOUND', `model "${model}" is not loaded`, { model });
  }
}

export class VersionNotFoundError extends DomainError {
  constructor(model: string, version: number | string) {
    super('VERSION_NOT_FOUND', `model "${model}" has no version ${version}`, { model, version });
  }
}

export class WrongTaskError extends DomainError {
  constructor(model: string, modelTask: string, wanted: string) {
    super('WRONG_TASK', `model "${model}" is a ${modelTask} model; this endpoint needs ${wanted}`, {
      model,
      task: modelTask,
      expected: wanted,
    });
  }
}

export class ModelNotReadyError extends DomainError {
  constructor(message = 'the server is still loading its models') {
    super('MODEL_NOT_READY', message);
  }
}

export class ModelLoadError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('MODEL_LOAD_FAILED', message, details);
  }
}

/** Past the admission limit: answered fast with 429 and Retry-After, never 503. */
export class OverloadedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super('OVERLOADED', message, { retry_after_seconds: retryAfterSeconds });
  }
}

export class ClientClosedError extends DomainError {
  constructor() {
    super('CLIENT_CLOSED', 'the client closed the request before it was served');
  }
}

/**
 * Fleet mode's database cannot be reached: admin routes (files, jobs, model management) answer 503
 * until it is back; inference never needs it.
 */
export class DatabaseUnavailableError extends DomainError {
  constructor(readonly causeMessage: string) {
    // The cause (a host and port, a server message) stays out of the answer: clients need only the state.
    super('DATABASE_UNAVAILABLE', 'the database is unavailable; retry shortly', { retry_after_seconds: 5 });
  }
}
