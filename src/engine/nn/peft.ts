/**
 * Parameter-efficient fine-tuning inside the encoder graph: LoRA, bottleneck adapters and soft
 * prompts. The method is described by one config.json entry (`berth_peft`), so the same
 * description drives the training graph, the eval graph and, for adapters and prompts, the
 * exported model: reloading a directory rebuilds them from config.json + model.safetensors.
 * LoRA is merged into the base weights on export and leaves no trace in the exported config.
 *
 * Parameter names follow PEFT's where PEFT has them (`….query.lora_A.weight`), so the tensors
 * read naturally next to the HF names of the base model.
 */
import { FormatError, UnsupportedModelError } from '../errors';
import { EncoderConfig } from '../formats/config';
import { TensorF32 } from '../formats/safetensors';
import { GraphBuilder } from '../graph/builder';
import { dropout, linear } from '../graph/composites';
import { Value } from '../graph/value';
import { TensorData } from '../onnx/model';
import { Rng } from '../random';
import { encoderPrefix, familySpec, scheduledLayers } from './family';
import { usablePositions } from './positions';
import { WeightSource } from './weights';

/** The config.json key holding the PEFT description. */
export const PEFT_CONFIG_KEY = 'berth_peft';

/** PEFT's default LoRA targets for BERT: the attention query and value projections. */
export const DEFAULT_LORA_TARGETS: readonly string[] = ['query', 'value'];

/** The encoder Linear modules LoRA can target, by their last name components. */
export const LORA_TARGETABLE: readonly string[] = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'];

export interface LoraConfig {
  readonly type: 'lora';
  readonly r: number;
  readonly lora_alpha: number;
  readonly lora_dropout: number;
  readonly target_modules: readonly string[];
}

export interface AdapterConfig {
  readonly type: 'adapter';
  /** Bottleneck width = hidden_size / reduction_factor. */
  readonly reduction_factor: number;
  readonly non_linearity: 'relu';
}

export interface PromptConfig {
  readonly type: 'prompt';
  readonly num_virtual_tokens: number;
}

export type PeftConfig = LoraConfig | AdapterConfig | PromptConfig;

/** The soft prompt table, [num_virtual_tokens, hidden] (PEFT saves it under this name). */
export const PROMPT_EMBEDDINGS = 'prompt_embeddings';

const ADAPTER_SITES = ['attention.output', 'output'] as const;

/** The PEFT entry of `config`, checked; undefined when the model has none. */
export function peftOf(config: EncoderConfig, configFile = 'config.json'): PeftConfig | undefined {
  const raw = config[PEFT_CONFIG_KEY];
  if (raw === undefined || raw === null) return undefined;
  const bad = (problem: string): never => {
    throw new FormatError(configFile, `${PEFT_CONFIG_KEY}: ${problem}`);
  };
  if (typeof raw !== 'object') return bad('must be an object');
  const entry = raw as Record<string, unknown>;
  const positiveInt = (key: string): number => {
    const v = entry[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return bad(`"${key}" must be a positive integer`);
    return v;
  };
  switch (entry.type) {
    case 'lora': {
      const alpha = entry.lora_alpha;
      const drop = entry.lora_dropout;
      const targets = entry.target_modules;
      if (typeof alpha !== 'number' || !(alpha > 0)) bad('"lora_alpha" must be a positive number');
      if (typeof drop !== 'number' || !(drop >= 0 && drop < 1)) bad('"lora_dropout" must be in [0, 1)');
      if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string' && LORA_TARGETABLE.includes(t))) {
        bad(`"target_modules" must list some of ${LORA_TARGETABLE.join(', ')}`);
      }
      return {
        type: 'lora',
        r: positiveInt('r'),
        lora_alpha: alpha as number,
        lora_dropout: drop as number,
        target_modules: targets as string[],
      };
    }
    case 'adapter':
      if (entry.non_linearity !== 'relu') bad('"non_linearity" must be "relu"');
      return { type: 'adapter', reduction_factor: positiveInt('reduction_factor'), non_linearity: 'relu' };
    case 'prompt':
      return { type: 'prompt', num_virtual_tokens: positiveInt('num_virtual_tokens') };
    default:
      return bad(`unknown type ${JSON.stringify(entry.type)} (expected lora, adapter or prompt)`);
  }
}

/** BERT's layer-relative path of a LoRA target (`query` → `attention.self.query`). */
function loraTargetPath(target: string): string {
  return target === 'query' || target === 'key' || target === 'value' ? `attention.self.${target}` : target;
}

/** Which LoRA target a Linear is, from BERT's layer-relative path (`attention.self.query` → `query`), if any. */
function loraTargetOf(bertPath: string, targets: readonly string[]): string | undefined {
  // `output.dense` must not claim `attention.output.dense`, so match the whole layer-relative path.
  return targets.find((t) => loraTargetPath(t) === bertPath);
}

/** The hooks `buildEncoder` calls at the points a PEFT method changes the forward pass. */
export interface EncoderHooks {
  /**
   * After each encoder Linear: `module` is its checkpoint path without `.weight` (the family's
   * name, which names the LoRA tensors), `bertPath` BERT's layer-relative path (what targets
   * match). Returns the output to use.
   */
  linear(module: string, bertPath: string, x: Value, y: Value): Value;
  /** Whether `linear` changes anything (a fused Q/K/V projection would bypass it). */
  readonly changesLinears: boolean;
  /** After the attention-output and FFN-output dense + dropout, before the residual add (Houlsby placement). */
  sublayerOutput(module: string, y: Value): Value;
  /** Soft prompt: how many vectors are prepended to the input embeddings (0: none). */
  readonly promptLength: number;
  /** Prepends the soft prompt to `[B, L, H]` embeddings (word + token type); `typeRow0` is token type 0's row. */
  prependPrompt(embeddings: Value, typeRow0: Value | undefined): Value;
  /** Extends the `[B, L]` attention mask with ones for the prompt positions. */
  extendMask(mask: Value): Value;
  /** Drops the prompt positions from `[B, P + L, H]` hidden states, so outputs keep the caller's length. */
  dropPrompt(hidden: Value): Value;
}

/** Hooks for the PEFT entry of `config`, or undefined when it has none (the plain encoder). */
export function encoderHooks(g: GraphBuilder, config: EncoderConfig, weights: WeightSource): EncoderHooks | undefined {
  const peft = peftOf(config);
  if (!peft) return undefined;
  const hidden = config.hidden_size;
  const none: EncoderHooks = {
    linear: (_m, _p, _x, y) => y,
    changesLinears: false,
    sublayerOutput: (_m, y) => y,
    promptLength: 0,
    prependPrompt: (e) => e,
    extendMask: (m) => m,
    dropPrompt: (h) => h,
  };
  switch (peft.type) {
    case 'lora': {
      const scale = peft.lora_alpha / peft.r;
      return {
        ...none,
        changesLinears: true,
        linear(module, bertPath, x, y) {
          if (!loraTargetOf(bertPath, peft.target_modules)) return y;
          return g.scope('lora', () => {
            const [outF, inF] = [y.shape[y.rank - 1], x.shape[x.rank - 1]] as number[];
            const a = g.paramTransposed(`${module}.lora_A.weight`, weights.take(`${module}.lora_A.weight`, [peft.r, inF]));
            const b = g.paramTransposed(`${module}.lora_B.weight`, weights.take(`${module}.lora_B.weight`, [outF, peft.r]));
            const delta = linear(g, linear(g, dropout(g, x, peft.lora_dropout), a), b);
            return g.op.Add(y, g.op.Mul(delta, g.constant(scale, 'float32')));
          });
        },
      };
    }
    case 'adapter': {
      const bottleneck = adapterBottleneck(hidden, peft.reduction_factor);
      return {
        ...none,
        sublayerOutput(module, y) {
          return g.scope('adapter', () => {
            const p = `${module}.adapter`;
            const downW = g.paramTransposed(`${p}.down.weight`, weights.take(`${p}.down.weight`, [bottleneck, hidden]));
            const downB = g.param(`${p}.down.bias`, weights.take(`${p}.down.bias`, [bottleneck]));
            const upW = g.paramTransposed(`${p}.up.weight`, weights.take(`${p}.up.weight`, [hidden, bottleneck]));
            const upB = g.param(`${p}.up.bias`, weights.take(`${p}.up.bias`, [hidden]));
            return g.op.Add(y, linear(g, g.op.Relu(linear(g, y, downW, downB)), upW, upB));
          });
        },
      };
    }
    case 'prompt': {
      const n = peft.num_virtual_tokens;
      // The prompt lives in embedding space, before any projection (ELECTRA, ALBERT: embedding_size wide).
      const width = familySpec(config.model_type).embeddingSize?.(config) ?? hidden;
      const prompt = g.param(PROMPT_EMBEDDINGS, weights.take(PROMPT_EMBEDDINGS, [n, width]));
      return {
        ...none,
        promptLength: n,
        prependPrompt(e, typeRow0) {
          return g.scope('prompt', () => {
            // Prompt rows get token type 0, as PEFT's zero-padded token_type_ids give them.
            const rows = typeRow0 ? g.op.Add(prompt, typeRow0) : prompt;
            // [prompt; e] along the sequence axis as two placement MatMuls, P·prompt + Q·e, with
            // P = [I_n; 0] and Q = [0; I_L] cut to the runtime length: only ops with gradient rules.
            const longest = usablePositions(config) - n;
            const length = g.op.Shape(e, 1, 2);
            const total = g.op.Add(length, g.constant([n], 'int64'));
            const place = placementMatrices(n, longest);
            const p = g.op.Slice(g.initializer('prompt/placement_prompt', place.prompt), [0], total, [0]);
            const q = g.op.Slice(g.initializer('prompt/placement_input', place.input), [0, 0], g.op.Concat([total, length], 0), [0, 1]);
            return g.op.Add(g.op.MatMul(q, e), g.op.MatMul(p, rows));
          });
        },
        extendMask(mask) {
          return g.scope('prompt', () => {
            const shape = g.op.Concat([g.op.Shape(mask, 0, 1), g.constant([n], 'int64')], 0);
            const ones = g.op.ConstantOfShape(shape, { dtype: 'int64', dims: [1], data: new BigInt64Array([1n]) });
            return g.op.Concat([ones, mask], 1);
          });
        },
        dropPrompt(h) {
          return g.scope('prompt', () => g.op.Slice(h, [n], [2147483647], [1]));
        },
      };
    }
  }
}

/** P = [I_n; 0] ([n + longest, n]) and Q = [0; I_longest] ([n + longest, longest]). */
function placementMatrices(n: number, longest: number): { prompt: TensorData; input: TensorData } {
  const rows = n + longest;
  const prompt = new Float32Array(rows * n);
  for (let i = 0; i < n; i++) prompt[i * n + i] = 1;
  const input = new Float32Array(rows * longest);
  for (let j = 0; j < longest; j++) input[(n + j) * longest + j] = 1;
  return { prompt: { dtype: 'float32', dims: [rows, n], data: prompt }, input: { dtype: 'float32', dims: [rows, longest], data: input } };
}

export function adapterBottleneck(hidden: number, reductionFactor: number): number {
  return Math.max(1, Math.floor(hidden / reductionFactor));
}

function kaimingUniform(rows: number, cols: number, rng: Rng): Float32Array {
  // torch's kaiming_uniform_(a=√5) on a [rows, fan_in] weight: U(−1/√fan_in, 1/√fan_in).
  const bound = 1 / Math.sqrt(cols);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * bound;
  return data;
}

/**
 * The new tensors a PEFT method adds to `weights`, initialised as PEFT/AdapterHub do:
 * LoRA A kaiming-uniform and B zero (the model starts exactly where it was); adapter
 * projections N(0, 0.01²) with zero biases (near-identity, as Houlsby et al.); the soft prompt
 * from the word embeddings of randomly sampled vocabulary tokens (Lester et al.'s sampled-vocab init).
 */
export function initPeftWeights(
  config: EncoderConfig,
  peft: PeftConfig,
  weights: ReadonlyMap<string, TensorF32>,
  seed: number,
): Map<string, TensorF32> {
  const rng = new Rng(seed, 'splitmix32');
  const added = new Map<string, TensorF32>();
  const hidden = config.hidden_size;
  const family = familySpec(config.model_type);
  const prefix = encoderPrefix(family, (name) => weights.has(name));
  const named = (bertName: string): string => `${prefix}${family.rename(bertName, config)}`;
  // One set per stored layer: ALBERT's shared layer gets one LoRA pair or adapter, shared across depth.
  const layers = scheduledLayers(family, config);
  switch (peft.type) {
    case 'lora':
      for (const i of layers) {
        for (const target of peft.target_modules) {
          const module = named(`encoder.layer.${i}.${loraTargetPath(target)}`);
          const base = weights.get(`${module}.weight`);
          if (!base) throw new UnsupportedModelError(`LoRA target "${target}": no tensor ${module}.weight`);
          const [outF, inF] = base.shape;
          added.set(`${module}.lora_A.weight`, { shape: [peft.r, inF], data: kaimingUniform(peft.r, inF, rng) });
          added.set(`${module}.lora_B.weight`, { shape: [outF, peft.r], data: new Float32Array(outF * peft.r) });
        }
      }
      break;
    case 'adapter': {
      const b = adapterBottleneck(hidden, peft.reduction_factor);
      const normal = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * 1e-2);
      for (const i of layers) {
        for (const site of ADAPTER_SITES) {
          const p = `${named(`encoder.layer.${i}.${site}`)}.adapter`;
          added.set(`${p}.down.weight`, { shape: [b, hidden], data: normal(b * hidden) });
          added.set(`${p}.down.bias`, { shape: [b], data: new Float32Array(b) });
          added.set(`${p}.up.weight`, { shape: [hidden, b], data: normal(hidden * b) });
          added.set(`${p}.up.bias`, { shape: [hidden], data: new Float32Array(hidden) });
        }
      }
      break;
    }
    case 'prompt': {
      const word = weights.get(named('embeddings.word_embeddings.weight'));
      if (!word) throw new UnsupportedModelError('prompt tuning needs the word embeddings');
      const n = peft.num_virtual_tokens;
      const width = word.shape[1];
      const data = new Float32Array(n * width);
      // Skip the first rows, which hold [PAD] and other special or unused tokens in BERT vocabularies.
      const low = Math.min(1000, Math.floor(word.shape[0] / 2));
      for (let k = 0; k < n; k++) {
        const row = low + Math.floor(rng.uniform() * (word.shape[0] - low));
        data.set(word.data.subarray(row * width, (row + 1) * width), k * width);
      }
      added.set(PROMPT_EMBEDDINGS, { shape: [n, width], data });
      break;
    }
  }
  return added;
}

/** Whether `name` is a tensor the PEFT method added (not a base model parameter). */
export function isPeftParameter(name: string): boolean {
  return name === PROMPT_EMBEDDINGS || /\.lora_[AB]\.weight$/.test(name) || /\.adapter\.(down|up)\.(weight|bias)$/.test(name);
}

/**
 * Folds every LoRA pair into its base weight, `W ← W + (alpha / r) · B · A` (accumulated in
 * float64), and drops the LoRA tensors: the merged model is a plain model of the base architecture.
 */
export function mergeLora(tensors: ReadonlyMap<string, TensorF32>, lora: LoraConfig): Map<string, TensorF32> {
  const scale = lora.lora_alpha / lora.r;
  const out = new Map<string, TensorF32>();
  for (const [name, t] of tensors) if (!/\.lora_[AB]\.weight$/.test(name)) out.set(name, t);
  for (const [name, a] of tensors) {
    const m = /^(.*)\.lora_A\.weight$/.exec(name);
    if (!m) continue;
    const module = m[1];
    const b = tensors.get(`${module}.lora_B.weight`);
    const w = tensors.get(`${module}.weight`);
    if (!b || !w) throw new UnsupportedModelError(`LoRA pair of ${module} is incomplete`);
    const [outF, inF] = w.shape;
    const r = a.shape[0];
    const merged = new Float32Array(outF * inF);
    const row = new Float64Array(inF);
    for (let o = 0; o < outF; o++) {
      row.fill(0);
      for (let k = 0; k < r; k++) {
        const bk = b.data[o * r + k];
        if (bk === 0) continue;
        for (let i = 0; i < inF; i++) row[i] += bk * a.data[k * inF + i];
      }
      for (let i = 0; i < inF; i++) merged[o * inF + i] = w.data[o * inF + i] + scale * row[i];
    }
    out.set(`${module}.weight`, { shape: [outF, inF], data: merged });
  }
  return out;
}
