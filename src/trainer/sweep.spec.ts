import { SWEEP_MAX_EPOCHS, SWEEP_MIN_STEPS, SWEEP_SAMPLE_ROWS, bestTrial, sweepEpochs, sweepSample } from './sweep';

const trial = (learning_rate: number, score: number, loss: number, diverged = false) => ({ learning_rate, score, loss, diverged });

describe('learning-rate sweep', () => {
  it('the best trial has the highest validation score', () => {
    expect(bestTrial([trial(1e-5, 0.6, 0.7), trial(1e-4, 0.8, 0.5), trial(1e-3, 0.7, 0.4)]).learning_rate).toBe(1e-4);
  });

  it('equal scores go to the lower validation loss, then to the earlier candidate', () => {
    expect(bestTrial([trial(1e-5, 0.5, 0.69), trial(10, 0.5, 600)]).learning_rate).toBe(1e-5);
    expect(bestTrial([trial(10, 0.5, 600), trial(1e-5, 0.5, 0.69)]).learning_rate).toBe(1e-5);
    expect(bestTrial([trial(2e-5, 0.5, 0.69), trial(1e-5, 0.5, 0.69)]).learning_rate).toBe(2e-5);
  });

  it('a diverged trial never wins over a finished one', () => {
    expect(bestTrial([trial(10, NaN, NaN, true), trial(1e-5, 0.1, 2)]).learning_rate).toBe(1e-5);
    expect(bestTrial([trial(1e-5, 0.1, 2), trial(10, Infinity, 0, true)]).learning_rate).toBe(1e-5);
  });

  it('samples every row when there are few, else a seeded sample in file order', () => {
    expect(sweepSample(5, 1)).toEqual([0, 1, 2, 3, 4]);
    const a = sweepSample(SWEEP_SAMPLE_ROWS * 3, 7);
    expect(a).toHaveLength(SWEEP_SAMPLE_ROWS);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    expect(sweepSample(SWEEP_SAMPLE_ROWS * 3, 7)).toEqual(a);
    expect(sweepSample(SWEEP_SAMPLE_ROWS * 3, 8)).not.toEqual(a);
  });

  it('gives each trial at least SWEEP_MIN_STEPS steps in whole epochs over its sample, within the cap', () => {
    expect(sweepEpochs(1000, 32)).toBe(Math.ceil(SWEEP_MIN_STEPS / 32)); // 32 steps an epoch → 4 epochs, 128 steps
    expect(sweepEpochs(1000, 32) * Math.ceil(1000 / 32)).toBeGreaterThanOrEqual(SWEEP_MIN_STEPS);
    expect(sweepEpochs(1000, 32) - 1).toBeLessThan(SWEEP_MIN_STEPS / Math.ceil(1000 / 32)); // and no more epochs than that
    expect(sweepEpochs(1000, 8)).toBe(1); // 125 steps in one epoch
    expect(sweepEpochs(30, 16)).toBe(SWEEP_MAX_EPOCHS); // 2 steps an epoch: capped
  });
});
