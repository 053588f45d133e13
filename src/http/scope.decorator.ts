import { SetMetadata } from '@nestjs/common';

/**
 * Who may call a route when API keys are configured:
 * - `public`: anyone (health);
 * - `metrics`: anyone if BERTH_PUBLIC_METRICS (default), otherwise an inference key;
 * - `inference`: an inference or admin key;
 * - `admin`: an admin key.
 * A route without a scope is treated as `admin`, so a forgotten decorator fails closed.
 */
export type AccessScope = 'public' | 'metrics' | 'inference' | 'admin';

export const SCOPE_KEY = 'berth:scope';

export const Scope = (scope: AccessScope): MethodDecorator & ClassDecorator => SetMetadata(SCOPE_KEY, scope);
