import { Inject, Injectable } from '@nestjs/common';
import { DomainError, InvalidInputError, ModelNotReadyError, VersionNotFoundError, WrongTaskError } from '../../errors/domain-error';
import { ServedResponse } from '../../http/served-response';
import { validateDto } from '../../http/validation';
import type { ModelInfo, Served } from '../../serving/contracts';
import { CORE_HOST, CoreHost } from '../core/core-host';
import { HfClassifyParamsDto, HfZeroShotParamsDto } from '../hf-compat/hf-compat.dto';
import { EmbeddingsParamsDto } from '../inference/dto/embeddings.dto';
import { FillMaskParamsDto } from '../inference/dto/fill-mask.dto';
import { NerParamsDto } from '../inference/dto/ner.dto';
import { QaParamsDto } from '../inference/dto/qa.dto';
import { InferenceService } from '../inference/inference.service';
import { checkModelName } from '../models/models.service';
import type {
  InferInputTensorDto,
  InferOutputTensorDto,
  InferRequestDto,
  InferResponseDto,
  ModelMetadataDto,
  TensorMetadataDto,
} from './kserve.dto';

const bytes = (name: string, shape: number[] = [-1]): TensorMetadataDto => ({ name, datatype: 'BYTES', shape });

/** The tensors each task takes and gives, as KServe metadata. */
function signature(info: ModelInfo): { inputs: TensorMetadataDto[]; outputs: TensorMetadataDto[] } {
  switch (info.task) {
    case 'text-classification':
      return {
        inputs: [bytes('text'), bytes('text_pair')],
        outputs: [bytes('label'), { name: 'scores', datatype: 'FP32', shape: [-1, info.labels.length] }],
      };
    case 'token-classification':
      return { inputs: [bytes('text')], outputs: [bytes('entities')] };
    case 'question-answering':
      return {
        inputs: [bytes('question'), bytes('context')],
        outputs: [
          bytes('answer'),
          { name: 'score', datatype: 'FP32', shape: [-1] },
          { name: 'start', datatype: 'INT64', shape: [-1] },
          { name: 'end', datatype: 'INT64', shape: [-1] },
        ],
      };
    case 'fill-mask':
      return { inputs: [bytes('text')], outputs: [bytes('candidates')] };
    case 'feature-extraction':
      return { inputs: [bytes('text')], outputs: [{ name: 'embedding', datatype: 'FP32', shape: [-1, -1] }] };
  }
}

function flatten(data: unknown[]): unknown[] {
  return data.flat(Infinity as 1);
}

function textTensor(tensor: InferInputTensorDto): string[] {
  if (tensor.datatype !== 'BYTES') throw new InvalidInputError(`input "${tensor.name}" must have datatype BYTES, got ${tensor.datatype}`);
  const data = flatten(tensor.data);
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new InvalidInputError(`input "${tensor.name}" has shape [${tensor.shape.join(', ')}] but ${data.length} elements`);
  }
  if (tensor.shape.length > 2 || (tensor.shape.length === 2 && tensor.shape[1] !== 1)) {
    throw new InvalidInputError(`input "${tensor.name}" must have shape [n] or [n, 1]`);
  }
  if (!data.every((d) => typeof d === 'string' && d.length > 0)) {
    throw new InvalidInputError(`input "${tensor.name}" must hold non-empty strings`);
  }
  return data as string[];
}

/** Open Inference Protocol over the same core as /v1: text in BYTES tensors, task outputs as tensors. */
@Injectable()
export class KServeService {
  constructor(
    @Inject(CORE_HOST) private readonly host: CoreHost,
    private readonly inference: InferenceService,
  ) {}

  metadata(model: string, version?: string): ModelMetadataDto {
    const info = this.model(model);
    if (version !== undefined) this.checkVersion(info, version, false);
    return { name: info.name, versions: info.versions.map((v) => String(v.version)), platform: 'onnxruntime_onnx', ...signature(info) };
  }

  modelReady(model: string): { name: string; ready: boolean } {
    const info = this.model(model);
    if (info.status !== 'ready') throw new ModelNotReadyError(`model "${model}" is ${info.status}`);
    return { name: info.name, ready: true };
  }

  private model(name: string): ModelInfo {
    checkModelName(name);
    return this.host.get().get(name);
  }

  /** Only the active version serves; naming another one is refused rather than silently ignored. */
  private checkVersion(info: ModelInfo, version: string, mustBeActive: boolean): void {
    const v = Number(version);
    if (!Number.isInteger(v) || !info.versions.some((x) => x.version === v)) throw new VersionNotFoundError(info.name, version);
    if (mustBeActive && v !== info.active_version) {
      throw new DomainError(
        'CONFLICT',
        `model "${info.name}" serves version ${info.active_version}; activate version ${v} to infer with it`,
        {
          model: info.name,
          active_version: info.active_version,
          requested_version: v,
        },
      );
    }
  }

  async infer(
    model: string,
    version: string | undefined,
    request: InferRequestDto,
    signal: AbortSignal,
  ): Promise<ServedResponse<InferResponseDto>> {
    const info = this.model(model);
    if (version !== undefined) this.checkVersion(info, version, true);
    const byName = new Map<string, InferInputTensorDto>();
    for (const t of request.inputs) {
      if (byName.has(t.name)) throw new InvalidInputError(`input "${t.name}" is given twice`);
      byName.set(t.name, t);
    }
    const expected = signature(info).inputs.map((t) => t.name);
    for (const name of byName.keys()) {
      if (!expected.includes(name))
        throw new InvalidInputError(`unknown input "${name}" for a ${info.task} model; expected ${expected.join(', ')}`);
    }
    const required = (name: string): string[] => {
      const t = byName.get(name);
      if (!t) throw new InvalidInputError(`missing input "${name}"`);
      return textTensor(t);
    };
    const params = request.parameters ?? {};
    const { served, outputs, task } = await this.run(info, params, required, byName, signal);
    const wanted = request.outputs?.map((o) => o.name);
    if (wanted) {
      const unknown = wanted.filter((n) => !outputs.some((o) => o.name === n));
      if (unknown.length)
        throw new InvalidInputError(`unknown output(s) ${unknown.join(', ')}; available: ${outputs.map((o) => o.name).join(', ')}`);
    }
    const body: InferResponseDto = {
      model_name: served.model,
      model_version: String(served.version),
      ...(request.id !== undefined ? { id: request.id } : {}),
      outputs: wanted ? outputs.filter((o) => wanted.includes(o.name)) : outputs,
    };
    return new ServedResponse(served, task, body);
  }

  private async run(
    info: ModelInfo,
    params: Record<string, unknown>,
    required: (name: string) => string[],
    byName: Map<string, InferInputTensorDto>,
    signal: AbortSignal,
  ): Promise<{ served: Served<unknown>; outputs: InferOutputTensorDto[]; task: string }> {
    const name = info.name;
    // candidate_labels asks for zero-shot: a model that cannot do it is the wrong task, not bad input.
    if (params.candidate_labels !== undefined && !info.nli) throw new WrongTaskError(name, info.task, 'zero-shot-classification');
    switch (info.task) {
      case 'text-classification': {
        const texts = required('text');
        if (info.nli && params.candidate_labels !== undefined) {
          const p = validateDto(HfZeroShotParamsDto, params, 'parameters');
          const labels = Array.isArray(p.candidate_labels)
            ? p.candidate_labels
            : p.candidate_labels
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean);
          const served = await this.inference.zeroShot(
            name,
            texts,
            { candidate_labels: labels, hypothesis_template: p.hypothesis_template, multi_label: p.multi_label },
            signal,
          );
          const k = labels.length;
          return {
            served,
            task: 'zero-shot',
            outputs: [
              { name: 'labels', datatype: 'BYTES', shape: [texts.length, k], data: served.result.flatMap((r) => r.labels) },
              { name: 'scores', datatype: 'FP32', shape: [texts.length, k], data: served.result.flatMap((r) => r.scores) },
            ],
          };
        }
        const pairs = byName.has('text_pair') ? required('text_pair') : undefined;
        if (pairs && pairs.length !== texts.length)
          throw new InvalidInputError(`text_pair has ${pairs.length} elements, text has ${texts.length}`);
        const p = validateDto(HfClassifyParamsDto, params, 'parameters');
        const inputs = pairs ? texts.map((text, i) => ({ text, text_pair: pairs[i] })) : texts;
        const served = await this.inference.classify(name, inputs, { top_k: null, function_to_apply: p.function_to_apply }, signal);
        // Scores in the model's label order (a fixed tensor layout), the label the best of them.
        const scores = served.result.map((r) => info.labels.map((label) => r.labels.find((l) => l.label === label)?.score ?? Number.NaN));
        const best = served.result.map((r) => r.labels.reduce((a, b) => (b.score > a.score ? b : a)).label);
        return {
          served,
          task: 'text-classification',
          outputs: [
            { name: 'label', datatype: 'BYTES', shape: [texts.length], data: best },
            { name: 'scores', datatype: 'FP32', shape: [texts.length, info.labels.length], data: scores.flat() },
          ],
        };
      }
      case 'token-classification': {
        const texts = required('text');
        const served = await this.inference.ner(name, texts, { ...validateDto(NerParamsDto, params, 'parameters') }, signal);
        return {
          served,
          task: info.task,
          outputs: [{ name: 'entities', datatype: 'BYTES', shape: [texts.length], data: served.result.map((e) => JSON.stringify(e)) }],
        };
      }
      case 'question-answering': {
        const questions = required('question');
        const contexts = required('context');
        if (questions.length !== contexts.length)
          throw new InvalidInputError(`question has ${questions.length} elements, context has ${contexts.length}`);
        const p = validateDto(QaParamsDto, params, 'parameters');
        if ((p.top_k ?? 1) !== 1) throw new InvalidInputError('top_k must be 1 over the KServe protocol (one answer tensor row per input)');
        const served = await this.inference.qa(
          name,
          questions.map((question, i) => ({ question, context: contexts[i] })),
          p,
          signal,
        );
        const best = served.result.map((a) => a[0]);
        const n = best.length;
        return {
          served,
          task: info.task,
          outputs: [
            { name: 'answer', datatype: 'BYTES', shape: [n], data: best.map((a) => a.answer) },
            { name: 'score', datatype: 'FP32', shape: [n], data: best.map((a) => a.score) },
            { name: 'start', datatype: 'INT64', shape: [n], data: best.map((a) => a.start) },
            { name: 'end', datatype: 'INT64', shape: [n], data: best.map((a) => a.end) },
          ],
        };
      }
      case 'fill-mask': {
        const texts = required('text');
        const served = await this.inference.fillMask(
          name,
          texts,
          { top_k: validateDto(FillMaskParamsDto, params, 'parameters').top_k },
          signal,
        );
        return {
          served,
          task: info.task,
          outputs: [{ name: 'candidates', datatype: 'BYTES', shape: [texts.length], data: served.result.map((c) => JSON.stringify(c)) }],
        };
      }
      case 'feature-extraction': {
        const texts = required('text');
        const p = validateDto(EmbeddingsParamsDto, params, 'parameters');
        if (p.pooling === 'none')
          throw new InvalidInputError('pooling "none" is not available over the KServe protocol (ragged tensors); use /v1/embeddings');
        const served = await this.inference.embeddings(name, texts, p, signal);
        const vectors = served.result.map((r) => r.embedding as number[]);
        return {
          served,
          task: info.task,
          outputs: [{ name: 'embedding', datatype: 'FP32', shape: [texts.length, vectors[0]?.length ?? 0], data: vectors.flat() }],
        };
      }
    }
  }
}
