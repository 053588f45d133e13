import { ProgressReporter, ProgressSink } from './progress-reporter';

/** A sink that records what the reporter stores, in order. */
function recorder(): { sink: ProgressSink; logs: Array<{ message: string; data: unknown; type?: string }> } {
  const logs: Array<{ message: string; data: unknown; type?: string }> = [];
  const sink: ProgressSink = {
    log: async (_job, _level, message, data, type) => void logs.push({ message, data, type }),
    progress: async () => undefined,
    step: async () => undefined,
    checkpoint: async () => undefined,
  };
  return { sink, logs };
}

describe('ProgressReporter', () => {
  it('stores each learning-rate trial, the sweep choice and an early stop as job events, in order', async () => {
    const { sink, logs } = recorder();
    const reporter = new ProgressReporter(sink, 'ftjob-1');
    reporter.on({ type: 'trial', trial: 1, trials: 2, learningRate: 10, score: NaN, scoreName: 'accuracy', loss: NaN, diverged: true });
    reporter.on({ type: 'trial', trial: 2, trials: 2, learningRate: 1e-5, score: 0.75, scoreName: 'accuracy', loss: 0.5, diverged: false });
    reporter.on({ type: 'sweep', learningRate: 1e-5, score: 0.75, scoreName: 'accuracy' });
    reporter.on({ type: 'early-stop', epoch: 3, bestEpoch: 1, patience: 2 });
    await reporter.settled();
    expect(logs.map((l) => l.message)).toEqual([
      'Learning-rate trial 1/2: 10 → diverged',
      'Learning-rate trial 2/2: 0.00001 → accuracy=0.7500, validation loss=0.5000',
      'Learning rate 0.00001 chosen (accuracy=0.7500); training the full run',
      'Stopping early after epoch 3: no better validation score since epoch 1 (patience 2)',
    ]);
    expect(logs[0]).toMatchObject({ type: 'metrics', data: { learning_rate: 10, diverged: true, score: null, loss: null } });
    expect(logs[1].data).toMatchObject({ trial: 2, trials: 2, learning_rate: 1e-5, score: 0.75, score_name: 'accuracy', loss: 0.5 });
    expect(logs[3].data).toEqual({ epoch: 3, best_epoch: 1, patience: 2 });
  });
});
