import { TrainEvent, train } from '../../trainer/train';
import { TRAIN_METHODS, TRAIN_TASKS, TrainOptions, TrainOptionsInput, resolveTrainOptions } from '../../trainer/options';
import { AUTO_LEARNING_RATES } from '../../trainer/sweep';
import { Command, ParsedArgs, UsageError, requireString, say } from '../command';

const USAGE = [
  `berth train --model <hf-dir> --task ${TRAIN_TASKS.join('|')} --train <file> --out <dir>`,
  `  [--validation <file>] [--method ${TRAIN_METHODS.join('|')}] [--epochs N] [--batch-size N]`,
  '  [--learning-rate X|auto|X,Y,…] [--patience N] [--weight-decay X] [--warmup-ratio X] [--lr-scheduler linear|constant]',
  '  [--max-grad-norm X] [--max-seq-length N] [--seed N] [--no-shuffle] [--group-by-length] [--select best|last]',
  '  [--lora-r N] [--lora-alpha X] [--lora-dropout X] [--lora-targets a,b] [--adapter-reduction N] [--prompt-tokens N]',
  '  [--text-column C] [--text-pair-column C] [--label-column C] [--threads N] [--force] [--json]',
].join('\n');

function optionalNumber(args: ParsedArgs, name: string, integer = false): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const text = String(v);
  const n = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(n) && (!integer || /^\d+$/.test(text));
  if (!ok) throw new UsageError(`--${name} must be ${integer ? 'a non-negative integer' : 'a number'}, got "${text}"`);
  return n;
}

function optionalString(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * `--learning-rate`: one rate, `auto` (a sweep over AUTO_LEARNING_RATES), or a comma list (a sweep
 * over those): the sweep's trials pick the rate on validation before the full run.
 */
function learningRateArgs(args: ParsedArgs): Pick<TrainOptionsInput, 'learningRate' | 'learningRates'> {
  const text = optionalString(args, 'learning-rate');
  if (text === undefined) return {};
  if (text.trim() === 'auto') return { learningRates: AUTO_LEARNING_RATES };
  const values = text.split(',').map((v) => v.trim());
  const numbers = values.map(Number);
  if (values.some((v, i) => v === '' || !Number.isFinite(numbers[i])))
    throw new UsageError(`--learning-rate must be a number, "auto" or a comma-separated list of numbers, got "${text}"`);
  return numbers.length === 1 ? { learningRate: numbers[0] } : { learningRates: numbers };
}

/** The command line as training options (ranges are checked by resolveTrainOptions). */
export function trainOptionsFromArgs(args: ParsedArgs): TrainOptionsInput {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const task = requireString(args, 'task');
  if (!(TRAIN_TASKS as readonly string[]).includes(task))
    throw new UsageError(`--task must be one of ${TRAIN_TASKS.join(', ')}, got "${task}"`);
  const method = optionalString(args, 'method');
  if (method !== undefined && !(TRAIN_METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`--method must be one of ${TRAIN_METHODS.join(', ')}, got "${method}"`);
  }
  const targets = optionalString(args, 'lora-targets');
  return {
    modelDir: requireString(args, 'model'),
    task: task as TrainOptionsInput['task'],
    trainFile: requireString(args, 'train'),
    validationFile: optionalString(args, 'validation'),
    outDir: requireString(args, 'out'),
    method: method as TrainOptionsInput['method'],
    epochs: optionalNumber(args, 'epochs', true),
    batchSize: optionalNumber(args, 'batch-size', true),
    ...learningRateArgs(args),
    patience: optionalNumber(args, 'patience', true),
    weightDecay: optionalNumber(args, 'weight-decay'),
    warmupRatio: optionalNumber(args, 'warmup-ratio'),
    lrScheduler: optionalString(args, 'lr-scheduler') as TrainOptionsInput['lrScheduler'],
    maxGradNorm: optionalNumber(args, 'max-grad-norm'),
    maxSeqLength: optionalNumber(args, 'max-seq-length', true),
    seed: optionalNumber(args, 'seed', true),
    shuffle: args.values['no-shuffle'] !== true,
    groupByLength: args.values['group-by-length'] === true,
    select: optionalString(args, 'select') as TrainOptionsInput['select'],
    lora: {
      r: optionalNumber(args, 'lora-r', true),
      alpha: optionalNumber(args, 'lora-alpha'),
      dropout: optionalNumber(args, 'lora-dropout'),
      targets: targets
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    },
    adapterReduction: optionalNumber(args, 'adapter-reduction', true),
    promptTokens: optionalNumber(args, 'prompt-tokens', true),
    columns: {
      text: optionalString(args, 'text-column'),
      textPair: optionalString(args, 'text-pair-column'),
      label: optionalString(args, 'label-column'),
    },
    threads: optionalNumber(args, 'threads', true),
    overwrite: args.values.force === true,
  };
}

/** Drops undefined fields so that defaults apply. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function formatMetrics(metrics: Record<string, number | string>): string {
  return Object.entries(metrics)
    .filter(([k]) => k !== 'score' && k !== 'scoreName')
    .map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
    .join(', ');
}

/**
 * Progress on a terminal: one rewritten bar line on stderr, and a line per evaluation. Otherwise
 * (a pipe, a log collector, `--json`): one JSON object per event on stdout.
 */
export function progressReporter(json: boolean): (event: TrainEvent) => void {
  if (json) return (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
  let lastDraw = 0;
  return (event) => {
    switch (event.type) {
      case 'start':
        say(
          `training: ${event.trainExamples} examples, validation: ${event.validation} (${event.validationExamples}), ${event.epochs} epochs × ${event.stepsPerEpoch} steps, ${event.trainable} trainable / ${event.trainable + event.frozen} parameters`,
        );
        break;
      case 'step': {
        const now = Date.now();
        if (now - lastDraw < 100 && event.step !== event.totalSteps) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((width * event.step) / event.totalSteps);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
        process.stderr.write(
          `\r${bar} ${event.step}/${event.totalSteps} epoch ${event.epoch} loss ${event.loss.toFixed(4)} lr ${event.learningRate.toExponential(2)} |g| ${event.gradNorm.toFixed(2)} ${event.examplesPerSecond.toFixed(1)} ex/s `,
        );
        break;
      }
      case 'eval':
        process.stderr.write('\n');
        say(`epoch ${event.epoch}: ${formatMetrics(event.metrics)}${event.best ? ' (kept)' : ''}`);
        break;
      case 'trial':
        say(
          `learning-rate trial ${event.trial}/${event.trials}: ${event.learningRate} → ${event.diverged ? 'diverged' : `${event.scoreName} ${Number(event.score.toPrecision(4))}, loss ${Number(event.loss.toPrecision(4))}`}`,
        );
        break;
      case 'sweep':
        say(`learning rate ${event.learningRate} chosen (${event.scoreName} ${Number(event.score.toPrecision(4))}); full run`);
        break;
      case 'early-stop':
        say(`stopping early after epoch ${event.epoch}: no better score since epoch ${event.bestEpoch} (patience ${event.patience})`);
        break;
      case 'done':
        say(`wrote ${event.outDir} (epoch ${event.selectedEpoch} selected, ${event.wallSeconds.toFixed(1)} s)`);
        break;
    }
  };
}

/** Runs the trainer with progress on stderr (JSON lines when asked or not a terminal); Ctrl-C cancels it cleanly. */
export async function runTraining(options: TrainOptions, args: ParsedArgs): Promise<void> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const json = args.values.json === true || !process.stderr.isTTY;
    await train(options, { signal: controller.signal, onEvent: progressReporter(json) });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'fine-tune a model on a dataset file and write the result as an HF layout directory',
  usage: USAGE,
  options: {
    model: { type: 'string' },
    task: { type: 'string' },
    train: { type: 'string' },
    validation: { type: 'string' },
    out: { type: 'string', short: 'o' },
    method: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    patience: { type: 'string' },
    'weight-decay': { type: 'string' },
    'warmup-ratio': { type: 'string' },
    'lr-scheduler': { type: 'string' },
    'max-grad-norm': { type: 'string' },
    'max-seq-length': { type: 'string' },
    seed: { type: 'string' },
    'no-shuffle': { type: 'boolean' },
    'group-by-length': { type: 'boolean' },
    select: { type: 'string' },
    'lora-r': { type: 'string' },
    'lora-alpha': { type: 'string' },
    'lora-dropout': { type: 'string' },
    'lora-targets': { type: 'string' },
    'adapter-reduction': { type: 'string' },
    'prompt-tokens': { type: 'string' },
    'text-column': { type: 'string' },
    'text-pair-column': { type: 'string' },
    'label-column': { type: 'string' },
    threads: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const input = trainOptionsFromArgs(args);
    const options = resolveTrainOptions(defined({ ...input, lora: defined(input.lora ?? {}), columns: defined(input.columns ?? {}) }));
    await runTraining(options, args);
  },
};
