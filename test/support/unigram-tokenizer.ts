/**
 * A SentencePiece-style `tokenizer.json` (Unigram model, Metaspace pre-tokenization), trained by
 * Hugging Face tokenizers itself (the Rust trainer, through the Node binding) on shared English
 * prose, then laid out as ALBERT ships its file: `<pad>` 0, `<unk>` 1, `[CLS]` 2, `[SEP]` 3,
 * `[MASK]` 4 ahead of the trained pieces, `[CLS] A [SEP] (B [SEP])` post-processing, a Metaspace
 * decoder. Pieces and scores are the trainer's; nothing is hand-written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bertPostProcessor } from '../../scripts/defaults/wordpiece';
import {
  Tokenizer,
  Unigram,
  lowercase,
  metaspaceDecoder,
  metaspacePreTokenizer,
  nfkdNormalizer,
  sequenceNormalizer,
} from '@anush008/tokenizers';

const SPECIALS = ['<pad>', '<unk>', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Trains on the first `bytes` of `corpusFile`; returns the tokenizer.json text. */
export function trainUnigramTokenizer(corpusFile: string, bytes = 400_000): string {
  const work = mkdtempSync(join(tmpdir(), 'berth-unigram-'));
  try {
    const corpus = join(work, 'corpus.txt');
    writeFileSync(corpus, readFileSync(corpusFile).subarray(0, bytes));
    const tokenizer = new Tokenizer(Unigram.empty());
    tokenizer.setNormalizer(sequenceNormalizer([nfkdNormalizer(), lowercase()]));
    tokenizer.setPreTokenizer(metaspacePreTokenizer());
    tokenizer.setDecoder(metaspaceDecoder());
    tokenizer.train([corpus]);
    tokenizer.save(join(work, 'trained.json'));
    const trained = JSON.parse(readFileSync(join(work, 'trained.json'), 'utf8')) as {
      model: { vocab: Array<[string, number]> };
    } & Record<string, unknown>;
    const pieces = trained.model.vocab.filter(([piece]) => !(SPECIALS as readonly string[]).includes(piece));
    const id = (token: (typeof SPECIALS)[number]): number => SPECIALS.indexOf(token);
    const layout = {
      ...trained,
      added_tokens: SPECIALS.map((content, i) => ({
        id: i,
        content,
        single_word: false,
        lstrip: content === '[MASK]',
        rstrip: false,
        normalized: false,
        special: true,
      })),
      post_processor: bertPostProcessor(id),
      model: {
        type: 'Unigram',
        unk_id: id('<unk>'),
        vocab: [...SPECIALS.map((s) => [s, 0] as [string, number]), ...pieces],
        byte_fallback: false,
      },
    };
    return JSON.stringify(layout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
