import { ApiProperty } from '@nestjs/swagger';
import type { NliPair } from '../../../serving/contracts';
import { ModelName, ObjectInputs } from '../../../http/validation';
import { ClassifyItemDto } from './classify.dto';
import { ServedEnvelopeDto } from './common.dto';

export class NliRequestDto {
  @ModelName() model?: string;

  @ObjectInputs(['premise', 'hypothesis'], 'A premise/hypothesis pair, or an array of pairs.')
  inputs!: NliPair | NliPair[];
}

export class NliResponseDto extends ServedEnvelopeDto {
  @ApiProperty({ type: [ClassifyItemDto], description: 'Per pair: every NLI label with its softmax score, best first.' })
  results!: ClassifyItemDto[];
}
