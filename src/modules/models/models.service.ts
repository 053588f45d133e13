import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { InvalidInputError, ModelNotFoundError } from '../../errors/domain-error';
import type { ModelInfo, ModelVersionInfo } from '../../serving/contracts';
import { MODEL_NAME } from '../../http/validation';
import type { PgActivationLog, PostgresStore } from '../../store/postgres';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { FLEET_STORE } from '../core/fleet-store';
import { extractModelArchive } from './archive-import';

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name)) {
    throw new InvalidInputError(`"${name}" is not a valid model name (letters, digits, ".", "_", "-"; at most 64 characters)`, { model: name });
  }
  return name;
}

@Injectable()
export class ModelsService {
  /** Fleet mode's model registry, read for `registry_active_version`. */
  private readonly registry: PgActivationLog | undefined;

  constructor(
    @Inject(CORE_HOST) private readonly host: CoreHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FLEET_STORE) fleet: PostgresStore | undefined,
  ) {
    this.registry = fleet?.activationLog(() => []);
  }

  list(): ModelInfo[] {
    return this.host.get().list();
  }

  get(name: string): ModelInfo {
    checkModelName(name);
    return this.host.get().get(name);
  }

  /** One model; in a fleet also the registry's active version (null when the database does not answer). */
  async inspect(name: string): Promise<ModelInfo & { registry_active_version?: number | null }> {
    const info = this.get(name);
    if (!this.registry) return info;
    // Never recorded: every replica serves the model's default version, as this one does.
    const registered = await this.registry.activeVersion(name).then(
      (version) => version ?? info.active_version,
      () => null,
    );
    return { ...info, registry_active_version: registered };
  }

  activate(name: string, version: number): Promise<ModelInfo> {
    checkModelName(name);
    return this.host.get().activate(name, version);
  }

  rollback(name: string): Promise<ModelInfo> {
    checkModelName(name);
    return this.host.get().rollback(name);
  }

  unload(name: string): Promise<ModelInfo> {
    checkModelName(name);
    return this.host.get().unload(name);
  }

  load(name: string): Promise<ModelInfo> {
    checkModelName(name);
    return this.host.get().load(name);
  }

  /** The compressed size limit of an uploaded archive (BERTH_MAX_ARCHIVE_BYTES). */
  get maxArchiveBytes(): number {
    return this.config.limits.archiveBytes;
  }

  /**
   * Unpacks the archive, registers it as the next version, and optionally activates it. The
   * repository loads and warms a version before registering it, so a version that cannot serve is
   * refused (422) and leaves nothing behind.
   */
  async importArchive(name: string, archive: Readable, activate: boolean): Promise<{ version: ModelVersionInfo; model?: ModelInfo }> {
    checkModelName(name);
    const core = this.host.get();
    if (!core.list().some((m) => m.name === name)) throw new ModelNotFoundError(name);
    const limits = { maxArchiveBytes: this.config.limits.archiveBytes, maxExtractedBytes: this.config.limits.archiveExtractedBytes };
    const extracted = await extractModelArchive(archive, limits, this.config.dataDir);
    try {
      const version = await core.importVersion(name, extracted.modelDir);
      const model = activate ? await core.activate(name, version.version) : undefined;
      return { version, model };
    } finally {
      await extracted.cleanup();
    }
  }
}
