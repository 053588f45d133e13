import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClientSignal } from '../../http/client-signal.decorator';
import { ApiErrorResponses } from '../../http/api-errors.decorator';
import { Scope } from '../../http/scope.decorator';
import { ServedResponse } from '../../http/served-response';
import { TaskLabel } from '../../http/served-response.interceptor';
import { asArray } from '../../http/validation';
import type { Served } from '../../serving/contracts';
import { ClassifyRequestDto, ClassifyResponseDto } from './dto/classify.dto';
import { EmbeddingsRequestDto, EmbeddingsResponseDto } from './dto/embeddings.dto';
import { FillMaskCandidateDto, FillMaskRequestDto, FillMaskResponseDto } from './dto/fill-mask.dto';
import { EntityDto, NerRequestDto, NerResponseDto } from './dto/ner.dto';
import { NliRequestDto, NliResponseDto } from './dto/nli.dto';
import { AnswerDto, QaRequestDto, QaResponseDto } from './dto/qa.dto';
import { ZeroShotRequestDto, ZeroShotResponseDto } from './dto/zero-shot.dto';
import { InferenceService } from './inference.service';

function envelope<T>(served: Served<T>, task: string): ServedResponse<{ model: string; version: number; results: T }> {
  return new ServedResponse(served, task, { model: served.model, version: served.version, results: served.result });
}

/** Berth's own inference API: results always come as an array aligned with the inputs. */
@ApiTags('inference')
@ApiBearerAuth()
@ApiExtraModels(EntityDto, AnswerDto, FillMaskCandidateDto)
@ApiErrorResponses()
@Scope('inference')
@Controller('v1')
export class InferenceController {
  constructor(private readonly inference: InferenceService) {}

  @Post('classify')
  @HttpCode(200)
  @TaskLabel('text-classification')
  @ApiOperation({ summary: 'Classify texts or text pairs' })
  @ApiOkResponse({ type: ClassifyResponseDto })
  async classify(@Body() dto: ClassifyRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<ClassifyResponseDto>> {
    const served = await this.inference.classify(
      dto.model,
      asArray(dto.inputs),
      { top_k: dto.top_k, function_to_apply: dto.function_to_apply },
      signal,
    );
    return envelope(served, 'text-classification');
  }

  @Post('nli')
  @HttpCode(200)
  @TaskLabel('nli')
  @ApiOperation({ summary: 'Natural language inference: entailment, neutral or contradiction per premise/hypothesis pair' })
  @ApiOkResponse({ type: NliResponseDto })
  async nli(@Body() dto: NliRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<NliResponseDto>> {
    return envelope(await this.inference.nli(dto.model, asArray(dto.inputs), signal), 'nli');
  }

  @Post('zero-shot')
  @HttpCode(200)
  @TaskLabel('zero-shot')
  @ApiOperation({ summary: 'Zero-shot classification with an NLI model' })
  @ApiOkResponse({ type: ZeroShotResponseDto })
  async zeroShot(@Body() dto: ZeroShotRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<ZeroShotResponseDto>> {
    const served = await this.inference.zeroShot(
      dto.model,
      asArray(dto.inputs),
      { candidate_labels: dto.candidate_labels, hypothesis_template: dto.hypothesis_template, multi_label: dto.multi_label },
      signal,
    );
    return envelope(served, 'zero-shot');
  }

  @Post('ner')
  @HttpCode(200)
  @TaskLabel('token-classification')
  @ApiOperation({ summary: 'Named entities with character offsets' })
  @ApiOkResponse({ type: NerResponseDto })
  async ner(@Body() dto: NerRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<NerResponseDto>> {
    const served = await this.inference.ner(
      dto.model,
      asArray(dto.inputs),
      { aggregation_strategy: dto.aggregation_strategy, ignore_labels: dto.ignore_labels, stride: dto.stride },
      signal,
    );
    return envelope(served, 'token-classification');
  }

  @Post('qa')
  @HttpCode(200)
  @TaskLabel('question-answering')
  @ApiOperation({ summary: 'Extractive question answering' })
  @ApiOkResponse({ type: QaResponseDto })
  async qa(@Body() dto: QaRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<QaResponseDto>> {
    const { model, inputs, ...params } = dto;
    return envelope(await this.inference.qa(model, asArray(inputs), params, signal), 'question-answering');
  }

  @Post('embeddings')
  @HttpCode(200)
  @TaskLabel('feature-extraction')
  @ApiOperation({ summary: 'Encoder embeddings (pooled or per token)' })
  @ApiOkResponse({ type: EmbeddingsResponseDto })
  async embeddings(@Body() dto: EmbeddingsRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<EmbeddingsResponseDto>> {
    const served = await this.inference.embeddings(dto.model, asArray(dto.inputs), { pooling: dto.pooling, normalize: dto.normalize }, signal);
    return envelope(served, 'feature-extraction');
  }

  @Post('fill-mask')
  @HttpCode(200)
  @TaskLabel('fill-mask')
  @ApiOperation({ summary: 'Fill the mask token' })
  @ApiOkResponse({ type: FillMaskResponseDto })
  async fillMask(@Body() dto: FillMaskRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<FillMaskResponseDto>> {
    return envelope(await this.inference.fillMask(dto.model, asArray(dto.inputs), { top_k: dto.top_k }, signal), 'fill-mask');
  }
}
