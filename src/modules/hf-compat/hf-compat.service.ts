import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError, WrongTaskError } from '../../errors/domain-error';
import { ServedResponse } from '../../http/served-response';
import { asArray, isNonEmptyString, validateDto } from '../../http/validation';
import type { Answer, ModelInfo, QaInput, Served, TextInput } from '../../serving/contracts';
import { HF_NER_AGGREGATION_DEFAULT } from '../../tasks/types';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { EmbeddingsParamsDto } from '../inference/dto/embeddings.dto';
import { FillMaskParamsDto } from '../inference/dto/fill-mask.dto';
import { NerParamsDto } from '../inference/dto/ner.dto';
import { QaParamsDto } from '../inference/dto/qa.dto';
import { InferenceService } from '../inference/inference.service';
import { checkModelName } from '../models/models.service';
import { HfClassifyParamsDto, HfRequestDto, HfZeroShotParamsDto } from './hf-compat.dto';

/** Pipeline names the Hugging Face API uses in `/pipeline/{task}` and what they run here. */
const PIPELINE_ALIASES: Record<string, HfTask> = {
  'text-classification': 'text-classification',
  'sentiment-analysis': 'text-classification',
  'token-classification': 'token-classification',
  ner: 'token-classification',
  'question-answering': 'question-answering',
  'zero-shot-classification': 'zero-shot-classification',
  'fill-mask': 'fill-mask',
  'feature-extraction': 'feature-extraction',
};

type HfTask =
  'text-classification' | 'token-classification' | 'question-answering' | 'zero-shot-classification' | 'fill-mask' | 'feature-extraction';

function invalidInputs(shape: string): InvalidInputError {
  return new InvalidInputError(`invalid request: inputs must be ${shape}`, {
    fields: [{ field: 'inputs', problems: [`must be ${shape}`] }],
  });
}

function textsOf(inputs: unknown): { texts: string[]; single: boolean } {
  const single = !Array.isArray(inputs);
  const texts = asArray(inputs as unknown);
  if (texts.length === 0 || !texts.every(isNonEmptyString))
    throw invalidInputs('a non-empty string or a non-empty array of non-empty strings');
  return { texts: texts as string[], single };
}

function isPair(v: unknown, a: string, b?: string): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const allowed = b ? [a, b] : [a];
  return Object.keys(o).every((k) => allowed.includes(k)) && isNonEmptyString(o[a]) && (!b || o[b] === undefined || isNonEmptyString(o[b]));
}

/**
 * The Hugging Face Inference API dialect: dispatch on the model's task and answer in the shapes
 * the `@huggingface/inference` client parses. A single input gets the single-input shape; an array
 * gets one such result per input.
 */
@Injectable()
export class HfCompatService {
  constructor(
    @Inject(CORE_HOST) private readonly host: CoreHost,
    private readonly inference: InferenceService,
  ) {}

  private taskFor(info: ModelInfo, requested: string | undefined, params: Record<string, unknown>): HfTask {
    const natural: HfTask = info.nli && params.candidate_labels !== undefined ? 'zero-shot-classification' : info.task;
    if (requested === undefined) {
      // candidate_labels asks for zero-shot: a model that cannot do it is the wrong task, not bad input.
      if (params.candidate_labels !== undefined && !info.nli) throw new WrongTaskError(info.name, info.task, 'zero-shot-classification');
      return natural;
    }
    const wanted = PIPELINE_ALIASES[requested];
    if (!wanted) throw new InvalidInputError(`unsupported pipeline "${requested}"`, { supported: Object.keys(PIPELINE_ALIASES) });
    const ok = wanted === info.task || (wanted === 'zero-shot-classification' && info.nli);
    if (!ok) throw new WrongTaskError(info.name, info.task, wanted);
    return wanted;
  }

  async run(model: string, pipeline: string | undefined, dto: HfRequestDto, signal: AbortSignal): Promise<ServedResponse<unknown>> {
    checkModelName(model);
    const info = this.host.get().get(model);
    const params = dto.parameters ?? {};
    const task = this.taskFor(info, pipeline, params);
    const wrap = <T, B>(served: Served<T>, body: B): ServedResponse<B> => new ServedResponse(served, task, body);

    switch (task) {
      case 'text-classification': {
        // The Inference API answers a list of label lists for one input and for many alike.
        const inputs = asArray(dto.inputs as unknown);
        if (inputs.length === 0 || !inputs.every((x) => isNonEmptyString(x) || isPair(x, 'text', 'text_pair'))) {
          throw invalidInputs('a non-empty string, a {text, text_pair} object, or a non-empty array of those');
        }
        const p = validateDto(HfClassifyParamsDto, params, 'parameters');
        // The Inference API returns every label (best first) unless top_k says otherwise.
        const served = await this.inference.classify(
          model,
          inputs as TextInput[],
          { top_k: p.top_k === undefined ? null : p.top_k, function_to_apply: p.function_to_apply },
          signal,
        );
        return wrap(
          served,
          served.result.map((r) => r.labels),
        );
      }
      case 'zero-shot-classification': {
        const { texts, single } = textsOf(dto.inputs);
        const p = validateDto(HfZeroShotParamsDto, params, 'parameters');
        const labels =
          typeof p.candidate_labels === 'string'
            ? p.candidate_labels
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s)
            : p.candidate_labels;
        const served = await this.inference.zeroShot(
          model,
          texts,
          { candidate_labels: labels, hypothesis_template: p.hypothesis_template, multi_label: p.multi_label },
          signal,
        );
        const lists = served.result.map((r) => r.labels.map((label, i) => ({ label, score: r.scores[i] })));
        return wrap(served, single ? lists[0] : lists);
      }
      case 'token-classification': {
        const { texts, single } = textsOf(dto.inputs);
        const p = validateDto(NerParamsDto, params, 'parameters');
        // This route answers as the Hugging Face Inference API does, with its default aggregation.
        const served = await this.inference.ner(
          model,
          texts,
          { ...p, aggregation_strategy: p.aggregation_strategy ?? HF_NER_AGGREGATION_DEFAULT },
          signal,
        );
        return wrap(served, single ? served.result[0] : served.result);
      }
      case 'question-answering': {
        const single = !Array.isArray(dto.inputs);
        const inputs = asArray(dto.inputs as unknown);
        if (inputs.length === 0 || !inputs.every((x) => isPair(x, 'question', 'context') && isNonEmptyString((x as QaInput).context))) {
          throw invalidInputs('a {question, context} object of non-empty strings, or a non-empty array of them');
        }
        const p = validateDto(QaParamsDto, params, 'parameters');
        const served = await this.inference.qa(model, inputs as QaInput[], { ...p }, signal);
        // As the pipeline: one answer object when top_k is 1, a list otherwise.
        const shaped = served.result.map((answers): Answer | Answer[] => ((p.top_k ?? 1) === 1 ? answers[0] : answers));
        return wrap(served, single ? shaped[0] : shaped);
      }
      case 'fill-mask': {
        const { texts, single } = textsOf(dto.inputs);
        const p = validateDto(FillMaskParamsDto, params, 'parameters');
        const served = await this.inference.fillMask(model, texts, { top_k: p.top_k }, signal);
        return wrap(served, single ? served.result[0] : served.result);
      }
      case 'feature-extraction': {
        const { texts, single } = textsOf(dto.inputs);
        const p = validateDto(EmbeddingsParamsDto, params, 'parameters');
        const served = await this.inference.embeddings(model, texts, { pooling: p.pooling, normalize: p.normalize }, signal);
        const vectors = served.result.map((r) => r.embedding);
        return wrap(served, single ? vectors[0] : vectors);
      }
    }
  }
}
