import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module';
import { KServeController } from './kserve.controller';
import { KServeService } from './kserve.service';

@Module({ imports: [InferenceModule], controllers: [KServeController], providers: [KServeService] })
export class KServeModule {}
