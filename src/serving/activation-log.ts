/**
 * The seam for activation broadcast. The model repository tells its activation log about every
 * activation and rollback made on this server, and asks it where a rollback goes; a replica is
 * told about activations made elsewhere through `ModelRepository.converge`.
 *
 * A single server uses the model store itself (`active.json` and `history.json`). A fleet of
 * replicas would supply a log that also records the change in shared storage and announces it;
 * each other replica, on the announcement, calls `converge(name, version)`.
 */
export interface ActivationLog {
  /**
   * `to` becomes the active version of `name`; `from` (the version serving until now) is
   * remembered for a rollback. Called once `to` is loaded and warm, before any request sees it:
   * a throw abandons the swap and `from` keeps serving.
   */
  recordActivation(name: string, from: number, to: number): void | Promise<void>;
  /** The version a rollback from `active` returns to, or undefined when there is none. */
  previousVersion(name: string, active: number): number | undefined | Promise<number | undefined>;
  /** A rollback to `to` (a result of `previousVersion`): it becomes active and leaves the history. Called as `recordActivation` is. */
  recordRollback(name: string, to: number): void | Promise<void>;
}
