import { NEW_HEAD_TASKS, NewHeadTask, newHeadModelDir } from '../../trainer/new-head';
import { Command, UsageError, optionalCount, requireString, say } from '../command';

export const newHeadCommand: Command = {
  name: 'new-head',
  summary: 'put a freshly initialised task head on a pre-trained encoder, ready for berth train',
  usage: [
    `berth new-head --model <pretrained-dir> --task ${NEW_HEAD_TASKS.join('|')} [--labels a,b,c] --out <dir> [--seed N] [--force]`,
    '  --labels: label names in id order (classification, ner); qa takes none',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    task: { type: 'string' },
    labels: { type: 'string' },
    out: { type: 'string', short: 'o' },
    seed: { type: 'string' },
    force: { type: 'boolean' },
  },
  run(args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const task = requireString(args, 'task');
    if (!(NEW_HEAD_TASKS as readonly string[]).includes(task))
      throw new UsageError(`--task must be one of ${NEW_HEAD_TASKS.join(', ')}, got "${task}"`);
    const seed = optionalCount(args, 'seed', 0);
    const labelsText = args.values.labels;
    const labels = typeof labelsText === 'string' ? labelsText.split(',').map((l) => l.trim()) : [];
    if (task !== 'qa' && labels.length === 0) throw new UsageError(`--task ${task} needs --labels`);
    const out = requireString(args, 'out');
    let result;
    try {
      result = newHeadModelDir({
        modelDir: requireString(args, 'model'),
        task: task as NewHeadTask,
        labels,
        outDir: out,
        seed,
        overwrite: args.values.force === true,
      });
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`--labels: ${e.message}`);
      throw e;
    }
    say(
      `wrote ${out}: ${result.files.join(', ')} (${result.config.architectures[0]}; ${result.kept.length} tensors kept, newly initialised: ${result.initialised.join(', ')}; left out: ${result.dropped.join(', ') || 'none'})`,
    );
  },
};
