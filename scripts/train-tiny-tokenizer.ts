/**
 * Rebuilds assets/tiny-tokenizer/ (tokenizer.json, vocab.txt, tokenizer_config.json,
 * special_tokens_map.json) from assets/tiny-tokenizer/corpus.txt: an uncased BERT WordPiece
 * vocabulary small enough for test models.
 *
 * Run from the repository root:
 *   node scripts/run-ts.js scripts/train-tiny-tokenizer.ts
 *
 * The vocabulary is learned deterministically by scripts/defaults/wordpiece.ts (the default
 * models' vocabulary uses the same learner): the binding's WordPieceTrainer breaks frequency
 * ties in hash-map order, so two runs on the same corpus give different vocabularies (3473 to
 * 3475 tokens in three runs). Running this script twice gives byte-identical files.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@anush008/tokenizers';
import { buildVocabulary, tokenizerFiles, WordCounter } from './defaults/wordpiece';

const ASSET_DIR = join('assets', 'tiny-tokenizer');
const CORPUS = join(ASSET_DIR, 'corpus.txt');
/**
 * Merging stops here, before every word of the corpus has become a single token, so that rarer
 * words still split into `##` pieces (as in a real vocabulary).
 */
const MAX_VOCAB = 3000;
const MODEL_MAX_LENGTH = 512;

function main(): void {
  const counter = new WordCounter();
  for (const line of readFileSync(CORPUS, 'utf8').split('\n')) counter.add(line);
  const { tokens } = buildVocabulary(counter.counts, { vocabSize: MAX_VOCAB });
  for (const [name, text] of Object.entries(tokenizerFiles(tokens, MODEL_MAX_LENGTH))) {
    const file = join(ASSET_DIR, name);
    writeFileSync(file, text);
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
    console.log(`${file}  ${Buffer.byteLength(text)} bytes  sha256 ${digest}…`);
  }
  // Sanity check with the library itself: the written file loads.
  const check = Tokenizer.fromString(readFileSync(join(ASSET_DIR, 'tokenizer.json'), 'utf8'));
  console.log(`vocabulary: ${tokens.length} tokens; reloaded size ${check.getVocabSize(true)}`);
}

main();
