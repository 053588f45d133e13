import { exportModelDir } from '../../engine/nn/export';
import { Command, UsageError, requireString, say } from '../command';

export const exportCommand: Command = {
  name: 'export',
  summary: 'build model.onnx from an HF model directory (config.json + model.safetensors or pytorch_model.bin)',
  usage: 'berth export <hf-model-dir> --out <dir> [--force] [--separate-qkv] [--fused]',
  options: {
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
    'separate-qkv': { type: 'boolean' },
    fused: { type: 'boolean' },
  },
  run(args) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one <hf-model-dir>');
    const out = requireString(args, 'out');
    const { files } = exportModelDir(args.positionals[0], out, {
      overwrite: args.values.force === true,
      fuseQkv: args.values['separate-qkv'] !== true,
      fused: args.values.fused === true,
    });
    say(`wrote ${out}: ${files.join(', ')}`);
  },
};
