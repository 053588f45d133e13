import { UsageError } from '../command';
import { pretrainOptionsFromArgs } from './pretrain';

const base = { model: 'm', data: 'd', out: 'o' };

describe('pretrainOptionsFromArgs', () => {
  it('applies the defaults and reads every option', () => {
    expect(pretrainOptionsFromArgs({ values: base, positionals: [] })).toMatchObject({
      modelDir: 'm',
      dataPath: 'd',
      outDir: 'o',
      maxSeqLength: 128,
      batchSize: 32,
      epochs: 1,
      steps: undefined,
      objective: 'mlm',
      wholeWordMask: false,
      resume: false,
      checkpointEvery: 0,
      logEvery: 10,
      threads: undefined,
    });
    const o = pretrainOptionsFromArgs({
      values: {
        ...base,
        steps: '500',
        'max-seq-length': '64',
        'batch-size': '8',
        'learning-rate': '1e-4',
        'warmup-ratio': '0.1',
        'weight-decay': '0',
        'whole-word-mask': true,
        seed: '0',
        'checkpoint-every': '50',
        resume: true,
        'validation-file': 'v.txt',
        'log-every': '5',
        'intra-op-threads': '1',
      },
      positionals: [],
    });
    expect(o).toMatchObject({
      steps: 500,
      epochs: undefined,
      maxSeqLength: 64,
      batchSize: 8,
      learningRate: 1e-4,
      warmupRatio: 0.1,
      weightDecay: 0,
      wholeWordMask: true,
      seed: 0,
      checkpointEvery: 50,
      resume: true,
      validationFile: 'v.txt',
      logEvery: 5,
      threads: 1,
    });
  });

  it('--objective takes one of the four objectives', () => {
    for (const objective of ['mlm', 'mlm+nsp', 'mlm+sop', 'span+sbo']) {
      expect(pretrainOptionsFromArgs({ values: { ...base, objective }, positionals: [] }).objective).toBe(objective);
    }
    expect(() => pretrainOptionsFromArgs({ values: { ...base, objective: 'nsp' }, positionals: [] })).toThrow(
      new UsageError('--objective must be one of mlm, mlm+nsp, mlm+sop, span+sbo, got "nsp"'),
    );
  });

  it('rejects bad values with the option named', () => {
    const bad =
      (values: Record<string, string | boolean>): (() => void) =>
      () =>
        pretrainOptionsFromArgs({ values: { ...base, ...values }, positionals: [] });
    expect(bad({ steps: '0' })).toThrow(/--steps must be a positive integer/);
    expect(bad({ steps: '2', epochs: '1' })).toThrow(/not both/);
    expect(bad({ 'batch-size': '1.5' })).toThrow(UsageError);
    expect(bad({ 'learning-rate': 'fast' })).toThrow(/--learning-rate/);
    expect(bad({ 'mask-probability': '1' })).toThrow(/--mask-probability/);
    expect(bad({ 'warmup-ratio': '2' })).toThrow(/--warmup-ratio/);
    expect(() => pretrainOptionsFromArgs({ values: { data: 'd', out: 'o' }, positionals: [] })).toThrow(/--model is required/);
  });
});
