/**
 * Deterministic WordPiece vocabulary learning, and the four files of a Hugging Face BERT
 * tokenizer (`tokenizer.json`, `vocab.txt`, `tokenizer_config.json`, `special_tokens_map.json`).
 *
 * The words are those of the `tokenizers` library itself (its BertNormalizer and BertPreTokenizer
 * through the Node binding). The vocabulary is learned here rather than by the binding's
 * WordPieceTrainer: that trainer breaks frequency ties by internal ids handed out in hash-map
 * order, so two runs on one corpus give different vocabularies. The algorithm is the same (BPE
 * merges with `##` continuation pieces); ties are broken by text, so a run is reproducible byte
 * for byte.
 *
 * `learnPieces` keeps pair counts and the words holding each pair up to date between merges and
 * takes the best pair from a heap, so a corpus of a few hundred thousand distinct words learns
 * thousands of pieces in seconds. It gives exactly the pieces of the plain algorithm (recount
 * every pair, merge the best, repeat), which `learnPiecesByRecounting` keeps as the reference.
 */
import { bertNormalizer, bertPreTokenizer } from '@anush008/tokenizers';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
/** Always in the vocabulary, so that unseen ASCII words still split into pieces instead of [UNK]. */
export const ASCII_ALPHABET: readonly string[] = [...'abcdefghijklmnopqrstuvwxyz0123456789', ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
/** The capitals a cased vocabulary always holds besides ASCII_ALPHABET. */
const ASCII_CAPITALS: readonly string[] = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

/**
 * Uncased is bert-base-uncased's normalisation (lowercased, accents stripped); cased is
 * bert-base-cased's (text kept as written), which English NER needs: most of what tells a name
 * from a word is its capital letter.
 */
export interface CasingOptions {
  cased?: boolean;
}
export const PREFIX = '##';

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Counts words as BERT's tokenizer sees them (punctuation split; uncased: lowercased, accents stripped). */
export class WordCounter {
  readonly counts = new Map<string, number>();
  private readonly normalizer: ReturnType<typeof bertNormalizer>;
  private readonly preTokenizer = bertPreTokenizer();

  constructor({ cased = false }: CasingOptions = {}) {
    this.normalizer = bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: !cased, lowercase: !cased });
  }

  add(text: string, times = 1): void {
    for (const [word] of this.preTokenizer.preTokenizeString(this.normalizer.normalizeString(text))) {
      this.counts.set(word, (this.counts.get(word) ?? 0) + times);
    }
  }
}

interface Pair {
  left: string;
  right: string;
  /** `${left} ${right}`: the tie-break order and the map key. */
  key: string;
  count: number;
}

function initialWords(counts: ReadonlyMap<string, number>): Array<{ symbols: string[]; count: number }> {
  return [...counts.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([word, count]) => ({ symbols: [...word].map((c, i) => (i === 0 ? c : PREFIX + c)), count }));
}

function joinPieces(left: string, right: string): string {
  return left + right.slice(PREFIX.length);
}

/** Merges every non-overlapping occurrence of (left, right), scanning left to right. */
function mergeSymbols(symbols: readonly string[], left: string, right: string, merged: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}

/** True when pair a is chosen before pair b: higher count, then smaller text. */
function before(a: { count: number; key: string }, b: { count: number; key: string }): boolean {
  return a.count > b.count || (a.count === b.count && a.key < b.key);
}

/** A binary heap of (count, key) snapshots; entries whose count is no longer current are skipped on pop. */
class PairHeap {
  private readonly items: Array<{ count: number; key: string }> = [];

  get size(): number {
    return this.items.length;
  }

  push(item: { count: number; key: string }): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): { count: number; key: string } | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l], items[best])) best = l;
        if (r < items.length && before(items[r], items[best])) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best], items[i]];
        i = best;
      }
    }
    return top;
  }
}

/**
 * WordPiece vocabulary learning as in HF's WordPieceTrainer (BPE merges with `##` on continuation
 * pieces): repeatedly merge the most frequent adjacent pair, ties broken by the pair's text
 * ("left right"), until `budget` new pieces exist or nothing is left to merge. Returns the
 * learned pieces in merge order (a merge that rebuilds a known piece adds nothing).
 */
export function learnPieces(counts: ReadonlyMap<string, number>, budget: number): string[] {
  const words = initialWords(counts);
  const pairs = new Map<string, Pair>();
  const holders = new Map<string, Set<number>>();
  const heap = new PairHeap();
  const touched = new Set<string>();

  const addPairs = (index: number, sign: 1 | -1): void => {
    const { symbols, count } = words[index];
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      let pair = pairs.get(key);
      if (!pair) {
        pair = { left: symbols[i], right: symbols[i + 1], key, count: 0 };
        pairs.set(key, pair);
      }
      pair.count += sign * count;
      touched.add(key);
      let set = holders.get(key);
      if (sign > 0) {
        if (!set) holders.set(key, (set = new Set()));
        set.add(index);
      } else {
        set?.delete(index);
      }
    }
  };
  const publishTouched = (): void => {
    for (const key of touched) {
      const pair = pairs.get(key)!;
      if (pair.count <= 0) {
        pairs.delete(key);
        holders.delete(key);
      } else {
        heap.push({ count: pair.count, key });
      }
    }
    touched.clear();
  };

  for (let w = 0; w < words.length; w++) addPairs(w, 1);
  publishTouched();

  const learned: string[] = [];
  const known = new Set<string>();
  while (learned.length < budget && heap.size > 0) {
    const top = heap.pop()!;
    const best = pairs.get(top.key);
    if (!best || best.count !== top.count) continue;
    const merged = joinPieces(best.left, best.right);
    if (!known.has(merged)) {
      known.add(merged);
      learned.push(merged);
    }
    for (const index of [...(holders.get(best.key) ?? [])]) {
      // A pair can occur twice in one word: take the word's pairs out whole and put the merged word's back.
      addPairs(index, -1);
      words[index].symbols = mergeSymbols(words[index].symbols, best.left, best.right, merged);
      addPairs(index, 1);
    }
    publishTouched();
  }
  return learned;
}

/** The plain algorithm: recount every pair after every merge. Quadratic; the reference for `learnPieces`. */
export function learnPiecesByRecounting(counts: ReadonlyMap<string, number>, budget: number): string[] {
  const words = initialWords(counts);
  const learned: string[] = [];
  const known = new Set<string>();
  while (learned.length < budget) {
    const pairCounts = new Map<string, Pair>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        const entry = pairCounts.get(key);
        if (entry) entry.count += count;
        else pairCounts.set(key, { left: symbols[i], right: symbols[i + 1], key, count });
      }
    }
    let best: Pair | undefined;
    for (const entry of pairCounts.values()) if (!best || before(entry, best)) best = entry;
    if (!best) break;
    const merged = joinPieces(best.left, best.right);
    if (!known.has(merged)) {
      known.add(merged);
      learned.push(merged);
    }
    for (const word of words) word.symbols = mergeSymbols(word.symbols, best.left, best.right, merged);
  }
  return learned;
}

export interface VocabularyOptions extends CasingOptions {
  /** Total size, special tokens and alphabet included. */
  vocabSize: number;
  /**
   * Characters seen fewer times than this (over all words, weighted by count) are left out of the
   * alphabet, and words holding them are left out of learning: they become [UNK]. ASCII is always
   * kept. Default 1 keeps every character.
   */
  minCharCount?: number;
  /** Characters kept in the alphabet however rare (in normalised form: uncased, lowercase without accents). */
  extraAlphabet?: readonly string[];
}

export interface Vocabulary {
  tokens: string[];
  /** Characters left out of the alphabet (rarer than minCharCount). */
  droppedCharacters: string[];
}

/** Special tokens, then the alphabet (as word starts, then as `##` continuations), then learned pieces. */
export function buildVocabulary(counts: ReadonlyMap<string, number>, options: VocabularyOptions): Vocabulary {
  const minCharCount = options.minCharCount ?? 1;
  const charCounts = new Map<string, number>();
  for (const [word, count] of counts) for (const c of word) charCounts.set(c, (charCounts.get(c) ?? 0) + count);
  const characters = new Set<string>([...ASCII_ALPHABET, ...(options.cased ? ASCII_CAPITALS : []), ...(options.extraAlphabet ?? [])]);
  const droppedCharacters: string[] = [];
  for (const [c, n] of charCounts) {
    if (n >= minCharCount) characters.add(c);
    else if (!characters.has(c)) droppedCharacters.push(c);
  }
  droppedCharacters.sort(compareText);
  const learnable = new Map<string, number>();
  for (const [word, count] of counts) if ([...word].every((c) => characters.has(c))) learnable.set(word, count);

  const alphabet = [...characters].sort(compareText);
  const tokens: string[] = [...SPECIAL_TOKENS, ...alphabet, ...alphabet.map((c) => PREFIX + c)];
  if (tokens.length > options.vocabSize) {
    throw new RangeError(`vocabulary size ${options.vocabSize} is below the ${tokens.length} special and alphabet tokens`);
  }
  const seen = new Set(tokens);
  for (const piece of learnPieces(learnable, options.vocabSize - tokens.length)) {
    if (!seen.has(piece)) {
      tokens.push(piece);
      seen.add(piece);
    }
  }
  return { tokens, droppedCharacters };
}

function addedToken(content: string, id: number): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** BERT's `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` template, as bert-base-uncased's tokenizer.json writes it. */
export function bertPostProcessor(id: (token: '[CLS]' | '[SEP]') => number): Record<string, unknown> {
  return {
    type: 'TemplateProcessing',
    single: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
    ],
    pair: [
      { SpecialToken: { id: '[CLS]', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } },
      { SpecialToken: { id: '[SEP]', type_id: 1 } },
    ],
    special_tokens: {
      '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
      '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
    },
  };
}

/** The layout of bert-base-uncased's (or, cased, bert-base-cased's) tokenizer.json, with this vocabulary. */
export function tokenizerJson(vocabulary: readonly string[], { cased = false }: CasingOptions = {}): Record<string, unknown> {
  const ids = new Map(vocabulary.map((token, i) => [token, i]));
  const id = (token: string): number => ids.get(token)!;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((token) => addedToken(token, id(token))),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: !cased },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: bertPostProcessor(id),
    decoder: { type: 'WordPiece', prefix: PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: PREFIX,
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocabulary.map((token, i) => [token, i])),
    },
  };
}

/** File name → contents of a BERT tokenizer directory (uncased unless `cased`). */
export function tokenizerFiles(vocabulary: readonly string[], modelMaxLength: number, casing: CasingOptions = {}): Record<string, string> {
  const specials = { cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' };
  const config = {
    clean_up_tokenization_spaces: true,
    ...specials,
    do_basic_tokenize: true,
    do_lower_case: !casing.cased,
    model_max_length: modelMaxLength,
    never_split: null,
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
  };
  return {
    'tokenizer.json': `${JSON.stringify(tokenizerJson(vocabulary, casing), null, 2)}\n`,
    'vocab.txt': `${vocabulary.join('\n')}\n`,
    'tokenizer_config.json': `${JSON.stringify(config, null, 2)}\n`,
    'special_tokens_map.json': `${JSON.stringify(specials, null, 2)}\n`,
  };
}
