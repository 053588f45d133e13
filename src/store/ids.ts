import { randomBytes } from 'node:crypto';

/** OpenAI-style identifiers (`file-…`, `ftjob-…`): a prefix and 24 random base-62 characters. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    if (bytes[i] < 248) out += ALPHABET[bytes[i] % 62];
  }
  while (out.length < length) out += ALPHABET[randomBytes(1)[0] % 62];
  return `${prefix}-${out}`;
}

/** Unix seconds, as the OpenAI API reports times. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
