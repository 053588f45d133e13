/**
 * Learns the default models' WordPiece vocabulary (uncased, or with `--cased` the cased one) from the pre-training text
 * (`pretrain/gutenberg` in the shared data) and writes a Hugging Face tokenizer directory, then
 * reports how well it covers each task's training text.
 *
 * Usage (from the repository root):
 *   node scripts/run-ts.js scripts/defaults/build-vocab.ts [outDir] [--vocab-size 8192]
 *     [--min-char-count 100] [--compare 16384,...] [--cased]
 * outDir defaults to /tmp/berth-vocab. `--compare` also reports coverage at other sizes: the
 * learner is greedy, so a smaller vocabulary is a prefix of a larger one and one run serves all.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Tokenizer } from '@anush008/tokenizers';
import { pretrainFiles, readNer, readNli, readQa, readSentiment, sharedDataRoot } from './datasets';
import { buildVocabulary, type CasingOptions, tokenizerFiles, WordCounter } from './wordpiece';

const DEFAULT_OUT_DIR = '/tmp/berth-vocab';
/** See docs/default-models.md ("Vocabulary") for why this size. */
const DEFAULT_VOCAB_SIZE = 8192;
/**
 * Characters rarer than this in the 6.8 M-word corpus (Greek, stray symbols) would each take two
 * slots (word start and `##` continuation) for almost no text; they become [UNK] instead.
 */
const DEFAULT_MIN_CHAR_COUNT = 100;
/**
 * Kept however rare in the pre-training text: typography that 19th-century Gutenberg plain text
 * spells in ASCII ("--", '"') but task text uses (the en dash of "1914–1918" is most of the [UNK]s
 * of the QA contexts otherwise), and common symbols, units and non-ASCII Latin letters.
 */
const EXTRA_ALPHABET = [...'–—‘’“”•…′″°£€¥¢−±×÷·½¼¾²³µ§©®™ßøłæœðþđ'];
const MODEL_MAX_LENGTH = 512;
/** Beside, not inside, the tokenizer directory, which is meant to be copied whole into a model. */
const COVERAGE_JSON = '/tmp/berth-vocab-coverage.json';

interface Options {
  outDir: string;
  vocabSize: number;
  minCharCount: number;
  compare: number[];
  cased: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    outDir: DEFAULT_OUT_DIR,
    vocabSize: DEFAULT_VOCAB_SIZE,
    minCharCount: DEFAULT_MIN_CHAR_COUNT,
    compare: [],
    cased: false,
  };
  const positive = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--vocab-size') options.vocabSize = positive(arg, argv[++i]);
    else if (arg === '--min-char-count') options.minCharCount = positive(arg, argv[++i]);
    else if (arg === '--compare') options.compare = (argv[++i] ?? '').split(',').map((v) => positive(arg, v));
    else if (arg === '--cased') options.cased = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else options.outDir = arg;
  }
  return options;
}

function corpusWordCounts(casing: CasingOptions): { counts: Map<string, number>; words: number; files: number } {
  const counter = new WordCounter(casing);
  const files = pretrainFiles();
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() !== '') counter.add(line);
  }
  let words = 0;
  for (const n of counter.counts.values()) words += n;
  return { counts: counter.counts, words, files: files.length };
}

/** Each task's training text, as the models will read it. */
async function taskWordCounts(casing: CasingOptions): Promise<Record<string, Map<string, number>>> {
  const sentiment = new WordCounter(casing);
  for (const e of await readSentiment('train')) sentiment.add(e.text);
  const nli = new WordCounter(casing);
  for (const e of readNli('train')) {
    nli.add(e.premise);
    nli.add(e.hypothesis);
  }
  const ner = new WordCounter(casing);
  for (const e of await readNer('train')) for (const token of e.tokens) ner.add(token);
  const qa = new WordCounter(casing);
  for (const context of new Set((await readQa('train')).map((e) => e.context))) qa.add(context);
  return {
    'sentiment (sst2 train sentences)': sentiment.counts,
    'nli (premises + hypotheses, no SICK)': nli.counts,
    'ner (conll2003 train words)': ner.counts,
    'qa (squad11 train contexts)': qa.counts,
  };
}

export interface Coverage {
  words: number;
  tokens: number;
  /** Running words that become [UNK] (a word the vocabulary cannot spell is one [UNK] token). */
  unkWordRate: number;
  /** Pieces per word, weighted by how often each word occurs. */
  piecesPerWord: number;
  /** Fraction of running words that are a single piece. */
  wholeWordRate: number;
}

async function coverage(tokenizer: Tokenizer, counts: ReadonlyMap<string, number>): Promise<Coverage> {
  const words = [...counts.keys()];
  const unk = tokenizer.tokenToId('[UNK]');
  let running = 0;
  let tokens = 0;
  let unknown = 0;
  let whole = 0;
  const chunk = 4096;
  for (let start = 0; start < words.length; start += chunk) {
    const batch = words.slice(start, start + chunk);
    const encodings = await tokenizer.encodeBatch(batch, { addSpecialTokens: false });
    encodings.forEach((encoding, i) => {
      const n = counts.get(batch[i])!;
      const ids = encoding.getIds();
      running += n;
      tokens += n * ids.length;
      unknown += n * ids.filter((id) => id === unk).length;
      if (ids.length === 1) whole += n;
    });
  }
  return { words: running, tokens, unkWordRate: unknown / running, piecesPerWord: tokens / running, wholeWordRate: whole / running };
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const casing: CasingOptions = { cased: options.cased };
  const corpus = corpusWordCounts(casing);
  const counted = Date.now();
  console.log(
    `corpus: ${corpus.files} files from ${join(sharedDataRoot(), 'pretrain', 'gutenberg')}, ${corpus.words} words, ` +
      `${corpus.counts.size} distinct (${((counted - started) / 1000).toFixed(1)} s)`,
  );
  const largest = Math.max(options.vocabSize, ...options.compare);
  const normalized = new WordCounter(casing);
  for (const c of EXTRA_ALPHABET) {
    normalized.add(c);
    if (!normalized.counts.has(c)) throw new Error(`extra alphabet character ${JSON.stringify(c)} is not in normalised form`);
  }
  const vocabulary = buildVocabulary(corpus.counts, {
    vocabSize: largest,
    minCharCount: options.minCharCount,
    extraAlphabet: EXTRA_ALPHABET,
    cased: options.cased,
  });
  const learnedAt = Date.now();
  console.log(
    `learned ${vocabulary.tokens.length} tokens in ${((learnedAt - counted) / 1000).toFixed(1)} s; ` +
      `${vocabulary.droppedCharacters.length} characters rarer than ${options.minCharCount} left out`,
  );

  const chosen = vocabulary.tokens.slice(0, options.vocabSize);
  mkdirSync(options.outDir, { recursive: true });
  for (const [name, text] of Object.entries(tokenizerFiles(chosen, MODEL_MAX_LENGTH, casing))) {
    writeFileSync(join(options.outDir, name), text);
    console.log(`${join(options.outDir, name)}  ${Buffer.byteLength(text)} bytes  sha256 ${digest(text)}…`);
  }

  const tokenizers: Array<[string, Tokenizer]> = [];
  const written = Tokenizer.fromString(readFileSync(join(options.outDir, 'tokenizer.json'), 'utf8'));
  tokenizers.push([`berth ${options.vocabSize} (written)`, written]);
  for (const size of options.compare.filter((s) => s !== options.vocabSize)) {
    tokenizers.push([
      `berth ${size}`,
      Tokenizer.fromString(tokenizerFiles(vocabulary.tokens.slice(0, size), MODEL_MAX_LENGTH, casing)['tokenizer.json']),
    ]);
  }
  const referenceName = options.cased ? 'bert-base-cased' : 'bert-base-uncased';
  const reference = join(sharedDataRoot(), 'tokenizers', referenceName, 'tokenizer.json');
  if (existsSync(reference)) tokenizers.push([referenceName, Tokenizer.fromString(readFileSync(reference, 'utf8'))]);

  const tasks = await taskWordCounts(casing);
  const rows: string[] = [
    '| task | vocabulary | words | [UNK] % of words | pieces / word | whole words % |',
    '|---|---|---:|---:|---:|---:|',
  ];
  const report: Record<string, Record<string, Coverage>> = {};
  for (const [task, counts] of Object.entries(tasks)) {
    report[task] = {};
    for (const [name, tokenizer] of tokenizers) {
      const c = await coverage(tokenizer, counts);
      report[task][name] = c;
      rows.push(
        `| ${task} | ${name} | ${c.words} | ${(100 * c.unkWordRate).toFixed(3)} | ${c.piecesPerWord.toFixed(3)} | ${(100 * c.wholeWordRate).toFixed(1)} |`,
      );
    }
  }
  console.log(rows.join('\n'));
  const coverageJson = options.cased ? COVERAGE_JSON.replace('.json', '-cased.json') : COVERAGE_JSON;
  writeFileSync(
    coverageJson,
    `${JSON.stringify({ vocabSize: options.vocabSize, minCharCount: options.minCharCount, droppedCharacters: vocabulary.droppedCharacters.length, coverage: report }, null, 2)}\n`,
  );
  console.log(`coverage written to ${coverageJson}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
