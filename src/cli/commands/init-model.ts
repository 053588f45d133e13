import { MODEL_PRESETS, initModelDir } from '../../trainer/pretrain/init-model';
import { Command, UsageError, optionalCount, requireString, say } from '../command';

export const initModelCommand: Command = {
  name: 'init-model',
  summary: 'write a randomly initialised BertForMaskedLM (HF layout + model.onnx) to pre-train',
  usage: [
    `berth init-model --config <${Object.keys(MODEL_PRESETS).join('|')}|json|file.json> --tokenizer <dir> --out <dir> [--seed N] [--force]`,
    '  json: {"preset": "mini", "num_hidden_layers": 2} or explicit num_hidden_layers, hidden_size, num_attention_heads, intermediate_size, ...',
  ].join('\n'),
  options: {
    config: { type: 'string' },
    tokenizer: { type: 'string' },
    out: { type: 'string', short: 'o' },
    seed: { type: 'string' },
    force: { type: 'boolean' },
  },
  run(args) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const seed = optionalCount(args, 'seed', 0);
    const out = requireString(args, 'out');
    const { files, config, parameters } = initModelDir({
      spec: requireString(args, 'config'),
      tokenizerDir: requireString(args, 'tokenizer'),
      outDir: out,
      seed,
      overwrite: args.values.force === true,
    });
    say(
      `wrote ${out}: ${files.join(', ')} (${config.num_hidden_layers} layers × ${config.hidden_size} hidden × ${config.num_attention_heads} heads, ` +
        `vocabulary ${config.vocab_size}, ${parameters} parameters)`,
    );
  },
};
