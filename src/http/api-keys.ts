import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import type { AccessScope } from './scope.decorator';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function matchesAny(token: string, keys: readonly string[]): boolean {
  const t = digest(token);
  let found = false;
  // Compare against every key (no early exit) in constant time per key.
  for (const key of keys) if (timingSafeEqual(t, digest(key))) found = true;
  return found;
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

/**
 * Decides whether the `authorization` header grants `scope`; throws UNAUTHORIZED (no or unknown
 * key) or FORBIDDEN (a valid key without the scope). Called by the route policy hook before any body is read.
 */
export function authorize(config: AppConfig, scope: AccessScope, authorization: string | string[] | undefined): void {
  const auth = config.auth;
  if (!auth.enabled || scope === 'public') return;
  if (scope === 'metrics' && auth.publicMetrics) return;
  const token = bearerToken(authorization);
  if (!token) throw new DomainError('UNAUTHORIZED', 'an API key is required (Authorization: Bearer <key>)');
  const isAdmin = matchesAny(token, auth.adminKeys);
  const isInference = isAdmin || matchesAny(token, auth.inferenceKeys);
  if (!isInference) throw new DomainError('UNAUTHORIZED', 'unknown API key');
  if (scope === 'admin' && !isAdmin) throw new DomainError('FORBIDDEN', 'this route needs an admin key', { scope });
}
