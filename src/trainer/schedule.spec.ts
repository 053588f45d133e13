import { learningRateSchedule, warmupSteps } from './schedule';

describe('learning-rate schedule (HF Trainer semantics)', () => {
  it('warm-up steps are ceil(ratio · total)', () => {
    expect(warmupSteps(10, 0.25)).toBe(3);
    expect(warmupSteps(10, 0.2)).toBe(2);
    expect(warmupSteps(10, 0)).toBe(0);
  });

  it('linear: 0 → lr over the warm-up, then down to 0 at the last step', () => {
    const lr = learningRateSchedule({ kind: 'linear', learningRate: 1e-3, totalSteps: 10, warmupRatio: 0.2 });
    // Hand-computed from get_linear_schedule_with_warmup(warmup=2, total=10).
    expect([0, 1, 2, 3, 6, 9, 10].map(lr)).toEqual([0, 5e-4, 1e-3, 1e-3 * (7 / 8), 1e-3 * (4 / 8), 1e-3 * (1 / 8), 0]);
  });

  it('linear without warm-up starts at lr', () => {
    const lr = learningRateSchedule({ kind: 'linear', learningRate: 2, totalSteps: 4, warmupRatio: 0 });
    expect([0, 1, 2, 3].map(lr)).toEqual([2, 1.5, 1, 0.5]);
  });

  it('constant: warm-up, then lr held', () => {
    const lr = learningRateSchedule({ kind: 'constant', learningRate: 0.1, totalSteps: 10, warmupRatio: 0.3 });
    expect([0, 1, 2, 3, 9].map(lr)).toEqual([0, 0.1 / 3, 0.2 / 3, 0.1, 0.1]);
  });
});
