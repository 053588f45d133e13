import { quantizeModelDir } from '../../engine/nn/graph-variant';
import { WEIGHT_TYPES, WeightType } from '../../engine/onnx/quantize';
import { Command, UsageError, requireString, say } from '../command';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'write a serve-only copy of a model with int8 MatMul weights (dynamic, per-channel, as ONNX Runtime quantizes)',
  usage: `berth quantize <hf-model-dir> --out <dir> [--weight-type ${WEIGHT_TYPES.join('|')}] [--fused] [--force]`,
  options: {
    out: { type: 'string', short: 'o' },
    'weight-type': { type: 'string' },
    fused: { type: 'boolean' },
    force: { type: 'boolean' },
  },
  run(args) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one <hf-model-dir>');
    const out = requireString(args, 'out');
    const weightType = (args.values['weight-type'] ?? 'int8') as WeightType;
    if (!WEIGHT_TYPES.includes(weightType))
      throw new UsageError(`--weight-type must be one of ${WEIGHT_TYPES.join(', ')}, got "${String(weightType)}"`);
    const r = quantizeModelDir(args.positionals[0], out, {
      weightType,
      fused: args.values.fused === true,
      overwrite: args.values.force === true,
    });
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    say(`quantized ${r.quantized} MatMul weights to ${weightType} (${mb(r.bytesBefore)} MB → ${mb(r.bytesAfter)} MB)`);
    say(`wrote ${out}: ${r.files.join(', ')}`);
  },
};
