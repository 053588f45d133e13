/**
 * Errors raised by the engine. The engine is a plain library: it knows nothing of HTTP, so its
 * errors carry a stable code and let the delivery layer (CLI, HTTP filter) decide how to show them.
 */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A file that is missing, unreadable or malformed. The message names the file and the problem. */
export class FormatError extends EngineError {
  constructor(
    readonly file: string,
    readonly problem: string,
    code = 'INVALID_MODEL_FILE',
  ) {
    super(code, `${file}: ${problem}`);
  }
}

/** A model whose architecture or configuration the engine cannot build. */
export class UnsupportedModelError extends EngineError {
  constructor(message: string) {
    super('UNSUPPORTED_MODEL', message);
  }
}
