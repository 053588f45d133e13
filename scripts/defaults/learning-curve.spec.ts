import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRows, CASED_TASKS, Cell, MAX_EPOCHS, MIN_STEPS, epochsFor, render, subset } from './learning-curve';

describe('learning-curve helpers', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => i);

  it('draws ceil(fraction · n) distinct rows per seed, the same for the same seed and different across seeds', () => {
    const a = subset(rows, 0.01, 42);
    expect(a).toHaveLength(10);
    expect(new Set(a).size).toBe(10);
    expect(subset(rows, 0.01, 42)).toEqual(a);
    expect(subset(rows, 0.01, 1)).not.toEqual(a);
    expect(subset(rows, 0.1, 42)).toHaveLength(100);
    expect(subset(rows, 1, 42)).toEqual(rows);
  });

  it('gives small subsets enough epochs for the minimum number of steps, within the cap', () => {
    const spec = { budget: { epochs: 1, batchSize: 32, learningRate: 1e-4, maxSeqLength: 64 } };
    expect(epochsFor(spec, 67_349)).toBe(1); // the full set keeps the build's budget
    const rows = 3200;
    expect(epochsFor(spec, rows)).toBe(Math.ceil((MIN_STEPS * 32) / rows)); // whole epochs of 100 steps
    expect(epochsFor(spec, rows) * (rows / 32)).toBeGreaterThanOrEqual(MIN_STEPS);
    expect(epochsFor(spec, 100)).toBe(MAX_EPOCHS); // capped
  });

  it('renders mean ± sd over seeds and the (a) − (b) gap per task and fraction, on the encoder the task ships with', () => {
    expect(CASED_TASKS.has('ner')).toBe(true);
    const cell = (start: Cell['start'], seed: number, score: number, vocabulary: Cell['vocabulary'] = 'cased'): Cell => ({
      task: 'ner',
      fraction: 0.1,
      seed,
      start,
      rows: 1404,
      epochs: 4,
      score,
      seconds: 1,
      ...(start === 'baseline' ? {} : { vocabulary }),
    });
    const table = render([
      // NER ships on the cased encoder: runs on the uncased one stay out of its row.
      cell('pretrained', 42, 0.9, 'uncased'),
      cell('random', 42, 0.1, 'uncased'),
      cell('pretrained', 42, 0.5),
      cell('pretrained', 1, 0.6),
      cell('random', 42, 0.4),
      cell('random', 1, 0.4),
      cell('baseline', 42, 0.3),
      cell('baseline', 1, 0.3),
    ]);
    expect(table).toContain('| NER (CoNLL-2003), entity F1 | 10 % (1404) | 2 | 55.0 ± 7.1 | 40.0 ± 0.0 | 30.0 ± 0.0 | 15.0 |');
  });

  it("adds the build's whole-training-set row from a shipped model's metrics.json, QA's points read as 0–1", () => {
    const models = mkdtempSync(join(tmpdir(), 'berth-curve-models-'));
    try {
      mkdirSync(join(models, 'berth-mini-qa'));
      writeFileSync(
        join(models, 'berth-mini-qa', 'metrics.json'),
        JSON.stringify({
          fine_tuning: { data: { train_examples: 7732 } },
          comparison: {
            a_pretrained_fine_tuned: { exact_match: 3.5, f1: 11.5 },
            b_random_init_same_budget: { exact_match: 2.4, f1: 7.5 },
            c_baseline: { exactMatch: 11.5, f1: 24.1 },
          },
        }),
      );
      const full = buildRows(models);
      expect(Object.keys(full)).toEqual(['qa']);
      expect(full.qa?.rows).toBe(7732);
      expect(full.qa?.pretrained).toBeCloseTo(0.115, 12);
      expect(full.qa?.random).toBeCloseTo(0.075, 12);
      expect(full.qa?.baseline).toBeCloseTo(0.241, 12);
      expect(render([], full)).toContain('| QA (SQuAD 1.1), F1 | 100 % (7732) | 1, *build* | 11.5 | 7.5 | 24.1 | 4.0 |');
    } finally {
      rmSync(models, { recursive: true, force: true });
    }
  });
});
