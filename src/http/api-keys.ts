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

/** What a request's key grants: `admin`, `inference`, or `none` (no key sent while keys are on). Auth off grants `admin`. */
export type KeyScope = 'admin' | 'inference' | 'none';

/** The scope of the `authorization` header's key; throws UNAUTHORIZED for a key that is not configured. */
export function keyScope(config: AppConfig, authorization: string | string[] | undefined): KeyScope {
  const auth = config.auth;
  if (!auth.enabled) return 'admin';
  const token = bearerToken(authorization);
  if (!token) return 'none';
  if (matchesAny(token, auth.adminKeys)) return 'admin';
  if (matchesAny(token, auth.inferenceKeys)) return 'inference';
  throw new DomainError('UNAUTHORIZED', 'unknown API key');
}

/**
 * Decides whether the `authorization` header grants `scope`; throws UNAUTHORIZED (no or unknown
 * key) or FORBIDDEN (a valid key without the scope). Called by the route policy hook before any body is read.
 */
export function authorize(config: AppConfig, scope: AccessScope, authorization: string | string[] | undefined): void {
  if (!config.auth.enabled || scope === 'public') return;
  if (scope === 'metrics' && config.auth.publicMetrics) return;
  const granted = keyScope(config, authorization);
  if (granted === 'none') throw new DomainError('UNAUTHORIZED', 'an API key is required (Authorization: Bearer <key>)');
  if (scope === 'admin' && granted !== 'admin') throw new DomainError('FORBIDDEN', 'this route needs an admin key', { scope });
}
