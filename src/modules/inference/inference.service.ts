import { Inject, Injectable } from '@nestjs/common';
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

/**
 * The one path from any HTTP dialect (/v1, Hugging Face, KServe) into the core, which applies the
 * request limits (src/tasks/limits.ts) for all of them. Shapes stay the core's; each controller
 * renders its own.
 */
@Injectable()
export class InferenceService {
  constructor(@Inject(CORE_HOST) private readonly host: CoreHost) {}

  classify(model: string | undefined, inputs: TextInput[], params: ClassifyParams, signal?: AbortSignal): Promise<Served<ClassifyItem[]>> {
    return this.host.get().classify(model, inputs, params, { signal });
  }

  nli(model: string | undefined, pairs: NliPair[], signal?: AbortSignal): Promise<Served<ClassifyItem[]>> {
    return this.host.get().nli(model, pairs, { signal });
  }

  zeroShot(model: string | undefined, sequences: string[], params: ZeroShotParams, signal?: AbortSignal): Promise<Served<ZeroShotItem[]>> {
    return this.host.get().zeroShot(model, sequences, params, { signal });
  }

  ner(model: string | undefined, texts: string[], params: NerParams, signal?: AbortSignal): Promise<Served<Entity[][]>> {
    return this.host.get().ner(model, texts, params, { signal });
  }

  qa(model: string | undefined, inputs: QaInput[], params: QaParams, signal?: AbortSignal): Promise<Served<Answer[][]>> {
    return this.host.get().qa(model, inputs, params, { signal });
  }

  embeddings(model: string | undefined, texts: string[], params: EmbeddingParams, signal?: AbortSignal): Promise<Served<EmbeddingItem[]>> {
    return this.host.get().embeddings(model, texts, params, { signal });
  }

  fillMask(
    model: string | undefined,
    texts: string[],
    params: FillMaskParams,
    signal?: AbortSignal,
  ): Promise<Served<FillMaskCandidate[][]>> {
    return this.host.get().fillMask(model, texts, params, { signal });
  }
}
