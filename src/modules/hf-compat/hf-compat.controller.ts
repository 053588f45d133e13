import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { ClientSignal } from '../../http/client-signal.decorator';
import { Scope } from '../../http/scope.decorator';
import { ServedResponse } from '../../http/served-response';
import { HfRequestDto } from './hf-compat.dto';
import { HfCompatService } from './hf-compat.service';

const RESPONSE_DOC =
  'Hugging Face Inference API shapes: text classification [[{label, score}]]; token classification [{entity_group, score, word, start, end}]; question answering {answer, score, start, end} (a list when top_k > 1); zero-shot [{label, score}] best first; fill-mask [{score, token, token_str, sequence}]; feature extraction number[]. An array of inputs gets one result per input.';

@ApiTags('hugging-face')
@ApiBearerAuth()
@ApiErrorResponses()
@Scope('inference')
@Controller('models')
export class HfCompatController {
  constructor(private readonly hf: HfCompatService) {}

  @Post(':model')
  @HttpCode(200)
  @ApiOperation({ summary: "Hugging Face Inference API: runs the model's own task", description: RESPONSE_DOC })
  @ApiOkResponse({ description: RESPONSE_DOC, schema: {} })
  run(@Param('model') model: string, @Body() dto: HfRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<unknown>> {
    return this.hf.run(model, undefined, dto, signal);
  }

  @Post(':model/pipeline/:task')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hugging Face Inference API with an explicit pipeline task', description: RESPONSE_DOC })
  @ApiOkResponse({ description: RESPONSE_DOC, schema: {} })
  runPipeline(
    @Param('model') model: string,
    @Param('task') task: string,
    @Body() dto: HfRequestDto,
    @ClientSignal() signal: AbortSignal,
  ): Promise<ServedResponse<unknown>> {
    return this.hf.run(model, task, dto, signal);
  }
}
