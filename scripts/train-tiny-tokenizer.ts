/**
 * Rebuilds assets/tiny-tokenizer/ (tokenizer.json, vocab.txt, tokenizer_config.json,
 * special_tokens_map.json) from assets/tiny-tokenizer/corpus.txt: an uncased BERT WordPiece
 * vocabulary small enough for test models.
 *
 * Run from the repository root:
 *   npx tsc --outDir node_modules/.cache/berth-scripts --module commonjs --target es2022 \
 *     --esModuleInterop --skipLibCheck --types node scripts/train-tiny-tokenizer.ts \
 *   && node node_modules/.cache/berth-scripts/train-tiny-tokenizer.js
 *
 * The words are those of the `tokenizers` library itself (its BertNormalizer and BertPreTokenizer
 * through the Node binding). The vocabulary is learned here rather than by the binding's
 * WordPieceTrainer: that trainer breaks frequency ties by internal ids that it hands out in
 * hash-map order, so two runs on the same corpus give different vocabularies (3473 to 3475
 * tokens in three runs). The algorithm is the same (BPE merges with `##` continuation pieces);
 * ties are broken by text, so running the script twice gives byte-identical files.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, bertNormalizer, bertPreTokenizer } from '@anush008/tokenizers';

const ASSET_DIR = join('assets', 'tiny-tokenizer');
const CORPUS = join(ASSET_DIR, 'corpus.txt');
/**
 * Merging stops here, before every word of the corpus has become a single token, so that rarer
 * words still split into `##` pieces (as in a real vocabulary).
 */
const MAX_VOCAB = 3000;
const MODEL_MAX_LENGTH = 512;
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
/** Always in the vocabulary, so that unseen ASCII words still split into pieces instead of [UNK]. */
const ASCII_ALPHABET = [...'abcdefghijklmnopqrstuvwxyz0123456789', ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
const PREFIX = '##';

/**
 * Words of the corpus as the library itself normalizes and pre-tokenizes them (BertNormalizer
 * lowercasing and stripping accents, BertPreTokenizer splitting on whitespace and punctuation).
 */
function corpusWordCounts(): Map<string, number> {
  const normalizer = bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true });
  const preTokenizer = bertPreTokenizer();
  const counts = new Map<string, number>();
  for (const line of readFileSync(CORPUS, 'utf8').split('\n')) {
    for (const [word] of preTokenizer.preTokenizeString(normalizer.normalizeString(line))) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * WordPiece vocabulary learning as in HF's WordPieceTrainer (BPE merges with `##` on
 * continuation pieces): repeatedly merge the most frequent adjacent pair, ties broken by the
 * merged pieces' text so that the result never depends on hash order. Returns the learned
 * pieces in merge order.
 */
function learnPieces(counts: Map<string, number>, budget: number): string[] {
  const words = [...counts.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([word, count]) => ({ symbols: [...word].map((c, i) => (i === 0 ? c : PREFIX + c)), count }));
  const join = (left: string, right: string): string => left + right.slice(PREFIX.length);
  const learned: string[] = [];
  const known = new Set<string>();
  while (learned.length < budget) {
    const pairCounts = new Map<string, { left: string; right: string; count: number }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        const entry = pairCounts.get(key);
        if (entry) entry.count += count;
        else pairCounts.set(key, { left: symbols[i], right: symbols[i + 1], count });
      }
    }
    let best: { left: string; right: string; count: number } | undefined;
    for (const entry of pairCounts.values()) {
      if (
        !best ||
        entry.count > best.count ||
        (entry.count === best.count && compareText(`${entry.left} ${entry.right}`, `${best.left} ${best.right}`) < 0)
      ) {
        best = entry;
      }
    }
    if (!best) break;
    const merged = join(best.left, best.right);
    if (!known.has(merged)) {
      known.add(merged);
      learned.push(merged);
    }
    for (const word of words) {
      const out: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (i + 1 < word.symbols.length && word.symbols[i] === best.left && word.symbols[i + 1] === best.right) {
          out.push(merged);
          i++;
        } else {
          out.push(word.symbols[i]);
        }
      }
      word.symbols = out;
    }
  }
  return learned;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildVocabulary(counts: Map<string, number>): string[] {
  const characters = new Set<string>(ASCII_ALPHABET);
  for (const word of counts.keys()) for (const c of word) characters.add(c);
  const alphabet = [...characters].sort(compareText);
  const vocabulary: string[] = [...SPECIAL_TOKENS, ...alphabet, ...alphabet.map((c) => PREFIX + c)];
  const seen = new Set(vocabulary);
  for (const piece of learnPieces(counts, MAX_VOCAB - vocabulary.length)) {
    if (!seen.has(piece)) {
      vocabulary.push(piece);
      seen.add(piece);
    }
  }
  return vocabulary;
}

function addedToken(content: string, id: number): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The layout of bert-base-uncased's tokenizer.json, with this vocabulary. */
function tokenizerJson(vocabulary: string[]): Record<string, unknown> {
  const id = (token: string): number => vocabulary.indexOf(token);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((token) => addedToken(token, id(token))),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
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
    },
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

function write(name: string, text: string): void {
  const file = join(ASSET_DIR, name);
  writeFileSync(file, text);
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  console.log(`${file}  ${Buffer.byteLength(text)} bytes  sha256 ${digest}…`);
}

function main(): void {
  const vocabulary = buildVocabulary(corpusWordCounts());
  const specials = { cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' };
  write('tokenizer.json', `${JSON.stringify(tokenizerJson(vocabulary), null, 2)}\n`);
  write('vocab.txt', `${vocabulary.join('\n')}\n`);
  write(
    'tokenizer_config.json',
    `${JSON.stringify(
      {
        clean_up_tokenization_spaces: true,
        ...specials,
        do_basic_tokenize: true,
        do_lower_case: true,
        model_max_length: MODEL_MAX_LENGTH,
        never_split: null,
        strip_accents: null,
        tokenize_chinese_chars: true,
        tokenizer_class: 'BertTokenizer',
      },
      null,
      2,
    )}\n`,
  );
  write('special_tokens_map.json', `${JSON.stringify(specials, null, 2)}\n`);
  // Sanity check with the library itself: the written file loads and round-trips a corpus line.
  const check = Tokenizer.fromString(readFileSync(join(ASSET_DIR, 'tokenizer.json'), 'utf8'));
  console.log(`vocabulary: ${vocabulary.length} tokens; reloaded size ${check.getVocabSize(true)}`);
}

main();
