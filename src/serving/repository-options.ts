/** What a model repository is built with: where models live, how sessions run, who hears about it. */
import type { GraphVariant } from '../engine/nn/graph-variant';
import type { BatchingOptions } from '../runtime/batcher';
import type { Device } from '../runtime/onnx-session';
import type { ActivationLog } from './activation-log';
import type { ServedTask, ServingObserver } from './contracts';

export type DefaultableTask = ServedTask | 'nli' | 'zero-shot';

export interface RepositoryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ModelRepositoryOptions {
  /** Read-only embedded models (each subdirectory an HF layout directory). */
  modelsDir: string;
  /** Writable: versions and active pointers live under `<dataDir>/models`. */
  dataDir: string;
  device: Device;
  intraOpThreads?: number;
  interOpThreads?: number;
  threadSpinning?: boolean;
  /** The inference graph variant to serve (fused ops, int8 weights); default plain float32. */
  graph?: GraphVariant;
  batching: BatchingOptions;
  defaults?: Partial<Record<DefaultableTask, string>>;
  observer?: ServingObserver;
  logger?: RepositoryLogger;
  /** Where activations and rollbacks are recorded; default: the model store (active.json, history.json). */
  activationLog?: ActivationLog;
  /**
   * The version each model starts on, when a registry outside this process says so (fleet mode);
   * a model it does not name, or names with a version not on disk, starts on its local pointer.
   */
  initialVersions?: ReadonlyMap<string, number>;
}
