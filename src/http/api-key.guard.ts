import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { AccessScope, SCOPE_KEY } from './scope.decorator';

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
 * key) or FORBIDDEN (a valid key without the scope). Used by the guard and by the /docs hook.
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

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const scope =
      this.reflector.getAllAndOverride<AccessScope | undefined>(SCOPE_KEY, [context.getHandler(), context.getClass()]) ?? 'admin';
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    authorize(this.config, scope, request.headers.authorization);
    return true;
  }
}
