import type { ModelRepository } from './model-repository';

/**
 * A replica of a fleet follows the model registry (fleet mode: PostgreSQL). An activation or a
 * rollback made anywhere is announced; on each announcement the replica converges — loads and
 * warms the version beside the serving one, flips, drains — exactly as a single server swaps.
 * After a lost connection the announcements in between are gone, so the replica reads the whole
 * registry again and converges to every entry: the stored state, not the stream, is the truth.
 */
export interface RegistryFeed {
  /** Every model's active version, as the registry holds it now. */
  activeVersions(): Promise<ReadonlyMap<string, number>>;
  /** Calls `listener` on each announced activation; returns the unsubscribe function. */
  onActivation(listener: (model: string, version: number) => void): () => void;
  /** Calls `listener` after the connection that carries announcements was lost and is back. */
  onReconnect(listener: () => void): () => void;
}

export interface RegistrySyncLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Starts following; returns the function that stops it. */
export function followRegistry(models: ModelRepository, feed: RegistryFeed, logger?: RegistrySyncLogger): () => void {
  const converge = (model: string, version: number): Promise<void> =>
    models.converge(model, version).then(
      (info) => logger?.info({ model, version, serving: info.active_version }, 'converged to the registry'),
      (err: unknown) => logger?.warn({ model, version, err: (err as Error).message }, 'could not converge to the registry'),
    );
  const resync = async (): Promise<void> => {
    try {
      for (const [model, version] of await feed.activeVersions()) await converge(model, version);
    } catch (err) {
      logger?.warn({ err: (err as Error).message }, 'could not read the registry to converge');
    }
  };
  const stops = [feed.onActivation((model, version) => void converge(model, version)), feed.onReconnect(() => void resync())];
  return () => stops.forEach((stop) => stop());
}
