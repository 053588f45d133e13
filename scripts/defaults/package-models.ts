/**
 * Puts the built default models into `models/`: float16 weights (the server builds the graph from
 * them on load), the shared tokenizer files and config; then, once they have been evaluated, each
 * model's card (README.md) and metrics.json, and the README's comparison table on stdout.
 *
 *   node scripts/run-ts.js scripts/defaults/package-models.ts name <task>
 *   node scripts/run-ts.js scripts/defaults/package-models.ts weights <buildDir> <modelsDir> [--encoder] <task>=<run> ...
 *   node scripts/run-ts.js scripts/defaults/package-models.ts cards <buildDir> <modelsDir> [--encoder] <task>=<run> ...
 *
 * <run> names a fine-tuning output under <buildDir>/ft (sentiment-dapt, ner-pretrained, ner-cased, ...);
 * a run ending in -cased started from the cased encoder (<buildDir>/cased) and is compared with
 * the random initialisation of that encoder (<task>-random-cased); a default that is itself the
 * random-initialisation run (ner=ner-random-cased, where it beat the pre-trained start on dev) is
 * compared with the pre-trained one (<task>-cased). `--encoder` packages the
 * uncased encoder itself (berth-mini) as well.
 *
 *   node scripts/run-ts.js scripts/defaults/package-models.ts student-weights|student-card <buildDir> <modelsDir> <name>
 *
 * package the distilled sentiment student (<buildDir>/student/sentiment) as <modelsDir>/<name>; its card
 * times it against its teacher (the shipped sentiment model) in the same run.
 * Every figure in a card is read from the build's own metrics files; nothing is typed in by hand.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, writeConfig } from '../../src/engine/formats/config';
import { readSafetensors, writeSafetensors } from '../../src/engine/formats/safetensors';
import { TOKENIZER_FILES } from '../../src/engine/nn/tiny';
import { studentLayerIndices } from '../../src/trainer/distill';
import { DEFAULT_MODEL_NAMES } from './model-names';
import { modelSize, SPEED_BATCH, SPEED_TOKENS, throughput } from './model-speed';

type Task = 'sentiment' | 'nli' | 'ner' | 'qa';
const TASKS: readonly Task[] = ['sentiment', 'nli', 'ner', 'qa'];

/** The pre-trained encoder itself, shipped as a fill-mask model and as the start for new tasks. */
const ENCODER_NAME = 'berth-mini';

const INFO: Readonly<Record<Task, { name: string; title: string; pipeline: string; metric: string; data: string; license: string }>> = {
  sentiment: {
    name: DEFAULT_MODEL_NAMES.sentiment,
    title: 'sentiment classification (negative / positive)',
    pipeline: 'text-classification',
    metric: 'accuracy',
    data: 'SST-2 (GLUE), `sentiment/sst2`: 67,349 training phrases and sentences of movie reviews, dev 872 sentences',
    license: 'SST-2 states no license; it is commonly used for research.',
  },
  nli: {
    name: DEFAULT_MODEL_NAMES.nli,
    title: 'natural language inference (entailment / neutral / contradiction), also zero-shot classification',
    pipeline: 'text-classification (NLI pairs) and zero-shot-classification',
    metric: 'accuracy',
    data: '`nli`: SNLI + MultiNLI pairs, 18,276 training rows (the SICK rows, non-commercial, are left out); dev 2,495 pairs, SICK included',
    license:
      'SNLI (e-SNLI copy) CC BY-SA 4.0; MultiNLI subset under the Microsoft Computational Use of Data Agreement. No SICK data was used for training.',
  },
  ner: {
    name: DEFAULT_MODEL_NAMES.ner,
    title: 'named entities (PER, ORG, LOC, MISC)',
    pipeline: 'token-classification',
    metric: 'entity F1 (conlleval)',
    data: 'CoNLL-2003 English, `ner/conll2003`: 14,041 training sentences of Reuters news, dev (testa) 3,250 sentences',
    license:
      'CoNLL-2003 is Reuters RCV1 text for research use only. The data is not in this repository; these weights were trained on it, so check that the terms fit your use before relying on this model commercially.',
  },
  qa: {
    name: DEFAULT_MODEL_NAMES.qa,
    title: 'extractive question answering (SQuAD v1.1 style)',
    pipeline: 'question-answering',
    metric: 'exact match / F1 (official SQuAD v1.1 script)',
    data: 'SQuAD v1.1 rebuild, `qa/squad11`: 7,732 training questions on 40 Wikipedia articles, dev 1,648 questions on 8 other articles',
    license: 'SQuAD CC BY-SA 4.0 (Wikipedia text).',
  },
};

const readJson = <T = any>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T; // eslint-disable-line @typescript-eslint/no-explicit-any

function parseChoices(args: string[]): Map<Task, string> {
  const chosen = new Map<Task, string>();
  for (const arg of args) {
    const [task, run] = arg.split('=');
    if (!TASKS.includes(task as Task) || !run) throw new Error(`expected <task>=<run>, got "${arg}"`);
    chosen.set(task as Task, run);
  }
  return chosen;
}

/** config, tokenizer files and float16 weights of `from`, written to `to` through a temporary sibling. */
function packWeights(from: string, to: string): void {
  const tmp = `${to}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeConfig(join(tmp, 'config.json'), { ...readConfig(join(from, 'config.json')), torch_dtype: 'float16' });
  for (const name of TOKENIZER_FILES) copyFileSync(join(from, name), join(tmp, name));
  writeSafetensors(join(tmp, 'model.safetensors'), readSafetensors(join(from, 'model.safetensors')), {
    dtype: 'F16',
    metadata: { format: 'pt' },
  });
  rmSync(to, { recursive: true, force: true });
  renameSync(tmp, to);
}

function weights(build: string, models: string, chosen: Map<Task, string>, withEncoder: boolean): void {
  mkdirSync(models, { recursive: true });
  if (withEncoder) packWeights(join(build, 'pretrain', 'model'), join(models, ENCODER_NAME));
  for (const [task, run] of chosen) packWeights(join(build, 'ft', run), join(models, INFO[task].name));
  const names = [...(withEncoder ? [ENCODER_NAME] : []), ...[...chosen.keys()].map((t) => INFO[t].name)];
  console.log(`wrote ${names.join(', ')} to ${models}`);
}

/** Runs ending in -cased started from the cased encoder, built under <buildDir>/cased. */
const isCased = (run: string): boolean => run.endsWith('-cased');
/** Runs from random initialisation: column (b), or a default trained from scratch. */
const isFromScratch = (run: string): boolean => /-random(-cased)?$/.test(run);

// --- cards ---------------------------------------------------------------------------------------

interface Score {
  display: string;
  value: number;
  /** The display with three decimals, for scores that would otherwise read the same. */
  precise: string;
}

/** The task's headline score from a metrics object (trainer eval entry or `berth evaluate` output). */
function score(task: Task, m: Record<string, number>): Score {
  switch (task) {
    case 'ner':
      return percent(100 * m.f1, m.f1);
    case 'qa':
      return {
        display: `${m.exact_match.toFixed(1)} / ${m.f1.toFixed(1)}`,
        value: m.f1,
        precise: `${m.exact_match.toFixed(3)} / ${m.f1.toFixed(3)}`,
      };
    default:
      return percent(100 * m.accuracy, m.accuracy);
  }
}

/** A score shown as a percentage; `value` is what comparisons use. */
function percent(shown: number, value: number): Score {
  return { display: shown.toFixed(1), value, precise: shown.toFixed(3) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the baselines' metrics file, read as JSON
function baselineScore(task: Task, b: any): Score {
  switch (task) {
    case 'sentiment':
      return percent(100 * b.sentiment.accuracy, b.sentiment.accuracy);
    case 'nli':
      return percent(100 * b.nli.dev.accuracy, b.nli.dev.accuracy);
    case 'ner':
      return percent(100 * b.ner.f1, b.ner.f1);
    case 'qa':
      return {
        display: `${b.qa.exactMatch.toFixed(1)} / ${b.qa.f1.toFixed(1)}`,
        value: b.qa.f1,
        precise: `${b.qa.exactMatch.toFixed(3)} / ${b.qa.f1.toFixed(3)}`,
      };
  }
}

/** Two scores for display, with two more decimals of the headline value when they would read the same. */
function closeScores(...scores: Score[]): string[] {
  if (new Set(scores.map((x) => x.display)).size === scores.length) return scores.map((x) => x.display);
  return scores.map((x) => `${x.display} (${x.precise})`);
}

const minutes = (s: number): string => `${(s / 60).toFixed(1)} min`;
const fileSizeMb = (file: string): string => (statSync(file).size / 2 ** 20).toFixed(1);

/** The pre-training run's metrics.json (of the cased encoder under <build>/cased), which every card quotes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const readPretrainMetrics = (build: string, cased = false): any =>
  readJson(join(build, ...(cased ? ['cased'] : []), 'pretrain', 'model', 'metrics.json'));

const optionalJson = <T = any>(file: string): T | undefined => (existsSync(file) ? readJson<T>(file) : undefined); // eslint-disable-line @typescript-eslint/no-explicit-any

function cards(build: string, models: string, chosen: Map<Task, string>): void {
  const baselines = readJson(join(build, 'baselines.json'));
  const rows: string[] = [];
  const daptRows: string[] = [];
  const timeRows: string[] = [];
  for (const [task, run] of chosen) {
    const info = INFO[task];
    const dir = join(models, info.name);
    const cased = isCased(run);
    const pretrain = readPretrainMetrics(build, cased);
    const ft = readJson(join(build, 'ft', run, 'metrics.json'));
    const fromScratch = isFromScratch(run);
    if (fromScratch && !cased) throw new Error(`${run}: a default from random initialisation is packaged for cased tasks only`);
    // (a), the start from the pre-trained encoder: the default itself, or the run it beat.
    const pretrainedStart = fromScratch ? readJson(join(build, 'ft', `${task}-cased`, 'metrics.json')) : ft;
    // The uncased encoder's runs: the default's own start, or (for a cased default) the comparison when the build has them.
    const pretrained = cased
      ? optionalJson(join(build, 'ft', `${task}-pretrained`, 'metrics.json'))
      : readJson(join(build, 'ft', `${task}-pretrained`, 'metrics.json'));
    const dapt = optionalJson(join(build, 'ft', `${task}-dapt`, 'metrics.json'));
    const random = readJson(join(build, 'ft', cased ? `${task}-random-cased` : `${task}-random`, 'metrics.json'));
    const float16 = readJson(join(build, 'eval', `${task}-float16.json`));
    const usesDapt = run.endsWith('-dapt');
    const daptRun = !cased && (usesDapt || dapt) ? readJson(join(build, 'dapt', task, 'model', 'metrics.json')) : undefined;
    const daptBefore = daptRun ? readJson(join(build, 'dapt', `${task}-before.json`)) : undefined;
    const daptAfter = daptRun ? readJson(join(build, 'dapt', `${task}-after.json`)) : undefined;
    const a = score(task, pretrainedStart.selected.metrics);
    const shipped = score(task, ft.selected.metrics);
    const a16 = score(task, float16.metrics);
    const b = score(task, random.selected.metrics);
    const c = baselineScore(task, baselines);
    const noSick = task === 'nli' ? readJson(join(build, 'eval', 'nli-nosick-float16.json')) : undefined;

    const config = readConfig(join(dir, 'config.json'));
    const metrics = {
      model: info.name,
      task: info.pipeline,
      architecture: {
        layers: config.num_hidden_layers,
        hidden: config.hidden_size,
        heads: config.num_attention_heads,
        vocabulary: config.vocab_size,
        cased,
      },
      weights: { dtype: 'float16', file: 'model.safetensors', megabytes: Number(fileSizeMb(join(dir, 'model.safetensors'))) },
      pretraining: {
        // The encoder the (a) start was pre-trained as; this model's own weights when used.
        used: !fromScratch,
        corpus: 'pretrain/gutenberg',
        steps: pretrain.steps,
        tokens: pretrain.tokens_seen,
        train_seconds: pretrain.train_seconds,
        validation: pretrain.validation,
        hyperparameters: pretrain.hyperparameters,
      },
      domain_adaptive_pretraining: daptRun
        ? {
            used: usesDapt,
            steps: daptRun.steps,
            tokens: daptRun.tokens_seen,
            train_seconds: daptRun.train_seconds,
            dev_text_before: daptBefore.metrics,
            dev_text_after: daptAfter.metrics,
            hyperparameters: daptRun.hyperparameters,
          }
        : null,
      fine_tuning: {
        method: ft.method,
        hyperparameters: ft.hyperparameters,
        data: { train_examples: ft.data.train_examples, validation_examples: ft.data.validation_examples, truncated: ft.data.truncated },
        eval: ft.eval,
        selected: ft.selected,
        wall_seconds: ft.wall_seconds,
        train_examples_per_second: ft.train_examples_per_second,
      },
      dev: { float32: ft.selected.metrics, float16: float16.metrics, ...(noSick ? { float16_without_sick: noSick.metrics } : {}) },
      comparison: {
        metric: info.metric,
        shipped: fromScratch ? 'b_random_init_same_budget' : 'a_pretrained_fine_tuned',
        a_pretrained_fine_tuned: pretrainedStart.selected.metrics,
        ...(cased
          ? {
              ...(pretrained ? { a_uncased_encoder: pretrained.selected.metrics } : {}),
              ...(dapt ? { a_uncased_encoder_domain_adapted: dapt.selected.metrics } : {}),
            }
          : {
              a_without_domain_adaptation: pretrained.selected.metrics,
              ...(dapt ? { a_with_domain_adaptation: dapt.selected.metrics } : {}),
            }),
        b_random_init_same_budget: random.selected.metrics,
        c_baseline: task === 'nli' ? { ...baselines.nli.dev, without_sick: baselines.nli.devWithoutSick } : baselines[task],
      },
    };
    writeFileSync(join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);

    const ppl = (x: { perplexity: number }): string => x.perplexity.toFixed(1);
    const daptLine = daptRun
      ? `Domain-adaptive pre-training: ${daptRun.steps} further masked-LM steps (${(daptRun.tokens_seen / 1e6).toFixed(2)} M tokens, ${minutes(daptRun.train_seconds)}) on the distinct texts of the training split; masked-LM perplexity on the dev split's text ${ppl(daptBefore.metrics)} → ${ppl(daptAfter.metrics)} (same rows, same masking). ` +
        `Fine-tuned from it: ${closeScores(score(task, dapt!.selected.metrics), score(task, pretrained.selected.metrics)).join('; from the general encoder: ')}. ` +
        (usesDapt
          ? 'This model starts from the domain-adapted encoder.'
          : 'This model starts from the general encoder, which did better here.')
      : cased
        ? `${fromScratch ? "Vocabulary: the cased encoder's" : 'Cased encoder: its own'} cased WordPiece vocabulary (bert-base-cased's normalisation: no lower-casing, accents kept)${fromScratch ? '; that encoder has' : ','} its own random initialisation and the same masked-LM pre-training as the uncased \`${ENCODER_NAME}\`.${
            pretrained || dapt
              ? ` Fine-tuned the same way from the uncased encoder: ${[pretrained ? `${score(task, pretrained.selected.metrics).display} (general)` : '', dapt ? `${score(task, dapt.selected.metrics).display} (domain-adapted)` : ''].filter(Boolean).join(', ')}.`
              : ''
          } No domain-adaptive pre-training.`
        : 'No domain-adaptive pre-training.';
    const hp = ft.hyperparameters;
    const card = `# ${info.name}

Berth's default model for ${info.title}: a ${metrics.architecture.layers}-layer BERT (hidden ${metrics.architecture.hidden}, ${metrics.architecture.heads} heads, ${(ft.parameters.total / 1e6).toFixed(2)} M parameters, ${cased ? 'cased' : 'uncased'} WordPiece vocabulary of ${metrics.architecture.vocabulary}) that Berth ${fromScratch ? `trained itself from random initialisation on the task's data (the same fine-tuning from the pre-trained ${cased ? 'cased ' : ''}encoder did worse: see below)` : 'pre-trained and fine-tuned itself'}, on two CPU cores, with no outside weights. Rebuild it with \`scripts/build-default-models.sh\`.

Served as \`${info.pipeline}\`; weights in float16 (\`model.safetensors\`, ${metrics.weights.megabytes} MB), from which the server builds its ONNX graph at load time (computation is float32).

## Scores on the dev split

| | ${info.metric} |
|---|---:|
| this model, float16 weights as shipped | **${a16.display}** |
| this model, float32 weights at the end of training | ${shipped.display} |
${fromScratch ? `| same architecture and budget from the pre-trained ${cased ? 'cased ' : ''}encoder | ${a.display} |` : `| same architecture and budget from random initialisation | ${b.display} |`}
| classic baseline (${baselines[task].method ?? 'see docs/default-models.md'}) | ${c.display} |
${noSick ? `\nOn the ${noSick.examples} dev pairs without SICK (whose sentences the model never saw in training): ${score('nli', noSick.metrics).display} (baseline ${(100 * baselines.nli.devWithoutSick.accuracy).toFixed(1)}).\n` : ''}
## Training

- Data: ${info.data}.
- ${fromScratch ? 'Pre-training: none in this model. The pre-trained start it was compared with: ' : 'Pre-training: '}masked-LM with whole-word masking on 11 Gutenberg shards, ${pretrain.steps} steps of 32 × 128 tokens (${(pretrain.tokens_seen / 1e6).toFixed(2)} M tokens, ${minutes(pretrain.train_seconds)} of training steps); held-out MLM loss ${pretrain.validation.mlm_loss.toFixed(3)}, perplexity ${ppl(pretrain.validation)}.
- ${daptLine}
- Fine-tuning: \`berth train --method full\`, ${hp.epochs} epoch(s), batch ${hp.batch_size}, learning rate ${hp.learning_rate} (linear, warm-up ${hp.warmup_ratio}), weight decay ${hp.weight_decay}, max length ${hp.max_seq_length}, seed ${hp.seed}; ${ft.data.train_examples} training examples (${ft.data.truncated} truncated); ${minutes(ft.wall_seconds)} wall time, epoch ${ft.selected.epoch} kept (best dev score).
- The same budget trained the ${fromScratch ? 'pre-trained' : 'random-initialisation'} start above. ${
      ft.learning_rate_sweep
        ? `The learning rate was chosen by the trainer's sweep: ${ft.learning_rate_sweep.trials.map((t: { learning_rate: number; score: number; diverged?: boolean }) => `${t.learning_rate} → ${t.diverged ? 'diverged' : (task === 'qa' ? t.score : 100 * t.score).toFixed(1)}`).join(', ')} (${info.metric}; ${ft.learning_rate_sweep.epochs} epoch(s) on ${ft.learning_rate_sweep.sample_rows} training rows each, scored on the dev split), chosen ${ft.learning_rate_sweep.chosen}; the ${fromScratch ? 'pre-trained' : 'random-initialisation'} start swept its own (chosen ${(fromScratch ? pretrainedStart : random).learning_rate_sweep?.chosen ?? (fromScratch ? pretrainedStart : random).hyperparameters.learning_rate})`
        : `Hyperparameters were not searched on the dev split${task === 'qa' ? ' (the number of epochs was raised from 1 to 2 after the first build, whose QA model had not learned the task)' : ''}`
    }; the dev split picks the epoch${ft.early_stopping ? `, and training stops after ${ft.early_stopping.patience} epochs without improvement${ft.early_stopping.stopped_after_epoch ? ` (here after epoch ${ft.early_stopping.stopped_after_epoch})` : ''}` : ''}.

## Limits

- ${fromScratch ? `A small model trained from scratch on ${ft.data.train_examples.toLocaleString('en-US')} labelled examples` : `A small model pre-trained on ${(pretrain.tokens_seen / 1e6).toFixed(1)} M tokens of 19th-century books`}: it is far below models pre-trained on billions of tokens, and confident mistakes are common. Treat its scores above as what to expect, on text like the training data.
- English only, ${cased ? 'cased input (capital letters are features: "apple" and "Apple" differ)' : 'lower-cased input'}; at most ${hp.max_seq_length} tokens are used in training (the server accepts up to 512 positions${task === 'qa' || task === 'ner' ? ' and windows longer inputs' : ' and truncates longer input'}).
- License: ${info.license}

Files: \`config.json\`, \`model.safetensors\` (float16), \`tokenizer.json\`, \`vocab.txt\`, \`tokenizer_config.json\`, \`special_tokens_map.json\`, \`metrics.json\` (every figure above, per epoch, with the comparison runs).
`;
    writeFileSync(join(dir, 'README.md'), card);
    rows.push(
      `| ${task} | ${info.metric} | **${a16.display}**${fromScratch ? ' (b)' : ''} | ${a.display} | ${b.display} | ${c.display} | ${a.value > b.value ? 'yes' : 'NO'} | ${shipped.value > c.value ? 'yes' : 'no'} |`,
    );
    if (daptRun && dapt) {
      daptRows.push(
        `| ${task} | ${daptRun.steps} | ${(daptRun.tokens_seen / 1e6).toFixed(2)} M | ${minutes(daptRun.train_seconds)} | ${ppl(daptBefore.metrics)} → ${ppl(daptAfter.metrics)} | ` +
          `${closeScores(score(task, pretrained.selected.metrics), score(task, dapt.selected.metrics)).join(' | ')} | ${usesDapt ? 'yes' : 'no'} |`,
      );
    }
    timeRows.push(
      `| ${task}${cased ? ' (cased)' : ''} | ${minutes((cased ? pretrainedStart : pretrained).wall_seconds)} | ${dapt ? minutes(dapt.wall_seconds) : '–'} | ${minutes(random.wall_seconds)} |`,
    );
  }
  console.log(
    '\n| task | DAPT steps | tokens | training time | dev-text perplexity before → after | fine-tuned from general encoder | from adapted encoder | kept |',
  );
  console.log('|---|---:|---:|---:|---|---:|---:|---|');
  for (const row of daptRows) console.log(row);
  console.log('\n| task | fine-tuning wall time: general encoder | adapted encoder | random init |');
  console.log('|---|---:|---:|---:|');
  for (const row of timeRows) console.log(row);
  console.log('');
  console.log(
    '| task | metric | default model, float16 | (a) pre-trained, fine-tuned | (b) random init, same budget | (c) baseline | (a) > (b) | default > (c) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---|---|');
  for (const row of rows) console.log(row);
}

/** The encoder's card and metrics.json: pre-training only, with its held-out learning curve. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function encoderCard(build: string, models: string, pretrain: any): void {
  const dir = join(models, ENCODER_NAME);
  const curve: { step: number; tokens: number; mlm_loss: number; perplexity: number }[] = readFileSync(
    join(build, 'pretrain', 'validation-curve.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
  const config = readConfig(join(dir, 'config.json'));
  const hp = pretrain.hyperparameters;
  writeFileSync(
    join(dir, 'metrics.json'),
    `${JSON.stringify({ model: ENCODER_NAME, task: 'fill-mask', weights: { dtype: 'float16', file: 'model.safetensors', megabytes: Number(fileSizeMb(join(dir, 'model.safetensors'))) }, pretraining: pretrain, validation_curve: curve }, null, 2)}\n`,
  );
  // Every fifth checkpoint and the last: enough to see the shape of the curve.
  const shown = curve.filter((point, i) => i % 5 === 0 || i === curve.length - 1);
  const card = `# ${ENCODER_NAME}

The encoder under Berth's default models: a ${config.num_hidden_layers}-layer BERT (hidden ${config.hidden_size}, ${config.num_attention_heads} heads, FFN ${config.intermediate_size}, ${(pretrain.parameters / 1e6).toFixed(2)} M parameters with the masked-LM head, uncased WordPiece vocabulary of ${config.vocab_size}) pre-trained by Berth with masked-LM on public-domain books, on two CPU cores, with no outside weights. Served as \`fill-mask\` (and \`/v1/embeddings\`); its main use is as the start of new task models (\`berth new-head --model models/${ENCODER_NAME} ...\`, then \`berth train\`). Rebuild it with \`scripts/build-default-models.sh\`.

## Pre-training

- Data: 11 shards of \`pretrain/gutenberg\` (${pretrain.data.documents.toLocaleString('en-US')} paragraphs, ${(pretrain.data.tokens / 1e6).toFixed(2)} M tokens, packed into ${pretrain.data.blocks.toLocaleString('en-US')} blocks of ${hp.max_seq_length}); shard 011 held out for validation (${pretrain.data.validation_blocks} blocks).
- ${pretrain.steps} steps of ${hp.batch_size} × ${hp.max_seq_length} tokens: ${(pretrain.tokens_seen / 1e6).toFixed(2)} M tokens, ${(pretrain.tokens_seen / pretrain.data.tokens).toFixed(2)} passes; ${minutes(pretrain.train_seconds)} of training steps (${Math.round(pretrain.train_tokens_per_second)} tokens/s), ${minutes(pretrain.wall_seconds)} wall time.
- ${hp.masking} masking of ${100 * hp.mask_probability} % of the tokens (80 % [MASK], 10 % random, 10 % kept); AdamW, peak learning rate ${hp.learning_rate}, ${hp.lr_scheduler} decay after ${hp.warmup_steps} warm-up steps, weight decay ${hp.weight_decay}, gradient clipping at ${hp.max_grad_norm}, seed ${hp.seed}.
- Final training loss (mean of the last 100 steps) ${pretrain.final_train_loss.toFixed(3)}; held-out masked-LM loss ${pretrain.validation.mlm_loss.toFixed(3)}, perplexity **${pretrain.validation.perplexity.toFixed(1)}** (${pretrain.validation.masked_tokens.toLocaleString('en-US')} masked tokens).

| step | tokens | held-out MLM loss | perplexity |
|---:|---:|---:|---:|
${shown.map((p) => `| ${p.step} | ${(p.tokens / 1e6).toFixed(2)} M | ${p.mlm_loss.toFixed(3)} | ${p.perplexity.toFixed(1)} |`).join('\n')}

## Limits

- ${(pretrain.tokens_seen / 1e6).toFixed(1)} M tokens is a tiny fraction of what published BERT models see; the held-out loss had flattened well before the end. As a fill-mask model it mostly proposes frequent words; what it has learned shows after fine-tuning (the task models beside it).
- English only, lower-cased; trained on ${hp.max_seq_length}-token blocks (positions up to 512 exist but were not trained beyond ${hp.max_seq_length}).
- License: the Gutenberg texts are public domain in the US.

Files: \`config.json\`, \`model.safetensors\` (float16), tokenizer files, \`metrics.json\` (the figures above and the whole held-out curve).
`;
  writeFileSync(join(dir, 'README.md'), card);
}

/** The distilled sentiment student's card and metrics.json: size, speed and dev score against its teacher's. */
async function studentCard(build: string, models: string, name: string): Promise<void> {
  const dir = join(models, name);
  const teacherDir = join(models, INFO.sentiment.name);
  const ft = readJson(join(build, 'student', 'sentiment', 'metrics.json'));
  const student16 = readJson(join(build, 'eval', 'student-float16.json'));
  const teacher16 = readJson(join(build, 'eval', 'student-teacher-float16.json'));
  const [teacher, student] = [teacherDir, dir].map(modelSize);
  const [teacherSpeed, studentSpeed] = await throughput([
    { bytes: teacher.onnx, file: 'teacher' },
    { bytes: student.onnx, file: 'student' },
  ]);
  const config = readConfig(join(dir, 'config.json'));
  const megabytes = (d: string): number => Number(fileSizeMb(join(d, 'model.safetensors')));
  const d = ft.distillation;
  const sweep = ft.learning_rate_sweep;
  const accuracy = { student: student16.metrics.accuracy as number, teacher: teacher16.metrics.accuracy as number };
  const metrics = {
    model: name,
    task: 'text-classification',
    teacher: INFO.sentiment.name,
    architecture: {
      layers: config.num_hidden_layers,
      hidden: config.hidden_size,
      heads: config.num_attention_heads,
      vocabulary: config.vocab_size,
    },
    weights: { dtype: 'float16', file: 'model.safetensors', megabytes: megabytes(dir), teacher_megabytes: megabytes(teacherDir) },
    parameters: { student: student.parameters, teacher: teacher.parameters },
    speed: {
      tokens: SPEED_TOKENS,
      batch: SPEED_BATCH,
      threads: 1,
      sequences_per_second: { student: studentSpeed, teacher: teacherSpeed },
      speed_up: studentSpeed / teacherSpeed,
    },
    dev: { float16: student16.metrics, teacher_float16: teacher16.metrics, float32: ft.selected.metrics },
    distillation: d,
    fine_tuning: {
      hyperparameters: ft.hyperparameters,
      learning_rate_sweep: sweep,
      early_stopping: ft.early_stopping,
      eval: ft.eval,
      selected: ft.selected,
      wall_seconds: ft.wall_seconds,
    },
  };
  writeFileSync(join(dir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  const hp = ft.hyperparameters;
  const pct = (x: number): string => (100 * x).toFixed(1);
  const card = `# ${name}

The production-sized sentiment model: \`${INFO.sentiment.name}\` (the teacher, as shipped) distilled into ${d.student_layers} of its ${d.teacher_layers} layers (hidden ${config.hidden_size}, ${config.num_attention_heads} heads, uncased WordPiece vocabulary of ${config.vocab_size}). Same labels, same tokenizer, same API: ask for it by name (\`"model": "${name}"\` on \`/v1/classify\`); the teacher stays the default. Rebuild it with \`scripts/build-default-models.sh student\`.

| | ${name} | ${INFO.sentiment.name} (teacher) |
|---|---:|---:|
| SST-2 dev accuracy, float16 weights as shipped | **${pct(accuracy.student)}** | ${pct(accuracy.teacher)} |
| parameters | ${(student.parameters / 1e6).toFixed(2)} M | ${(teacher.parameters / 1e6).toFixed(2)} M |
| weights on disk (float16) | ${metrics.weights.megabytes} MB | ${metrics.weights.teacher_megabytes} MB |
| sequences/s at ${SPEED_TOKENS} tokens, batch ${SPEED_BATCH}, one CPU thread | **${studentSpeed.toFixed(1)}** | ${teacherSpeed.toFixed(1)} |

The student keeps ${((100 * accuracy.student) / accuracy.teacher).toFixed(1)} % of the teacher's dev accuracy and runs ${metrics.speed.speed_up.toFixed(2)}× as many sequences per second (both graphs built from the shipped weights as the server builds them, timed in the same run in interleaved rounds, after a warm-up).

## Training

- Student: the teacher's embeddings and layers ${studentLayerIndices(d.teacher_layers, d.student_layers).join(' and ')} (first and last kept, the others spread evenly), its pooler and head, then \`berth distill\`: loss α · T² · KL(teacher ∥ student) at temperature T + (1 − α) · cross-entropy on the labels, with T = ${d.temperature}, α = ${d.alpha}; the teacher labels every training row once before the first step (${minutes(d.teacher_seconds)}).
- Data: ${INFO.sentiment.data}.
- ${sweep ? `Learning rate chosen by the trainer's sweep: ${sweep.trials.map((t: { learning_rate: number; score: number; diverged: boolean }) => `${t.learning_rate} → ${t.diverged ? 'diverged' : pct(t.score)}`).join(', ')} (dev accuracy after ${sweep.epochs} epoch(s) on ${sweep.sample_rows} training rows each); chosen ${sweep.chosen}.` : `Learning rate ${hp.learning_rate}.`}
- Up to ${hp.epochs} epochs, batch ${hp.batch_size}, max length ${hp.max_seq_length}, linear schedule with warm-up ${hp.warmup_ratio}, weight decay ${hp.weight_decay}, seed ${hp.seed}${ft.early_stopping ? `, stopping after ${ft.early_stopping.patience} epoch(s) without improvement${ft.early_stopping.stopped_after_epoch ? ` (here after epoch ${ft.early_stopping.stopped_after_epoch})` : ''}` : ''}; dev accuracy per epoch ${ft.eval.map((e: { accuracy: number }) => pct(e.accuracy)).join(', ')}, epoch ${ft.selected.epoch} kept; ${minutes(ft.wall_seconds)} wall time with one ONNX Runtime thread on a two-core CPU.

## Limits

- The teacher's limits hold here too (see its card): a small model pre-trained on 19th-century books, English only, lower-cased input, trained on at most ${hp.max_seq_length} tokens.
- License: ${INFO.sentiment.license}

Files: \`config.json\`, \`model.safetensors\` (float16), tokenizer files, \`metrics.json\` (the figures above, per epoch).
`;
  writeFileSync(join(dir, 'README.md'), card);
  console.log(
    `${name}: dev ${pct(accuracy.student)} (teacher ${pct(accuracy.teacher)}), ${metrics.weights.megabytes} MB (teacher ${metrics.weights.teacher_megabytes}), ${studentSpeed.toFixed(1)} vs ${teacherSpeed.toFixed(1)} sequences/s (${metrics.speed.speed_up.toFixed(2)}×)`,
  );
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'student-weights' && rest.length === 3) {
    packWeights(join(rest[0], 'student', 'sentiment'), join(rest[1], rest[2]));
  } else if (command === 'student-card' && rest.length === 3) {
    await studentCard(rest[0], rest[1], rest[2]);
  } else if (command === 'name') {
    const task = rest[0] as Task;
    if (!TASKS.includes(task)) throw new Error(`unknown task "${rest[0]}"`);
    console.log(INFO[task].name);
  } else if ((command === 'weights' || command === 'cards') && rest.length >= 3) {
    const [build, models, ...args] = rest;
    const withEncoder = args.includes('--encoder');
    const chosen = parseChoices(args.filter((a) => a !== '--encoder'));
    if (command === 'weights') {
      weights(build, models, chosen, withEncoder);
    } else {
      if (withEncoder) encoderCard(build, models, readPretrainMetrics(build));
      cards(build, models, chosen);
    }
  } else {
    throw new Error(
      'usage: package-models.ts name <task> | weights|cards <buildDir> <modelsDir> [--encoder] <task>=<run> ... | student-weights|student-card <buildDir> <modelsDir> <name>',
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
