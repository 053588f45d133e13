/**
 * The learning-rate sweep ("try several learning rates: the most important hyperparameter"):
 * each candidate trains briefly on a seeded sample of the training rows, is scored on the
 * validation rows, and the best one wins; the full run then trains at it. A candidate whose loss
 * goes non-finite has diverged and cannot win.
 */
import { Rng } from './random';
import type { SweepTrial } from './train-types';

/**
 * `"auto"`: the grid Turc et al. ("Well-Read Students Learn Better", 2019) sweep for compact BERTs,
 * which holds the BERT paper's own 5e-5 and 3e-5 and the higher rates small encoders prefer.
 */
export const AUTO_LEARNING_RATES: readonly number[] = [3e-5, 5e-5, 1e-4, 3e-4];

/** A trial trains on at most this many training rows (a seeded sample)… */
export const SWEEP_SAMPLE_ROWS = 1000;
/**
 * …for at least this many optimizer steps (whole epochs over the sample), and is scored on every
 * validation row. Fewer steps tell the rates apart by noise: a model from random initialisation
 * has barely moved after one epoch of a 1,000-row sample at batch 32 (32 steps) at any rate.
 */
export const SWEEP_MIN_STEPS = 100;
/** The most epochs a trial takes over a small sample. */
export const SWEEP_MAX_EPOCHS = 10;

/** Epochs a trial takes over `sampleRows` rows in batches of `batchSize`: SWEEP_MIN_STEPS steps, whole epochs. */
export function sweepEpochs(sampleRows: number, batchSize: number): number {
  const stepsPerEpoch = Math.ceil(sampleRows / batchSize);
  return Math.min(SWEEP_MAX_EPOCHS, Math.max(1, Math.ceil(SWEEP_MIN_STEPS / stepsPerEpoch)));
}

/** The training rows a trial uses: all of them when few, else a seeded sample in file order. */
export function sweepSample(rows: number, seed: number): number[] {
  if (rows <= SWEEP_SAMPLE_ROWS) return Array.from({ length: rows }, (_, i) => i);
  return new Rng(seed)
    .permutation(rows)
    .slice(0, SWEEP_SAMPLE_ROWS)
    .sort((a, b) => a - b);
}

/**
 * The winning trial: the highest validation score; on equal scores the lower validation loss; on
 * both equal the earlier candidate. Diverged trials lose to any finished one.
 */
export function bestTrial(trials: readonly SweepTrial[]): SweepTrial {
  if (trials.length === 0) throw new RangeError('a sweep needs at least one trial');
  const rank = (t: SweepTrial): [number, number] => [
    t.diverged || !Number.isFinite(t.score) ? -Infinity : t.score,
    t.diverged || !Number.isFinite(t.loss) ? Infinity : t.loss,
  ];
  let best = trials[0];
  for (const t of trials.slice(1)) {
    const [s, l] = rank(t);
    const [bs, bl] = rank(best);
    if (s > bs || (s === bs && l < bl)) best = t;
  }
  return best;
}
