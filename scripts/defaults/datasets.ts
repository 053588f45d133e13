/**
 * The shared datasets the default models are built from, read through the trainer's own readers.
 * Nothing here is committed: the files live in `../shared/data` beside the repository, or where
 * BERTH_SHARED_DATA points.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readClassificationDataset } from '../../src/trainer/data/readers/classification';
import { NerExample, readNerDataset } from '../../src/trainer/data/readers/ner';
import { QaExample, readQaDataset } from '../../src/trainer/data/readers/qa';

export function sharedDataRoot(): string {
  return process.env.BERTH_SHARED_DATA ?? resolve(__dirname, '..', '..', '..', 'shared', 'data');
}

export type Split = 'train' | 'dev';

export interface SentimentExample {
  text: string;
  label: string;
}

export interface NliExample {
  premise: string;
  hypothesis: string;
  label: string;
  source: string;
}

export async function readSentiment(split: Split, root = sharedDataRoot()): Promise<SentimentExample[]> {
  const file = join(root, 'sentiment', 'sst2', split === 'train' ? 'train.tsv' : 'dev.tsv');
  const dataset = await readClassificationDataset(file);
  return dataset.examples.map((e) => ({ text: e.text, label: e.label }));
}

/** SICK's license is non-commercial: its rows (source "sick_train", "sick_trial") are left out unless asked for. */
export function isSick(example: NliExample): boolean {
  return example.source.startsWith('sick');
}

export function readNli(split: Split, options: { includeSick?: boolean } = {}, root = sharedDataRoot()): NliExample[] {
  const file = join(root, 'nli', split === 'train' ? 'train.jsonl' : 'dev.jsonl');
  const examples: NliExample[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const record = JSON.parse(line) as Partial<NliExample>;
      const { premise, hypothesis, label, source } = record;
      if (typeof premise !== 'string' || typeof hypothesis !== 'string' || typeof label !== 'string' || typeof source !== 'string') {
        throw new Error(`${file}:${i + 1}: expected string premise, hypothesis, label and source`);
      }
      examples.push({ premise, hypothesis, label, source });
    });
  return options.includeSick ? examples : examples.filter((e) => !isSick(e));
}

/** CoNLL-2003 (research use only: read from the shared folder, never copied into the repository). */
export async function readNer(split: Split, root = sharedDataRoot()): Promise<NerExample[]> {
  const file = join(root, 'ner', 'conll2003', split === 'train' ? 'train.txt' : 'valid.txt');
  return (await readNerDataset(file)).examples;
}

export async function readQa(split: Split, root = sharedDataRoot()): Promise<QaExample[]> {
  const file = join(root, 'qa', 'squad11', split === 'train' ? 'train.json' : 'dev.json');
  return (await readQaDataset(file)).examples;
}

/** The pre-training text files (one paragraph per line), in name order. */
export function pretrainFiles(root = sharedDataRoot()): string[] {
  const dir = join(root, 'pretrain', 'gutenberg');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => join(dir, name));
}
