/** The error body every route answers with (documented by the @nestjs/swagger CLI plugin). */

export class ErrorDetailDto {
  /**
   * Stable machine-readable code.
   * @example INVALID_INPUT
   */
  code!: string;
  /** @example 'invalid request: inputs: must be a non-empty string' */
  message!: string;
  /** Code-specific fields (for validation: the field list). */
  details?: Record<string, unknown>;
}

export class ErrorBodyDto {
  error!: ErrorDetailDto;
}
