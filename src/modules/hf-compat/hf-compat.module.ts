import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module';
import { HfCompatController } from './hf-compat.controller';
import { HfCompatService } from './hf-compat.service';

@Module({ imports: [InferenceModule], controllers: [HfCompatController], providers: [HfCompatService] })
export class HfCompatModule {}
