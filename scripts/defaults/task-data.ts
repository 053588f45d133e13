/**
 * The task files the default models are trained from, written to a build directory (never into the
 * repository): the NLI splits without SICK's non-commercial rows, and per task the unlabeled text
 * of its training split for domain-adaptive pre-training, with its dev text to measure it on.
 *
 *   node scripts/run-ts.js scripts/defaults/task-data.ts <outDir>
 *
 * Sentiment, NER and QA train straight from the shared files; their paths are printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NliExample, Split, isSick, readNer, readNli, readQa, readSentiment, sharedDataRoot } from './datasets';

/** One text per line, blank lines and repeats dropped (SST-2 and NLI repeat sentences across rows). */
function writeText(file: string, texts: Iterable<string>): number {
  const seen = new Set<string>();
  for (const t of texts) {
    const line = t.replace(/\s+/g, ' ').trim();
    if (line !== '') seen.add(line);
  }
  writeFileSync(file, `${[...seen].join('\n')}\n`);
  return seen.size;
}

function writeJsonl(file: string, rows: readonly NliExample[]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify({ premise: r.premise, hypothesis: r.hypothesis, label: r.label })).join('\n') + '\n');
}

async function taskTexts(split: Split): Promise<Record<string, string[]>> {
  const nli = readNli(split);
  return {
    sentiment: (await readSentiment(split)).map((e) => e.text),
    nli: nli.flatMap((e) => [e.premise, e.hypothesis]),
    ner: (await readNer(split)).map((e) => e.tokens.join(' ')),
    qa: (await readQa(split)).map((e) => e.context),
  };
}

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: task-data.ts <outDir>');
  const root = sharedDataRoot();
  mkdirSync(join(out, 'dapt'), { recursive: true });
  mkdirSync(join(out, 'dapt-dev'), { recursive: true });

  const nliTrain = readNli('train');
  const nliDev = readNli('dev', { includeSick: true });
  writeJsonl(join(out, 'nli-train.jsonl'), nliTrain);
  writeJsonl(join(out, 'nli-dev.jsonl'), nliDev);
  writeJsonl(
    join(out, 'nli-dev-nosick.jsonl'),
    nliDev.filter((e) => !isSick(e)),
  );
  console.log(
    `nli: ${nliTrain.length} training rows without SICK, dev ${nliDev.length} (${nliDev.filter((e) => !isSick(e)).length} without SICK)`,
  );

  const train = await taskTexts('train');
  const dev = await taskTexts('dev');
  for (const task of Object.keys(train)) {
    const n = writeText(join(out, 'dapt', `${task}.txt`), train[task]);
    const m = writeText(join(out, 'dapt-dev', `${task}.txt`), dev[task]);
    console.log(`${task}: ${n} distinct training texts, ${m} dev texts for domain-adaptive pre-training`);
  }
  console.log(`shared data: ${root}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
