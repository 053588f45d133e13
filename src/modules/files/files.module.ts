import { Module } from '@nestjs/common';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';
import { persistenceProvider, PersistenceShutdown } from './persistence.provider';

/**
 * Uploaded datasets. Owns the process's persistence (`PERSISTENCE`: files and jobs behind the
 * async contracts), which the fine-tuning module imports from here. Needs only the global
 * APP_CONFIG and CORE_HOST providers.
 */
@Module({
  controllers: [FilesController],
  providers: [persistenceProvider, PersistenceShutdown, FilesService],
  exports: [persistenceProvider, FilesService],
})
export class FilesModule {}
