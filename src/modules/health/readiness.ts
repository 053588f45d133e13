import { ModelNotReadyError } from '../../errors/domain-error';
import type { CoreHost } from '../core/core-host';
import type { ReadyDto } from './health.dto';

/** Readiness for the process as a whole; shared by /health/ready and KServe's /v2/health/ready. */
export function readiness(host: CoreHost): ReadyDto {
  const state = host.state();
  if (state !== 'ready') {
    const reason =
      state === 'failed'
        ? `the serving core failed to start: ${host.failureMessage() ?? 'unknown error'}`
        : state === 'closed'
          ? 'the server is shutting down'
          : 'the server is still loading its models';
    throw new ModelNotReadyError(reason);
  }
  const models = host
    .get()
    .list()
    .map((m) => ({ name: m.name, status: m.status, active_version: m.active_version }));
  return { status: 'ready', models };
}
