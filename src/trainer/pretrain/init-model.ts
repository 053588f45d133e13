/**
 * A randomly initialised `BertForMaskedLM` in HF layout, sized by a preset or explicit dimensions,
 * over a given WordPiece tokenizer: the starting point of pre-training.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../engine/errors';
import { EncoderConfig, writeConfig } from '../../engine/formats/config';
import { writeSafetensors } from '../../engine/formats/safetensors';
import { initWeights } from '../../engine/init';
import { buildInferenceModel } from '../../engine/nn/bert';
import { writeDirAtomically } from '../../engine/nn/export';
import { TOKENIZER_FILES, bertConfigFor, readVocab } from '../../engine/nn/tiny';
import { writeModelFile } from '../../engine/onnx/encode';
import { SpecialIds, specialTokenNames } from '../../tokenizer/tokenizer';

export interface EncoderDims {
  readonly num_hidden_layers: number;
  readonly hidden_size: number;
  readonly num_attention_heads: number;
  readonly intermediate_size: number;
}

/** Size presets: layers × hidden × heads, feed-forward 4 × hidden as in BERT. */
export const MODEL_PRESETS: Readonly<Record<string, EncoderDims>> = {
  tiny: { num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, intermediate_size: 256 },
  mini: { num_hidden_layers: 4, hidden_size: 256, num_attention_heads: 4, intermediate_size: 1024 },
  small: { num_hidden_layers: 4, hidden_size: 512, num_attention_heads: 8, intermediate_size: 2048 },
  medium: { num_hidden_layers: 8, hidden_size: 512, num_attention_heads: 8, intermediate_size: 2048 },
};

/** Fields of config.json a caller may set besides the preset's dimensions. */
const SETTABLE = new Set([
  'num_hidden_layers',
  'hidden_size',
  'num_attention_heads',
  'intermediate_size',
  'max_position_embeddings',
  'hidden_dropout_prob',
  'attention_probs_dropout_prob',
  'hidden_act',
  'initializer_range',
  'layer_norm_eps',
  'type_vocab_size',
]);

/**
 * `spec` is a preset name, a JSON object, or a path to a JSON file; a JSON object may name a
 * `preset` and override single fields (`{"preset": "mini", "num_hidden_layers": 2}`).
 */
export function resolveModelSpec(spec: string): Partial<EncoderConfig> {
  if (MODEL_PRESETS[spec]) return { ...MODEL_PRESETS[spec] };
  let text = spec;
  let source = '--config';
  if (!spec.trimStart().startsWith('{')) {
    if (!existsSync(spec))
      throw new FormatError(spec, `neither a preset (${Object.keys(MODEL_PRESETS).join(', ')}), a JSON object nor a file`);
    text = readFileSync(spec, 'utf8');
    source = spec;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FormatError(source, `invalid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FormatError(source, 'expected a JSON object');
  const { preset, ...fields } = parsed as Record<string, unknown>;
  let out: Record<string, unknown> = {};
  if (preset !== undefined) {
    if (typeof preset !== 'string' || !MODEL_PRESETS[preset]) throw new FormatError(source, `unknown preset ${JSON.stringify(preset)}`);
    out = { ...MODEL_PRESETS[preset] };
  }
  for (const [key, value] of Object.entries(fields)) {
    if (!SETTABLE.has(key)) throw new FormatError(source, `"${key}" cannot be set (settable: ${[...SETTABLE].join(', ')})`);
    if (key === 'hidden_act' ? typeof value !== 'string' : typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new FormatError(source, `"${key}" has an invalid value ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out as Partial<EncoderConfig>;
}

/** The complete masked-LM config: BERT's defaults, the given dimensions, the vocabulary's size and [PAD]. */
export function maskedLmConfig(dims: Partial<EncoderConfig>, vocabFile: string): EncoderConfig {
  if (!readVocab(vocabFile).tokens.includes('[MASK]')) {
    throw new FormatError(vocabFile, 'no [MASK] token in the vocabulary: masked-LM needs one');
  }
  const config = bertConfigFor(vocabFile, {
    architectures: ['BertForMaskedLM'],
    ...MODEL_PRESETS.mini,
    id2label: { '0': 'LABEL_0', '1': 'LABEL_1' },
    label2id: { LABEL_0: 0, LABEL_1: 1 },
    ...dims,
  });
  for (const key of ['num_hidden_layers', 'hidden_size', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings'] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new FormatError(vocabFile, `${key} must be a positive integer, got ${String(v)}`);
  }
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new FormatError(
      vocabFile,
      `hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`,
    );
  }
  return config;
}

export interface InitModelOptions {
  /** Preset name, JSON object or JSON file (see resolveModelSpec). */
  readonly spec: string;
  /**
   * Directory holding tokenizer.json, vocab.txt and tokenizer_config.json, and optionally
   * special_tokens_map.json (written from the other two when absent, as in many HF folders).
   */
  readonly tokenizerDir: string;
  readonly outDir: string;
  readonly seed: number;
  readonly overwrite?: boolean;
}

export function countParameters(config: EncoderConfig, seed = 0): number {
  let n = 0;
  for (const t of initWeights(config, 'masked-lm', seed).values()) n += t.data.length;
  return n;
}

const SPECIAL_TOKENS_MAP = 'special_tokens_map.json';
/** The roles a masked-LM tokenizer must name, in the order HF writes special_tokens_map.json. */
const MAP_ROLES: ReadonlyArray<keyof SpecialIds> = ['unk', 'sep', 'pad', 'cls', 'mask'];

/**
 * special_tokens_map.json for a tokenizer folder without one: each role as `tokenizer_config.json`
 * or `tokenizer.json` names it (see `specialTokenNames`); a role neither names is a FormatError.
 */
export function specialTokensMapFor(tokenizerDir: string): Record<string, string> {
  const tokenizerConfig = join(tokenizerDir, 'tokenizer_config.json');
  const names = specialTokenNames({
    tokenizerFile: join(tokenizerDir, 'tokenizer.json'),
    tokenizerConfigFile: existsSync(tokenizerConfig) ? tokenizerConfig : undefined,
  });
  const missing = MAP_ROLES.filter((role) => names[role] === undefined);
  if (missing.length > 0) {
    throw new FormatError(
      join(tokenizerDir, SPECIAL_TOKENS_MAP),
      `file not found, and tokenizer_config.json / tokenizer.json do not name the ${missing.join(', ')} token${missing.length > 1 ? 's' : ''}`,
    );
  }
  return Object.fromEntries(MAP_ROLES.map((role) => [`${role}_token`, names[role] as string]));
}

/** Writes config.json, the tokenizer files, model.safetensors and model.onnx; the same seed gives the same bytes. */
export function initModelDir(options: InitModelOptions): { files: string[]; config: EncoderConfig; parameters: number } {
  const config = maskedLmConfig(resolveModelSpec(options.spec), join(options.tokenizerDir, 'vocab.txt'));
  const present = (name: string) => existsSync(join(options.tokenizerDir, name));
  for (const name of TOKENIZER_FILES) {
    if (name !== SPECIAL_TOKENS_MAP && !present(name)) throw new FormatError(join(options.tokenizerDir, name), 'file not found');
  }
  const specialTokensMap = present(SPECIAL_TOKENS_MAP) ? undefined : specialTokensMapFor(options.tokenizerDir);
  const weights = initWeights(config, 'masked-lm', options.seed);
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  const model = buildInferenceModel(config, weights, { head: 'masked-lm' });
  const { files } = writeDirAtomically(options.outDir, options.overwrite ?? false, (tmp) => {
    writeConfig(join(tmp, 'config.json'), config);
    writeSafetensors(join(tmp, 'model.safetensors'), weights, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), model);
    for (const name of TOKENIZER_FILES) if (present(name)) copyFileSync(join(options.tokenizerDir, name), join(tmp, name));
    if (specialTokensMap) writeFileSync(join(tmp, SPECIAL_TOKENS_MAP), `${JSON.stringify(specialTokensMap, null, 2)}\n`);
  });
  return { files, config, parameters };
}
