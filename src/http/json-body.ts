import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../errors/domain-error';

/**
 * The JSON body parser: Fastify's own (prototype-poisoning checks included), after a linear scan
 * that refuses bodies nested deeper than MAX_JSON_DEPTH. Validation walks a body recursively, so
 * without this bound a small body nested 300,000 levels deep overflows the stack (a 500) instead
 * of being refused as the client's mistake. No other body is parsed as JSON: a form-encoded or
 * text body on a JSON route is refused with 415 before it is read (see route-policy.ts).
 */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in a JSON text, with strings skipped. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

export function installJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (jsonDepth(text) > MAX_JSON_DEPTH) {
        done(
          new InvalidInputError(`the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`, { limit: MAX_JSON_DEPTH }),
          undefined,
        );
        return;
      }
      parse(request, text, done);
    },
  );
}
