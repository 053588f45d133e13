/**
 * Which tokens of a tokenizer folder play the special roles (cls, sep, pad, mask, unk), read from
 * the files Hugging Face writes, and the small JSON readers they share with the tokenizer.
 */
import { readFileSync } from 'node:fs';
import { FormatError } from '../engine/errors';
import type { SpecialIds } from './types';

export const SPECIAL_CANDIDATES: Record<keyof SpecialIds, string[]> = {
  cls: ['[CLS]', '<s>'],
  sep: ['[SEP]', '</s>'],
  pad: ['[PAD]', '<pad>'],
  mask: ['[MASK]', '<mask>'],
  unk: ['[UNK]', '<unk>'],
};

export function readJsonObject(file: string): Record<string, unknown> {
  return readJsonText(file).parsed;
}

export function readJsonText(file: string): { text: string; parsed: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FormatError(file, 'must hold a JSON object');
  }
  return { text, parsed: parsed as Record<string, unknown> };
}

/** A special-token entry in tokenizer_config.json / special_tokens_map.json: a string or an AddedToken object. */
function specialTokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

export type SpecialTokenNames = Partial<Record<keyof SpecialIds, string>>;

/**
 * The special tokens a tokenizer folder names, by role: from `special_tokens_map.json`, else
 * `tokenizer_config.json` (`cls_token`, …), else what `tokenizer.json` itself says (its
 * post-processor's first and last special token are the cls and sep tokens, the model's
 * `unk_token`, the padding's `pad_token`), else a usual name (`[MASK]`, `<mask>`, …) that
 * `tokenizer.json` lists among its special added tokens. A role none of these names is absent.
 * Hugging Face folders often come without the map (`bert-base-uncased` has none).
 */
export function specialTokenNames(files: {
  tokenizerFile: string;
  tokenizerConfigFile?: string;
  specialTokensMapFile?: string;
}): SpecialTokenNames {
  const specialMap = files.specialTokensMapFile ? readJsonObject(files.specialTokensMapFile) : {};
  const tokenizerConfig = files.tokenizerConfigFile ? readJsonObject(files.tokenizerConfigFile) : {};
  const declared = declaredSpecialTokens(readJsonObject(files.tokenizerFile));
  const names: SpecialTokenNames = {};
  for (const key of Object.keys(SPECIAL_CANDIDATES) as Array<keyof SpecialIds>) {
    const name = specialTokenContent(specialMap[`${key}_token`]) ?? specialTokenContent(tokenizerConfig[`${key}_token`]) ?? declared[key];
    if (name !== undefined) names[key] = name;
  }
  return names;
}

/** The roles `tokenizer.json` names on its own: see `specialTokenNames`. */
function declaredSpecialTokens(json: Record<string, unknown>): SpecialTokenNames {
  const out: SpecialTokenNames = {};
  const processor = json.post_processor as Record<string, unknown> | null | undefined;
  const processors =
    processor?.type === 'Sequence' && Array.isArray(processor.processors)
      ? (processor.processors as Array<Record<string, unknown>>)
      : processor
        ? [processor]
        : [];
  for (const p of processors) {
    if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
      const specials = (p.single as Array<{ SpecialToken?: { id?: unknown } }>)
        .map((piece) => piece.SpecialToken?.id)
        .filter((id): id is string => typeof id === 'string');
      if (specials.length >= 2) {
        out.cls ??= specials[0];
        out.sep ??= specials[specials.length - 1];
      }
    } else if ((p.type === 'BertProcessing' || p.type === 'RobertaProcessing') && Array.isArray(p.cls) && Array.isArray(p.sep)) {
      if (typeof p.cls[0] === 'string') out.cls ??= p.cls[0];
      if (typeof p.sep[0] === 'string') out.sep ??= p.sep[0];
    }
  }
  const unk = (json.model as { unk_token?: unknown } | null | undefined)?.unk_token;
  if (typeof unk === 'string') out.unk = unk;
  const pad = (json.padding as { pad_token?: unknown } | null | undefined)?.pad_token;
  if (typeof pad === 'string') out.pad = pad;
  const added = new Set(
    (Array.isArray(json.added_tokens) ? (json.added_tokens as Array<{ content?: unknown; special?: unknown }>) : [])
      .filter((t) => t.special === true && typeof t.content === 'string')
      .map((t) => t.content as string),
  );
  for (const key of Object.keys(SPECIAL_CANDIDATES) as Array<keyof SpecialIds>) {
    out[key] ??= SPECIAL_CANDIDATES[key].find((name) => added.has(name));
  }
  return out;
}
