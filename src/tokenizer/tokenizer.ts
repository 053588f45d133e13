/**
 * The one wrapper around Hugging Face `tokenizers` (Rust, through its Node binding), so that ids,
 * word ids and character offsets are exactly those of Python's fast tokenizers.
 *
 * Three things the binding does not do safely on its own, and how they are handled here:
 * - Truncation and padding are mutable settings of a binding tokenizer, read when an async encode
 *   runs on a worker thread. Concurrent requests with different options would race, so each
 *   truncation setting gets its own binding instance, configured once and never changed. A
 *   `tokenizer.json` that arrives with truncation or padding switched on is overridden.
 * - `encodeBatch` accepts single texts only; pairs are encoded one `encode` call each, concurrently.
 *   (Encoding both sides without special tokens and calling `postProcess` would be faster, but the
 *   template then leaves type id 0 on the second sequence of every overflow window.)
 * - Pre-split words (`is_split_into_words`) are encoded word by word, merged and post-processed, as
 *   the Rust library does internally; the binding cannot tag word ids, so they are recovered here.
 *   Byte-level BPE tokenizers (RoBERTa) get the space mark on every word, as HF does when loaded
 *   with `add_prefix_space=True` (HF refuses pre-split words otherwise).
 */
import { Encoding, Tokenizer, TruncationStrategy, mergeEncodings } from '@anush008/tokenizers';
import { FormatError } from '../engine/errors';
import { readConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { peftOf } from '../engine/nn/peft';
import { InputTooLongError } from '../errors/domain-error';
import type { EncodeOptions, SpecialIds, TokenizedInput, TokenizerInput, TruncationMode } from './types';
import { readJsonObject, readJsonText, SPECIAL_CANDIDATES, specialTokenNames, type SpecialTokenNames } from './special-tokens';

export { specialTokenNames } from './special-tokens';
export { codePointToUtf16, skipLeadingSpace } from './offsets';
export type { EncodeOptions, QaWindow, SpecialIds, TokenizedInput, TokenizerInput, TruncationMode } from './types';
export type { SpecialTokenNames } from './special-tokens';

/** Values of model_max_length at or above this are HF's "unknown" sentinel (1e30), not a limit. */
/**
 * Hugging Face tokenizers splits a batch over a rayon thread pool whose threads spin after each
 * call, taking a core from the ONNX Runtime run that follows: on two cores the inference stage
 * of a lone request measured 1.52 → 1.27 ms with it off (bench/compare.ts, docs/benchmarks.md).
 * The library reads this variable at each call; an operator's own setting wins.
 */
process.env.TOKENIZERS_PARALLELISM ??= 'false';

const UNKNOWN_MAX_LENGTH = 1e9;
const DEFAULT_MAX_LENGTH = 512;
/** Binding instances kept per truncation setting (each holds its own copy of the vocabulary). */
const MAX_CACHED_SETTINGS = 8;

/** Model families whose position ids start after the padding index (HF `create_position_ids_from_input_ids`). */
const POSITION_OFFSET: Record<string, number> = { roberta: 2, 'xlm-roberta': 2, camembert: 2 };

const STRATEGY: Record<Exclude<TruncationMode, false>, TruncationStrategy> = {
  longest_first: TruncationStrategy.LongestFirst,
  only_first: TruncationStrategy.OnlyFirst,
  only_second: TruncationStrategy.OnlySecond,
};

interface Truncation {
  maxLength: number;
  strategy: Exclude<TruncationMode, false>;
  stride: number;
}

function toTokenized(encoding: Encoding): TokenizedInput {
  return {
    ids: encoding.getIds(),
    typeIds: encoding.getTypeIds(),
    attentionMask: encoding.getAttentionMask(),
    tokens: encoding.getTokens(),
    offsets: encoding.getOffsets().map((o) => [o[0], o[1]] as [number, number]),
    wordIds: encoding.getWordIds().map((w) => w ?? null),
    sequenceIds: encoding.getSequenceIds().map((s) => s ?? null),
    specialTokensMask: encoding.getSpecialTokensMask(),
  };
}

function withWindows(encoding: Encoding, returnOverflowing: boolean): TokenizedInput[] {
  const main = toTokenized(encoding);
  return returnOverflowing ? [main, ...encoding.getOverflowing().map(toTokenized)] : [main];
}

/** The Rust library reports an impossible truncation (e.g. a question longer than max_length) as an error. */
function translateError(e: unknown, maxLength: number): never {
  // Not `instanceof Error`: errors from the native binding may come from another realm.
  const raw = (e as { message?: unknown } | null)?.message;
  const message = typeof raw === 'string' ? raw : String(e);
  if (message.startsWith('Truncation error')) {
    throw new InputTooLongError(`input cannot be truncated to ${maxLength} tokens: ${message}`, { maxLength });
  }
  throw e;
}

export class BerthTokenizer {
  /** One binding instance per truncation setting; see the file comment. */
  private readonly instances = new Map<string, Tokenizer>();

  private constructor(
    private readonly json: string,
    /** The same tokenizer as HF loads it with `add_prefix_space=True`, for pre-split words. */
    private readonly wordsJson: string,
    readonly maxLength: number,
    readonly vocabSize: number,
    readonly specialIds: SpecialIds,
    private readonly specialCounts: { single: number; pair: number },
    base: Tokenizer,
  ) {
    this.instances.set('none', base);
    // Build the default setting now, not on the first request.
    this.instance({ maxLength, strategy: 'longest_first', stride: 0 });
  }

  static async fromFile(tokenizerJson: string, opts: { modelMaxLength?: number } = {}): Promise<BerthTokenizer> {
    return BerthTokenizer.load(tokenizerJson, opts.modelMaxLength, {});
  }

  /**
   * Reads tokenizer.json (+ tokenizer_config.json model_max_length) and caps maxLength by config
   * max_position_embeddings (minus RoBERTa's offset of 2 when model_type is roberta, and minus
   * the soft prompt a prompt-tuned model prepends, which takes positions too).
   */
  static async fromModelDir(dir: string): Promise<BerthTokenizer> {
    const files = locateHfModelDir(dir);
    const config = readConfig(files.configFile);
    const tokenizerConfig = files.tokenizerConfigFile ? readJsonObject(files.tokenizerConfigFile) : {};

    const peft = peftOf(config, files.configFile);
    const prompt = peft?.type === 'prompt' ? peft.num_virtual_tokens : 0;
    const limits: number[] = [config.max_position_embeddings - (POSITION_OFFSET[config.model_type] ?? 0) - prompt];
    const configured = tokenizerConfig.model_max_length;
    if (typeof configured === 'number' && Number.isSafeInteger(configured) && configured > 0 && configured < UNKNOWN_MAX_LENGTH) {
      limits.push(configured);
    }
    return BerthTokenizer.load(files.tokenizerFile, Math.min(...limits), specialTokenNames(files));
  }

  private static async load(file: string, modelMaxLength: number | undefined, specialNames: SpecialTokenNames): Promise<BerthTokenizer> {
    const { text: json, parsed } = readJsonText(file);
    let base: Tokenizer;
    try {
      base = Tokenizer.fromString(json);
    } catch (e) {
      throw new FormatError(file, `not a valid tokenizer file (${(e as Error).message})`);
    }
    base.disableTruncation();
    base.disablePadding();

    const lookup = (key: keyof SpecialIds): number | undefined => {
      const named = specialNames[key];
      const candidates = named !== undefined ? [named] : SPECIAL_CANDIDATES[key];
      for (const token of candidates) {
        const id = base.tokenToId(token);
        if (id !== null && id !== undefined) return id;
      }
      return undefined;
    };
    const required = (key: keyof SpecialIds): number => {
      const id = lookup(key);
      if (id === undefined) {
        const tried = specialNames[key] ?? SPECIAL_CANDIDATES[key].join(' or ');
        throw new FormatError(file, `vocabulary has no ${key} token (looked for ${tried})`);
      }
      return id;
    };
    const specialIds: SpecialIds = { cls: required('cls'), sep: required('sep'), pad: required('pad'), unk: required('unk') };
    const mask = lookup('mask');
    if (mask !== undefined) specialIds.mask = mask;

    const truncation = parsed.truncation as { max_length?: unknown } | null | undefined;
    const hinted = typeof truncation?.max_length === 'number' ? truncation.max_length : undefined;
    const maxLength = modelMaxLength ?? hinted ?? DEFAULT_MAX_LENGTH;

    const [empty, emptyPair] = await base.encodeBatch(['', ''], { addSpecialTokens: false });
    const specialCounts = {
      single: base.postProcess(empty, null, true).getLength(),
      pair: base.postProcess(empty, emptyPair, true).getLength(),
    };
    return new BerthTokenizer(
      json,
      prefixSpaceVariant(parsed) ?? json,
      maxLength,
      base.getVocabSize(true),
      specialIds,
      specialCounts,
      base,
    );
  }

  /** Number of tokens the template adds ([CLS] A [SEP] → 2; [CLS] A [SEP] B [SEP] → 3). */
  numSpecialTokens(pair: boolean): number {
    return pair ? this.specialCounts.pair : this.specialCounts.single;
  }

  tokenToId(token: string): number | undefined {
    return this.instance(null).tokenToId(token) ?? undefined;
  }

  idToToken(id: number): string | undefined {
    return this.instance(null).idToToken(id) ?? undefined;
  }

  /** Like HF `decode`: special tokens are kept unless skipSpecialTokens. */
  decode(ids: number[], skipSpecialTokens = false): Promise<string> {
    return this.instance(null).decode(ids, skipSpecialTokens);
  }

  /** [main, ...overflow windows] (windows only when returnOverflowing). */
  async encode(text: string, pair?: string, opts: EncodeOptions = {}): Promise<TokenizedInput[]> {
    const [result] = await this.encodeBatch([pair === undefined ? text : [text, pair]], opts);
    return result;
  }

  /** One result per input, each [main, ...overflow windows]. */
  async encodeBatch(inputs: TokenizerInput[], opts: EncodeOptions = {}): Promise<TokenizedInput[][]> {
    const addSpecialTokens = opts.addSpecialTokens ?? true;
    const returnOverflowing = opts.returnOverflowing ?? false;
    const results: TokenizedInput[][] = new Array(inputs.length);

    const singleIndices: number[] = [];
    const pairIndices: number[] = [];
    inputs.forEach((input, i) => (typeof input === 'string' ? singleIndices : pairIndices).push(i));

    const jobs: Array<Promise<void>> = [];
    if (singleIndices.length > 0) {
      const truncation = this.truncation(opts, false);
      const tokenizer = this.instance(truncation);
      jobs.push(
        tokenizer
          .encodeBatch(
            singleIndices.map((i) => inputs[i] as string),
            { addSpecialTokens },
          )
          .then(
            (encodings) => encodings.forEach((e, k) => (results[singleIndices[k]] = withWindows(e, returnOverflowing))),
            (e: unknown) => translateError(e, truncation?.maxLength ?? this.maxLength),
          ),
      );
    }
    if (pairIndices.length > 0) {
      const truncation = this.truncation(opts, true);
      const tokenizer = this.instance(truncation);
      for (const i of pairIndices) {
        const [first, second] = inputs[i] as [string, string];
        jobs.push(
          tokenizer.encode(first, second, { addSpecialTokens }).then(
            (e) => void (results[i] = withWindows(e, returnOverflowing)),
            (e: unknown) => translateError(e, truncation?.maxLength ?? this.maxLength),
          ),
        );
      }
    }
    await Promise.all(jobs);
    return results;
  }

  /**
   * Words already split (NER training data), like HF `is_split_into_words=True`: word ids index
   * into `words`, and offsets are relative to each word, as HF reports them.
   */
  async encodeWords(words: string[], opts: EncodeOptions = {}): Promise<TokenizedInput[]> {
    const addSpecialTokens = opts.addSpecialTokens ?? true;
    const truncation = this.truncation(opts, false);
    // As the Rust library does for pre-tokenized input: each word alone, merged, post-processed.
    const perWord = words.length > 0 ? await this.instance(null, 'words').encodeBatch(words, { addSpecialTokens: false }) : [];
    const wordOfToken: number[] = [];
    perWord.forEach((encoding, w) => {
      for (let i = encoding.getLength(); i > 0; i--) wordOfToken.push(w);
    });
    const merged = mergeEncodings(perWord, false);
    let processed: Encoding;
    try {
      processed = this.instance(truncation, 'words').postProcess(merged, null, addSpecialTokens);
    } catch (e) {
      translateError(e, truncation?.maxLength ?? this.maxLength);
    }

    // The binding cannot tag tokens with word ids, so they are recovered by position: window k
    // holds the merged tokens from k · (room − stride), the rule of the Rust library's
    // `Encoding::truncate`; the ids are checked against that slice.
    const room = truncation ? truncation.maxLength - (addSpecialTokens ? this.numSpecialTokens(false) : 0) : 0;
    const step = truncation ? room - truncation.stride : 0;
    const mergedIds = merged.getIds();
    const windows = withWindows(processed, opts.returnOverflowing ?? false);
    windows.forEach((window, k) => {
      let cursor = k * step;
      window.sequenceIds.forEach((sequence, t) => {
        if (sequence === null) return;
        if (window.ids[t] !== mergedIds[cursor]) {
          throw new Error(`tokenizer: window ${k} of pre-split words does not line up with its words at token ${t}`);
        }
        window.wordIds[t] = wordOfToken[cursor++];
      });
    });
    return windows;
  }

  private truncation(opts: EncodeOptions, pair: boolean): Truncation | null {
    const mode = opts.truncation ?? 'longest_first';
    if (mode === false) return null;
    const maxLength = opts.maxLength ?? this.maxLength;
    const stride = opts.stride ?? 0;
    const room = maxLength - this.numSpecialTokens(pair);
    if (!Number.isSafeInteger(maxLength) || room <= 0) {
      throw new RangeError(`maxLength ${maxLength} leaves no room for text after ${this.numSpecialTokens(pair)} special tokens`);
    }
    if (!Number.isSafeInteger(stride) || stride < 0 || stride >= room) {
      throw new RangeError(`stride ${stride} must be a non-negative integer below ${room} (maxLength minus special tokens)`);
    }
    if (pair && mode === 'longest_first' && opts.returnOverflowing) {
      // The Rust library would return the cross product of both sides' windows; HF's fast
      // tokenizers refuse this combination for the same reason.
      throw new RangeError("overflow windows of a text pair need truncation 'only_first' or 'only_second'");
    }
    // With one sequence there is nothing to choose between: every strategy truncates it.
    return { maxLength, strategy: pair ? mode : 'longest_first', stride };
  }

  private instance(truncation: Truncation | null, input: 'text' | 'words' = 'text'): Tokenizer {
    const setting = truncation ? `${truncation.maxLength}/${truncation.strategy}/${truncation.stride}` : 'none';
    const words = input === 'words' && this.wordsJson !== this.json;
    const key = words ? `words:${setting}` : setting;
    let tokenizer = this.instances.get(key);
    if (tokenizer) {
      // Most recently used last, so that eviction drops the stalest setting.
      this.instances.delete(key);
      this.instances.set(key, tokenizer);
    } else {
      tokenizer = Tokenizer.fromString(words ? this.wordsJson : this.json);
      tokenizer.disablePadding();
      if (truncation) {
        tokenizer.setTruncation(truncation.maxLength, {
          strategy: STRATEGY[truncation.strategy],
          stride: truncation.stride,
        });
      } else {
        tokenizer.disableTruncation();
      }
      this.instances.set(key, tokenizer);
      // Settings can come from requests (maxLength, stride): bound the cache. An evicted
      // instance still in use by a running encode stays alive until that encode finishes.
      if (this.instances.size > MAX_CACHED_SETTINGS) {
        const stalest = [...this.instances.keys()].find((k) => k !== 'none' && k !== key);
        if (stalest !== undefined) this.instances.delete(stalest);
      }
    }
    return tokenizer;
  }
}

/**
 * Byte-level BPE (RoBERTa, DeBERTa v1) marks a word start with a space. HF refuses pre-split
 * words unless the tokenizer is loaded with `add_prefix_space=True`, which switches that flag
 * on in the pre-tokenizer and post-processor; this is the tokenizer.json it then runs, or
 * undefined when nothing changes (WordPiece, or a tokenizer that already adds the space).
 */
function prefixSpaceVariant(tokenizer: Record<string, unknown>): string | undefined {
  let changed = false;
  const visit = (component: unknown, listKey: string): void => {
    if (!component || typeof component !== 'object') return;
    const node = component as Record<string, unknown>;
    if (node.type === 'Sequence' && Array.isArray(node[listKey])) {
      for (const child of node[listKey] as unknown[]) visit(child, listKey);
      return;
    }
    if ((node.type === 'ByteLevel' || node.type === 'RobertaProcessing') && node.add_prefix_space === false) {
      node.add_prefix_space = true;
      changed = true;
    }
  };
  const copy = JSON.parse(JSON.stringify(tokenizer)) as Record<string, unknown>;
  visit(copy.pre_tokenizer, 'pretokenizers');
  visit(copy.post_processor, 'processors');
  return changed ? JSON.stringify(copy) : undefined;
}
