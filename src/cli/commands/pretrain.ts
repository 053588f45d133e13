import { PRETRAIN_DEFAULTS, PretrainEvent, PretrainOptions, pretrain } from '../../trainer/pretrain/pretrain';
import { OBJECTIVES, Objective, isObjective } from '../../trainer/pretrain/objectives';
import { Command, ParsedArgs, UsageError, requireString, say } from '../command';

const USAGE = [
  'berth pretrain --model <hf-dir> --data <file|dir of .txt> --out <dir>',
  '  [--steps N | --epochs N] [--max-seq-length N] [--batch-size N] [--learning-rate X] [--warmup-ratio X]',
  '  [--objective mlm|mlm+nsp|mlm+sop|span+sbo] [--weight-decay X] [--max-grad-norm X] [--mask-probability X]',
  '  [--whole-word-mask] [--seed N]',
  '  [--checkpoint-every N] [--resume] [--validation-file F] [--validation-blocks N] [--log-every N]',
  '  [--intra-op-threads N] [--json]',
].join('\n');

function numberOption(args: ParsedArgs, name: string, kind: 'integer' | 'positive-integer' | 'number'): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const text = String(v);
  const n = Number(text);
  const ok =
    kind === 'number'
      ? text.trim() !== '' && Number.isFinite(n) && n >= 0
      : /^\d+$/.test(text) && Number.isSafeInteger(n) && (kind === 'integer' || n > 0);
  if (!ok)
    throw new UsageError(
      `--${name} must be ${kind === 'number' ? 'a non-negative number' : kind === 'integer' ? 'a non-negative integer' : 'a positive integer'}, got "${text}"`,
    );
  return n;
}

function objectiveOption(args: ParsedArgs): Objective {
  const v = args.values.objective;
  if (v === undefined) return PRETRAIN_DEFAULTS.objective;
  if (typeof v !== 'string' || !isObjective(v))
    throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got "${String(v)}"`);
  return v;
}

/** The command line as pre-training options, defaults applied. */
export function pretrainOptionsFromArgs(args: ParsedArgs): PretrainOptions {
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const steps = numberOption(args, 'steps', 'positive-integer');
  const epochs = numberOption(args, 'epochs', 'positive-integer');
  if (steps !== undefined && epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  const validationFile = args.values['validation-file'];
  const d = PRETRAIN_DEFAULTS;
  const options: PretrainOptions = {
    modelDir: requireString(args, 'model'),
    dataPath: requireString(args, 'data'),
    outDir: requireString(args, 'out'),
    validationFile: typeof validationFile === 'string' ? validationFile : undefined,
    validationBlocks: numberOption(args, 'validation-blocks', 'positive-integer') ?? d.validationBlocks,
    maxSeqLength: numberOption(args, 'max-seq-length', 'positive-integer') ?? d.maxSeqLength,
    batchSize: numberOption(args, 'batch-size', 'positive-integer') ?? d.batchSize,
    learningRate: numberOption(args, 'learning-rate', 'number') ?? d.learningRate,
    warmupRatio: numberOption(args, 'warmup-ratio', 'number') ?? d.warmupRatio,
    weightDecay: numberOption(args, 'weight-decay', 'number') ?? d.weightDecay,
    maxGradNorm: numberOption(args, 'max-grad-norm', 'number') ?? d.maxGradNorm,
    maskProbability: numberOption(args, 'mask-probability', 'number') ?? d.maskProbability,
    steps,
    epochs: steps === undefined ? (epochs ?? 1) : undefined,
    objective: objectiveOption(args),
    wholeWordMask: args.values['whole-word-mask'] === true,
    seed: numberOption(args, 'seed', 'integer') ?? d.seed,
    checkpointEvery: numberOption(args, 'checkpoint-every', 'integer') ?? d.checkpointEvery,
    resume: args.values.resume === true,
    logEvery: numberOption(args, 'log-every', 'positive-integer') ?? d.logEvery,
    threads: numberOption(args, 'intra-op-threads', 'positive-integer'),
  };
  if (options.warmupRatio > 1) throw new UsageError(`--warmup-ratio must be in [0, 1], got ${options.warmupRatio}`);
  if (options.maskProbability <= 0 || options.maskProbability >= 1)
    throw new UsageError(`--mask-probability must be in (0, 1), got ${options.maskProbability}`);
  return options;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** JSON lines on stdout when not on a terminal (or with --json); short readable lines otherwise. */
function reporter(json: boolean): (event: PretrainEvent) => void {
  if (json) return (event) => process.stdout.write(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`);
  return (event) => {
    switch (event.type) {
      case 'data':
        say(
          `data: ${event.files} files, ${event.documents} documents, ${event.tokens} tokens → ${event.blocks} blocks (${event.seconds.toFixed(1)} s); validation ${event.validationBlocks} blocks`,
        );
        break;
      case 'start':
        say(
          `pre-training ${event.parameters} parameters for ${event.totalSteps} steps × ${event.tokensPerStep} tokens${event.resumedFrom ? `, resumed from ${event.resumedFrom}` : ''}`,
        );
        break;
      case 'step':
        say(
          `step ${event.step}/${event.totalSteps} loss ${event.loss.toFixed(4)} lr ${event.lr.toExponential(2)} |g| ${event.gradNorm.toFixed(2)} ` +
            `${event.tokensPerSecond.toFixed(0)} tok/s ETA ${duration(event.etaSeconds)}`,
        );
        break;
      case 'checkpoint':
        say(`checkpoint ${event.dir}`);
        break;
      case 'eval':
        say(
          `validation: MLM loss ${event.loss.toFixed(4)}, perplexity ${event.perplexity.toFixed(2)} (${event.maskedTokens} masked tokens)`,
        );
        break;
      case 'done':
        say(`wrote ${event.outDir} (${duration(event.wallSeconds)})`);
        break;
    }
  };
}

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'masked-LM pre-training on text files (packed, dynamically masked, resumable from checkpoints)',
  usage: USAGE,
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string', short: 'o' },
    steps: { type: 'string' },
    epochs: { type: 'string' },
    'max-seq-length': { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    'warmup-ratio': { type: 'string' },
    'weight-decay': { type: 'string' },
    'max-grad-norm': { type: 'string' },
    'mask-probability': { type: 'string' },
    'whole-word-mask': { type: 'boolean' },
    seed: { type: 'string' },
    'checkpoint-every': { type: 'string' },
    resume: { type: 'boolean' },
    'validation-file': { type: 'string' },
    'validation-blocks': { type: 'string' },
    'log-every': { type: 'string' },
    'intra-op-threads': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args) {
    const options = pretrainOptionsFromArgs(args);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await pretrain(options, { signal: controller.signal, onEvent: reporter(args.values.json === true || !process.stdout.isTTY) });
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  },
};
