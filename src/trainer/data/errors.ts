import { EngineError } from '../../engine/errors';

/**
 * A dataset file that cannot be used for training: the message names the file, the 1-based line
 * (when there is one), the field (when it matters) and the problem, so a user can fix the file
 * without guessing. The HTTP layer turns the code into a 4xx; the fields stay machine-readable.
 */
export class DatasetError extends EngineError {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super('INVALID_DATASET', DatasetError.format(file, problem, line, field));
  }

  private static format(file: string, problem: string, line?: number, field?: string): string {
    const where = [line === undefined ? '' : `line ${line}`, field === undefined ? '' : `field "${field}"`]
      .filter(Boolean)
      .join(', ');
    return where ? `${file}: ${where}: ${problem}` : `${file}: ${problem}`;
  }
}
