import { DynamicModule, Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module';
import { FineTuningController } from './fine-tuning.controller';
import { FINE_TUNING_OPTIONS, FineTuningModuleOptions, FineTuningService } from './fine-tuning.service';

export type { FineTuningModuleOptions };

/**
 * Fine-tuning jobs in the shape of the OpenAI API, trained by the job runner off the event loop.
 * `FineTuningModule.register()` uses the defaults (the trainer in a worker thread, one job at a
 * time); options swap the executor (tests) or the concurrency.
 */
@Module({})
export class FineTuningModule {
  static register(options: FineTuningModuleOptions = {}): DynamicModule {
    return {
      module: FineTuningModule,
      imports: [FilesModule],
      controllers: [FineTuningController],
      providers: [FineTuningService, { provide: FINE_TUNING_OPTIONS, useValue: options }],
      exports: [FineTuningService],
    };
  }
}
