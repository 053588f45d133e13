import { join } from 'node:path';
import { TINY_TASKS, TinyTask, makeTinyModelDir } from '../../engine/nn/tiny';
import { Command, UsageError, optionalCount, requireString, say } from '../command';
import { packageRoot } from '../repo-root';

export const makeTinyCommand: Command = {
  name: 'make-tiny',
  summary: 'write a tiny randomly initialised BERT (HF layout + model.onnx) for tests and demos',
  usage: `berth make-tiny --task ${TINY_TASKS.join('|')} --out <dir> [--seed N] [--force]`,
  options: {
    task: { type: 'string' },
    out: { type: 'string', short: 'o' },
    seed: { type: 'string' },
    force: { type: 'boolean' },
  },
  run(args) {
    const task = requireString(args, 'task');
    if (!(TINY_TASKS as readonly string[]).includes(task)) {
      throw new UsageError(`--task must be one of ${TINY_TASKS.join(', ')}, got "${task}"`);
    }
    const out = requireString(args, 'out');
    const seed = optionalCount(args, 'seed', 0);
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const { files } = makeTinyModelDir({
      task: task as TinyTask,
      outDir: out,
      seed,
      tokenizerDir: join(packageRoot(), 'assets', 'tiny-tokenizer'),
      overwrite: args.values.force === true,
    });
    say(`wrote ${out}: ${files.join(', ')}`);
  },
};
