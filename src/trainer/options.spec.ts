import { TRAIN_DEFAULTS, TrainOptionsError, resolveTrainOptions } from './options';

const required = { modelDir: 'm', task: 'classification' as const, trainFile: 't.csv', outDir: 'o' };

describe('resolveTrainOptions', () => {
  it('fills HF/PEFT defaults', () => {
    const o = resolveTrainOptions(required);
    expect(o).toMatchObject({
      method: 'full',
      epochs: 3,
      learningRate: 5e-5,
      lrScheduler: 'linear',
      maxGradNorm: 1,
      select: 'best',
      shuffle: true,
    });
    expect(o.lora).toEqual({ r: 8, alpha: 8, dropout: 0, targets: ['query', 'value'] });
    expect(o.validationSplit).toBe(TRAIN_DEFAULTS.validationSplit);
  });

  it.each([
    [{ epochs: 0 }, /^epochs: must be an integer ≥ 1/],
    [{ batchSize: 2.5 }, /^batch-size: must be an integer/],
    [{ warmupRatio: 1.5 }, /^warmup-ratio: must be in \[0, 1\]/],
    [{ learningRate: -1 }, /^learning-rate/],
    [{ method: 'magic' as never }, /^method: must be one of full, lora, adapter, head, prompt/],
    [{ lrScheduler: 'cosine' as never }, /^lr-scheduler/],
    [{ lora: { dropout: 1 } }, /^lora-dropout: must be in \[0, 1\)/],
    [{ lora: { targets: ['query', 'pooler'] } }, /^lora-targets: must be one of/],
    [{ maxSeqLength: 4 }, /^max-seq-length/],
    [{ validationSplit: 0 }, /^validation: no validation file and no held-out split/],
  ])('refuses %j', (override, message) => {
    expect(() => resolveTrainOptions({ ...required, ...override })).toThrow(TrainOptionsError);
    expect(() => resolveTrainOptions({ ...required, ...override })).toThrow(message);
  });
});
