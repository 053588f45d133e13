import { ModelNotReadyError } from '../../errors/domain-error';
import type { InferenceApi, ModelRepositoryApi, ServingObserver } from '../../serving/contracts';
import type { AppConfig } from '../../config/app-config';

/** What the HTTP layer needs from the serving core: the two contract facades plus lifecycle. */
export type ServingCoreHandle = InferenceApi &
  ModelRepositoryApi & {
    close(): Promise<void>;
    inFlight(): number;
  };

export interface CoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Builds (loads and warms) a core. Production uses the real ServingCore; tests inject fakes. */
export type CoreFactory = (config: AppConfig, observer: ServingObserver, logger: CoreLogger) => Promise<ServingCoreHandle>;

export type CoreState = 'starting' | 'ready' | 'failed' | 'closed';

/**
 * Owns the serving core for the app's lifetime. The HTTP server starts listening before the models
 * are loaded (so liveness answers at once); until the core is up, inference answers 503
 * MODEL_NOT_READY and /health/ready says why.
 */
export class CoreHost {
  private core: ServingCoreHandle | undefined;
  private starting: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor(
    private readonly factory: CoreFactory,
    private readonly config: AppConfig,
    private readonly observer: ServingObserver,
    private readonly logger: CoreLogger,
  ) {
    this.started = new Promise<void>((resolve) => (this.markStarted = resolve));
  }

  /** Resolves once start() has finished, whatever its outcome (it does not start the core). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /** Starts the core once; later calls return the same promise. Never rejects: failure is a state. */
  start(): Promise<void> {
    this.starting ??= this.factory(this.config, this.observer, this.logger).then(
      async (core) => {
        if (this.closed) {
          await core.close();
          return;
        }
        this.core = core;
      },
      (err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.logger.error({ err: this.failure.message, stack: this.failure.stack }, 'serving core failed to start');
      },
    );
    void this.starting.then(this.markStarted);
    return this.starting;
  }

  state(): CoreState {
    if (this.closed) return 'closed';
    if (this.core) return this.core.isReady() ? 'ready' : 'starting';
    return this.failure ? 'failed' : 'starting';
  }

  failureMessage(): string | undefined {
    return this.failure?.message;
  }

  /** The core, or MODEL_NOT_READY while it is still loading (or failed to). */
  get(): ServingCoreHandle {
    if (!this.core || this.closed) {
      throw new ModelNotReadyError(
        this.failure ? `the serving core failed to start: ${this.failure.message}` : 'the server is still loading its models',
      );
    }
    return this.core;
  }

  /** The core when it exists, even if not every model is ready (for listings). */
  peek(): ServingCoreHandle | undefined {
    return this.closed ? undefined : this.core;
  }

  inFlight(): number {
    return this.core?.inFlight() ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.starting;
    const core = this.core;
    this.core = undefined;
    if (core) await core.close();
  }
}

export const CORE_HOST = Symbol('CORE_HOST');
