import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';

/**
 * Who may call a route when API keys are configured:
 * - `public`: anyone (health);
 * - `metrics`: anyone if BERTH_PUBLIC_METRICS (default), otherwise an inference key;
 * - `inference`: an inference or admin key;
 * - `admin`: an admin key.
 * A route without a scope is treated as `admin`, so a forgotten decorator fails closed.
 */
export type AccessScope = 'public' | 'metrics' | 'inference' | 'admin';

/**
 * The bodies a route takes: `json` (the default: `application/json`, within the JSON body limit),
 * `archive` (a model archive as a raw stream or multipart, within the archive limit) or
 * `multipart` (a dataset upload, streamed).
 */
export type BodyKind = 'json' | 'archive' | 'multipart';

/** What a route accepts, decided in Fastify's onRequest hook before any byte of the body is read. */
export interface RoutePolicy {
  scope: AccessScope;
  body: BodyKind;
}

/** The key under the Fastify route config where a route's policy is kept. */
export const ROUTE_POLICY_KEY = 'berth';

type RouteConfig = { [ROUTE_POLICY_KEY]?: Partial<RoutePolicy> } & Record<string, unknown>;

/**
 * Merges `patch` into a handler's Fastify route config. Nest copies a handler's metadata onto the
 * route it registers, so the policy is readable as `request.routeOptions.config` in onRequest.
 */
function setPolicy(handler: object, patch: Partial<RoutePolicy>, keepExisting: boolean): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as RouteConfig | undefined) ?? {};
  const current = config[ROUTE_POLICY_KEY] ?? {};
  const merged = keepExisting ? { ...patch, ...current } : { ...current, ...patch };
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [ROUTE_POLICY_KEY]: merged }, handler);
}

/** Handlers of a controller class: every own method of its prototype but the constructor. */
function handlersOf(target: { prototype: object }): object[] {
  const proto = target.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => name !== 'constructor' && typeof proto[name] === 'function')
    .map((name) => proto[name] as object);
}

/**
 * On a handler: that route's scope. On a controller: the scope of each of its routes that has none
 * of its own (method decorators run before class decorators, so theirs are already set).
 */
export const Scope =
  (scope: AccessScope): MethodDecorator & ClassDecorator =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) setPolicy(descriptor.value as object, { scope }, false);
    else for (const handler of handlersOf(target as { prototype: object })) setPolicy(handler, { scope }, true);
  };

/** The body a route takes, when it is not JSON. */
export const AcceptsBody =
  (body: Exclude<BodyKind, 'json'>): MethodDecorator =>
  (_target: object, _key: string | symbol, descriptor: PropertyDescriptor) => {
    setPolicy(descriptor.value as object, { body }, false);
  };

/** The policy of a matched route; a Nest route without a scope is `admin` (fails closed). */
export function policyOf(config: unknown): RoutePolicy {
  const given = (config as RouteConfig | undefined)?.[ROUTE_POLICY_KEY] ?? {};
  return { scope: given.scope ?? 'admin', body: given.body ?? 'json' };
}
