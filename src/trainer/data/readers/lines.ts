import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface NumberedLine {
  /** The line without its terminator (LF, CRLF or CR) and, on line 1, without a UTF-8 BOM. */
  text: string;
  /** 1-based. */
  line: number;
}

/** Streams a text file line by line, so large datasets never sit in memory as one string. */
export async function* readLines(path: string): AsyncGenerator<NumberedLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line++;
      yield { text: line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw, line };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

export function isBlank(text: string): boolean {
  return text.trim() === '';
}
