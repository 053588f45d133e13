import { variantName } from '../../engine/nn/graph-variant';
import { WEIGHT_TYPES, WeightType } from '../../engine/onnx/quantize';
import { evaluateServingGraph } from '../../trainer/evaluate-graph';
import { TRAIN_TASKS, TrainOptionsInput, resolveTrainOptions } from '../../trainer/options';
import { evaluateModel } from '../../trainer/train';
import { Command, UsageError, optionalCount, requireString } from '../command';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "score a model on a labelled file with its task's metric (accuracy, entity F1, SQuAD EM/F1, perplexity)",
  usage: [
    `berth evaluate --model <hf-dir> --task ${TRAIN_TASKS.join('|')} --data <file>`,
    '  [--max-seq-length N] [--batch-size N] [--text-column C] [--text-pair-column C] [--label-column C] [--threads N] [--json]',
    `  [--serving-graph] [--fused] [--quantize ${WEIGHT_TYPES.join('|')}]   score through the inference graph the server runs (plain, fused, int8)`,
  ].join('\n'),
  options: {
    model: { type: 'string' },
    task: { type: 'string' },
    data: { type: 'string' },
    'max-seq-length': { type: 'string' },
    'batch-size': { type: 'string' },
    'text-column': { type: 'string' },
    'text-pair-column': { type: 'string' },
    'label-column': { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    'serving-graph': { type: 'boolean' },
    fused: { type: 'boolean' },
    quantize: { type: 'string' },
  },
  async run(args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const task = requireString(args, 'task');
    if (!(TRAIN_TASKS as readonly string[]).includes(task))
      throw new UsageError(`--task must be one of ${TRAIN_TASKS.join(', ')}, got "${task}"`);
    const data = requireString(args, 'data');
    const text = (name: string): string | undefined => (typeof args.values[name] === 'string' ? (args.values[name] as string) : undefined);
    const input: TrainOptionsInput = {
      modelDir: requireString(args, 'model'),
      task: task as TrainOptionsInput['task'],
      trainFile: data,
      validationFile: data,
      outDir: '',
      maxSeqLength: optionalCount(args, 'max-seq-length'),
      batchSize: optionalCount(args, 'batch-size'),
      threads: optionalCount(args, 'threads'),
      columns: Object.fromEntries(
        (
          [
            ['text', text('text-column')],
            ['textPair', text('text-pair-column')],
            ['label', text('label-column')],
          ] as const
        ).filter(([, v]) => v !== undefined),
      ),
    };
    const options = resolveTrainOptions(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as TrainOptionsInput);
    const quantize = args.values.quantize as WeightType | undefined;
    if (quantize !== undefined && !WEIGHT_TYPES.includes(quantize)) {
      throw new UsageError(`--quantize must be one of ${WEIGHT_TYPES.join(', ')}, got "${String(quantize)}"`);
    }
    const fused = args.values.fused === true;
    const servingGraph = args.values['serving-graph'] === true || fused || quantize !== undefined;
    const result = servingGraph ? await evaluateServingGraph(options, { fused, quantize }) : await evaluateModel(options);
    const graph = servingGraph ? variantName({ fused, quantize }) : 'eval';
    const { score: _score, scoreName: _name, ...metrics } = result.metrics;
    if (args.values.json === true) {
      process.stdout.write(
        `${JSON.stringify({ model: options.modelDir, task, data, graph, examples: result.examples, metrics, wall_seconds: result.wallSeconds })}\n`,
      );
    } else {
      const shown = Object.entries(metrics).map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(5)) : v}`);
      process.stdout.write(`${options.modelDir} on ${data} (${result.examples} examples): ${shown.join(', ')}\n`);
    }
  },
};
