import { headOf, readConfig } from '../../engine/formats/config';
import { locateHfModelDir } from '../../engine/formats/hf-dir';
import { DISTILL_DEFAULTS, TrainOptionsInput, resolveTrainOptions } from '../../trainer/options';
import { Command, ParsedArgs, UsageError, requireString } from '../command';
import { defined, runTraining, trainCommand, trainOptionsFromArgs } from './train';

const USAGE = [
  'berth distill --teacher <hf-dir> --train <file> --out <dir>',
  `  [--student-layers N (default: half the teacher's, alternate layers)] [--temperature T (${DISTILL_DEFAULTS.temperature})] [--alpha A (${DISTILL_DEFAULTS.alpha})]`,
  '  [--transfer <text file> (unlabelled text the teacher labels for the student: classification and NER)]',
  '  [--validation <file>] [--epochs N] [--batch-size N] [--learning-rate X|auto|X,Y,…] [--patience N] [--max-seq-length N]',
  '  [--seed N] [--threads N] [--force] [--json]   (and the other berth train options)',
].join('\n');

/** The trainer task a teacher's head implies. */
function taskOf(teacherDir: string): TrainOptionsInput['task'] {
  const located = locateHfModelDir(teacherDir, { weights: true });
  const head = headOf(readConfig(located.configFile), located.configFile);
  switch (head) {
    case 'sequence-classification':
      return 'classification';
    case 'token-classification':
      return 'ner';
    case 'question-answering':
      return 'qa';
    default:
      throw new UsageError(`--teacher must be a fine-tuned classification, NER or QA model; ${teacherDir} is ${head}`);
  }
}

function number(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got "${String(v)}"`);
  return n;
}

/**
 * `berth distill`: a student cut from the teacher (alternate layers) trained on the teacher's
 * softened outputs and the labels; what `berth train` writes, with metrics.json `distillation`.
 */
export const distillCommand: Command = {
  name: 'distill',
  summary: 'distil a fine-tuned model into a smaller student (alternate layers) with T²·KL on its outputs plus the labels',
  usage: USAGE,
  options: {
    ...Object.fromEntries(Object.entries(trainCommand.options).filter(([k]) => k !== 'model' && k !== 'method')),
    teacher: { type: 'string' },
    'student-layers': { type: 'string' },
    temperature: { type: 'string' },
    alpha: { type: 'string' },
    transfer: { type: 'string' },
  },
  async run(args) {
    const teacherDir = requireString(args, 'teacher');
    const task = (args.values.task as string | undefined) ?? taskOf(teacherDir);
    const input = trainOptionsFromArgs({ ...args, values: { ...args.values, model: teacherDir, task } });
    const studentLayers = number(args, 'student-layers');
    const options = resolveTrainOptions(
      defined({
        ...input,
        lora: defined(input.lora ?? {}),
        columns: defined(input.columns ?? {}),
        studentLayers,
        distill: defined({
          teacherDir,
          temperature: number(args, 'temperature'),
          alpha: number(args, 'alpha'),
          transferFile: args.values.transfer as string | undefined,
        }),
      }),
    );
    await runTraining(options, args);
  },
};
