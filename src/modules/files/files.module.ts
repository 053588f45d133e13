import { Module } from '@nestjs/common';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';
import { storeProvider, StoreShutdown } from './store.provider';

/**
 * Uploaded datasets. Owns the process's database handle (`BerthStore`), which the fine-tuning
 * module imports from here. Needs only the global APP_CONFIG and CORE_HOST providers.
 */
@Module({
  controllers: [FilesController],
  providers: [storeProvider, StoreShutdown, FilesService],
  exports: [storeProvider, FilesService],
})
export class FilesModule {}
