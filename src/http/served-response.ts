import type { ServedBy } from '../serving/contracts';

/**
 * What an inference controller returns: the body to send plus who served it. The served-response
 * interceptor turns `servedBy` into the `x-model-*` and `x-*-time` headers and the request's
 * metric labels, so no controller sets headers or records metrics itself.
 */
export class ServedResponse<T> {
  constructor(
    readonly servedBy: ServedBy,
    readonly task: string,
    readonly body: T,
  ) {}
}
