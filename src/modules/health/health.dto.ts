import { ApiProperty } from '@nestjs/swagger';

/** Response bodies of /health (documented by the @nestjs/swagger CLI plugin from the types). */

export class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class ModelStatusDto {
  name!: string;
  // Listed explicitly: the plugin would order a union's values as the compiler happens to create them.
  @ApiProperty({ enum: ['loading', 'ready', 'failed', 'unloaded'] }) status!: 'loading' | 'ready' | 'failed' | 'unloaded';
  active_version!: number;
}

export class ReadyDto {
  @ApiProperty({ enum: ['ready'] }) status!: 'ready';
  models!: ModelStatusDto[];
}
