import { applyDecorators, Body, Controller, HttpCode, Post, Type } from '@nestjs/common';
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

/** A /v1 inference route: its path, the task it serves (its requests' label before and after they run), its documentation. */
interface InferenceRoute {
  path: string;
  task: string;
  summary: string;
  response: Type<unknown>;
}

/** Every /v1 inference route; each task is named here once. */
const ROUTES = {
  classify: { path: 'classify', task: 'text-classification', summary: 'Classify texts or text pairs', response: ClassifyResponseDto },
  nli: {
    path: 'nli',
    task: 'nli',
    summary: 'Natural language inference: entailment, neutral or contradiction per premise/hypothesis pair',
    response: NliResponseDto,
  },
  zeroShot: { path: 'zero-shot', task: 'zero-shot', summary: 'Zero-shot classification with an NLI model', response: ZeroShotResponseDto },
  ner: { path: 'ner', task: 'token-classification', summary: 'Named entities with character offsets', response: NerResponseDto },
  qa: { path: 'qa', task: 'question-answering', summary: 'Extractive question answering', response: QaResponseDto },
  embeddings: {
    path: 'embeddings',
    task: 'feature-extraction',
    summary: 'Encoder embeddings (pooled or per token)',
    response: EmbeddingsResponseDto,
  },
  fillMask: { path: 'fill-mask', task: 'fill-mask', summary: 'Fill the mask token', response: FillMaskResponseDto },
} satisfies Record<string, InferenceRoute>;

/** POST, 200, the task label and the documentation of one route. */
function Route(route: InferenceRoute): MethodDecorator {
  return applyDecorators(
    Post(route.path),
    HttpCode(200),
    TaskLabel(route.task),
    ApiOperation({ summary: route.summary }),
    ApiOkResponse({ type: route.response }),
  );
}

/** The /v1 body of a served result, with who served it for the headers and metrics. */
function envelope<T>(route: InferenceRoute, served: Served<T>): ServedResponse<{ model: string; version: number; results: T }> {
  return new ServedResponse(served, route.task, { model: served.model, version: served.version, results: served.result });
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

  @Route(ROUTES.classify)
  async classify(@Body() dto: ClassifyRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<ClassifyResponseDto>> {
    const params = { top_k: dto.top_k, function_to_apply: dto.function_to_apply };
    return envelope(ROUTES.classify, await this.inference.classify(dto.model, asArray(dto.inputs), params, signal));
  }

  @Route(ROUTES.nli)
  async nli(@Body() dto: NliRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<NliResponseDto>> {
    return envelope(ROUTES.nli, await this.inference.nli(dto.model, asArray(dto.inputs), signal));
  }

  @Route(ROUTES.zeroShot)
  async zeroShot(@Body() dto: ZeroShotRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<ZeroShotResponseDto>> {
    const params = { candidate_labels: dto.candidate_labels, hypothesis_template: dto.hypothesis_template, multi_label: dto.multi_label };
    return envelope(ROUTES.zeroShot, await this.inference.zeroShot(dto.model, asArray(dto.inputs), params, signal));
  }

  @Route(ROUTES.ner)
  async ner(@Body() dto: NerRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<NerResponseDto>> {
    const params = { aggregation_strategy: dto.aggregation_strategy, ignore_labels: dto.ignore_labels, stride: dto.stride };
    return envelope(ROUTES.ner, await this.inference.ner(dto.model, asArray(dto.inputs), params, signal));
  }

  @Route(ROUTES.qa)
  async qa(@Body() dto: QaRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<QaResponseDto>> {
    const { model, inputs, ...params } = dto;
    return envelope(ROUTES.qa, await this.inference.qa(model, asArray(inputs), params, signal));
  }

  @Route(ROUTES.embeddings)
  async embeddings(@Body() dto: EmbeddingsRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<EmbeddingsResponseDto>> {
    const params = { pooling: dto.pooling, normalize: dto.normalize };
    return envelope(ROUTES.embeddings, await this.inference.embeddings(dto.model, asArray(dto.inputs), params, signal));
  }

  @Route(ROUTES.fillMask)
  async fillMask(@Body() dto: FillMaskRequestDto, @ClientSignal() signal: AbortSignal): Promise<ServedResponse<FillMaskResponseDto>> {
    return envelope(ROUTES.fillMask, await this.inference.fillMask(dto.model, asArray(dto.inputs), { top_k: dto.top_k }, signal));
  }
}
