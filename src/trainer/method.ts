import { EncoderConfig, HeadKind } from '../engine/formats/config';
import { TensorF32 } from '../engine/formats/safetensors';
import { familySpec } from '../engine/nn/family';
import { PEFT_CONFIG_KEY, PeftConfig, initPeftWeights, isPeftParameter, mergeLora, peftOf } from '../engine/nn/peft';
import { TrainOptions } from './options';

/** What a method changes before the graphs are built: the config, the weights, the trainable set. */
export interface MethodSetup {
  /** config.json plus the method's `berth_peft` entry (LoRA, adapters, prompt). */
  readonly config: EncoderConfig;
  /** Base weights plus the tensors the method adds. */
  readonly weights: Map<string, TensorF32>;
  /** Parameter names the optimizer updates; all others stay bit-identical. */
  readonly trainable: ReadonlySet<string>;
}

/** The PEFT entry a method adds to config.json, if any. */
export function peftConfigFor(
  options: Pick<TrainOptions, 'method' | 'lora' | 'adapterReduction' | 'promptTokens'>,
): PeftConfig | undefined {
  switch (options.method) {
    case 'lora':
      return {
        type: 'lora',
        r: options.lora.r,
        lora_alpha: options.lora.alpha,
        lora_dropout: options.lora.dropout,
        target_modules: [...options.lora.targets],
      };
    case 'adapter':
      return { type: 'adapter', reduction_factor: options.adapterReduction, non_linearity: 'relu' };
    case 'prompt':
      return { type: 'prompt', num_virtual_tokens: options.promptTokens };
    default:
      return undefined;
  }
}

/**
 * The task head's parameters: everything outside the encoder (`bert.*`). The pooler lives in
 * `bert.pooler` — HF's BertModel, the feature extractor — so it counts as encoder and stays frozen,
 * as PEFT's `modules_to_save = ["classifier"]` has it. For masked-LM the head is the transform and
 * the output bias; the tied decoder is the word-embedding table, part of the encoder.
 */
export function headParameterNames(config: EncoderConfig, names: Iterable<string>): string[] {
  const base = `${familySpec(config.model_type).base}.`;
  return [...names].filter((n) => !n.startsWith(base) && !isPeftParameter(n) && n !== 'embeddings.word_embeddings.weight');
}

/**
 * Sets a method up on a model: `full` trains every parameter; `head` only the task head; `lora`,
 * `adapter` and `prompt` add their tensors (seeded init) and train those plus the task head (a new
 * head must learn; PEFT does the same for classification heads). Masked-LM keeps its pretrained
 * head frozen under the PEFT methods.
 */
export function setupMethod(
  options: Pick<TrainOptions, 'method' | 'lora' | 'adapterReduction' | 'promptTokens' | 'seed'>,
  config: EncoderConfig,
  weights: ReadonlyMap<string, TensorF32>,
  head: HeadKind,
): MethodSetup {
  const peft = peftConfigFor(options);
  const all = new Map(weights);
  const trainingConfig: EncoderConfig = { ...config };
  delete trainingConfig[PEFT_CONFIG_KEY];
  if (peft) {
    trainingConfig[PEFT_CONFIG_KEY] = peft;
    for (const [name, t] of initPeftWeights(config, peft, weights, options.seed)) all.set(name, t);
  }
  const headNames = head === 'masked-lm' && peft ? [] : headParameterNames(config, weights.keys());
  let trainable: Set<string>;
  switch (options.method) {
    case 'full':
      trainable = new Set(weights.keys());
      break;
    case 'head':
      trainable = new Set(headParameterNames(config, weights.keys()));
      break;
    default:
      trainable = new Set([...all.keys()].filter((n) => isPeftParameter(n) || headNames.includes(n)));
  }
  return { config: trainingConfig, weights: all, trainable };
}

/**
 * The model to export from trained parameters: LoRA merged into the base weights (a plain model,
 * config without the PEFT entry); adapters and prompts kept as their own tensors, with the PEFT
 * entry in config.json so that loading rebuilds them.
 */
export function exportedModel(
  trainingConfig: EncoderConfig,
  parameters: ReadonlyMap<string, TensorF32>,
): { config: EncoderConfig; tensors: Map<string, TensorF32> } {
  const peft = peftOf(trainingConfig);
  if (peft?.type !== 'lora') return { config: trainingConfig, tensors: sortedByName(parameters) };
  const config = { ...trainingConfig };
  delete config[PEFT_CONFIG_KEY];
  return { config, tensors: sortedByName(mergeLora(parameters, peft)) };
}

function sortedByName(tensors: ReadonlyMap<string, TensorF32>): Map<string, TensorF32> {
  return new Map([...tensors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
