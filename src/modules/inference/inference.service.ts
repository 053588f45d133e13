import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type {
  Answer,
  ClassifyItem,
  ClassifyParams,
  EmbeddingItem,
  EmbeddingParams,
  Entity,
  FillMaskCandidate,
  FillMaskParams,
  NerParams,
  NliPair,
  QaInput,
  QaParams,
  Served,
  TextInput,
  ZeroShotItem,
  ZeroShotParams,
} from '../../serving/contracts';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { InputLimits } from './input-limits';

/**
 * The one path from any HTTP dialect (/v1, Hugging Face, KServe) into the core: applies the
 * request limits, then calls the core. Shapes stay the core's; each controller renders its own.
 */
@Injectable()
export class InferenceService {
  private readonly limits: InputLimits;

  constructor(
    @Inject(CORE_HOST) private readonly host: CoreHost,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = new InputLimits(config.limits);
  }

  private texts(texts: string[], field = 'inputs'): void {
    this.limits.checkCount(texts.length);
    this.limits.checkTexts(texts.map((t, i): [string, string] => [`${field}[${i}]`, t]));
  }

  classify(model: string | undefined, inputs: TextInput[], params: ClassifyParams, signal?: AbortSignal): Promise<Served<ClassifyItem[]>> {
    this.limits.checkCount(inputs.length);
    this.limits.checkTexts(
      inputs.flatMap((x, i): [string, string][] =>
        typeof x === 'string'
          ? [[`inputs[${i}]`, x]]
          : [[`inputs[${i}].text`, x.text], ...(x.text_pair !== undefined ? [[`inputs[${i}].text_pair`, x.text_pair] as [string, string]] : [])],
      ),
    );
    return this.host.get().classify(model, inputs, params, { signal });
  }

  nli(model: string | undefined, pairs: NliPair[], signal?: AbortSignal): Promise<Served<ClassifyItem[]>> {
    this.limits.checkCount(pairs.length);
    this.limits.checkTexts(
      pairs.flatMap((p, i): [string, string][] => [
        [`inputs[${i}].premise`, p.premise],
        [`inputs[${i}].hypothesis`, p.hypothesis],
      ]),
    );
    return this.host.get().nli(model, pairs, { signal });
  }

  zeroShot(model: string | undefined, sequences: string[], params: ZeroShotParams, signal?: AbortSignal): Promise<Served<ZeroShotItem[]>> {
    this.texts(sequences);
    this.limits.checkCandidateLabels(params.candidate_labels);
    return this.host.get().zeroShot(model, sequences, params, { signal });
  }

  ner(model: string | undefined, texts: string[], params: NerParams, signal?: AbortSignal): Promise<Served<Entity[][]>> {
    this.texts(texts);
    return this.host.get().ner(model, texts, params, { signal });
  }

  qa(model: string | undefined, inputs: QaInput[], params: QaParams, signal?: AbortSignal): Promise<Served<Answer[][]>> {
    this.limits.checkCount(inputs.length);
    this.limits.checkTexts(
      inputs.flatMap((q, i): [string, string][] => [
        [`inputs[${i}].question`, q.question],
        [`inputs[${i}].context`, q.context],
      ]),
    );
    return this.host.get().qa(model, inputs, params, { signal });
  }

  embeddings(model: string | undefined, texts: string[], params: EmbeddingParams, signal?: AbortSignal): Promise<Served<EmbeddingItem[]>> {
    this.texts(texts);
    return this.host.get().embeddings(model, texts, params, { signal });
  }

  fillMask(model: string | undefined, texts: string[], params: FillMaskParams, signal?: AbortSignal): Promise<Served<FillMaskCandidate[][]>> {
    this.texts(texts);
    return this.host.get().fillMask(model, texts, params, { signal });
  }
}
