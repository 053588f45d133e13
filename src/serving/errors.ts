/**
 * The serving core's lifecycle conflicts. Both are CONFLICT (409): the model exists, but its state
 * does not allow the call; the error says which call changes that.
 */
import { DomainError } from '../errors/domain-error';

/** Inference on a model that was unloaded on request. */
export class ModelUnloadedError extends DomainError {
  constructor(model: string) {
    super('CONFLICT', `model "${model}" is unloaded; load it (POST /v1/models/${model}/load) to serve it again`, {
      model,
      status: 'unloaded',
    });
  }
}

/** A rollback with nothing to return to: the active version is the first one ever activated. */
export class NoPreviousVersionError extends DomainError {
  constructor(model: string, activeVersion: number) {
    super('CONFLICT', `model "${model}" has no previous version to roll back to (version ${activeVersion} is the first one activated)`, {
      model,
      active_version: activeVersion,
    });
  }
}
