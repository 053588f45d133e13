/**
 * The scores a version's metrics.json records, whichever writer made it: a fine-tuning run
 * (`selected.metrics`, with the `baseline` it started from), the default models' build (`dev`),
 * or a pre-training run (`pretraining.validation`).
 */
export interface Scores {
  /** The headline: the task's score (accuracy, entity F1, SQuAD F1) or perplexity. */
  name: string;
  value: number;
  /** Every numeric metric, for the details. */
  all: Record<string, number>;
}

function numbers(o: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && k !== 'score') out[k] = v;
  return out;
}

function fromMetrics(m: unknown): Scores | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const r = m as Record<string, unknown>;
  if (typeof r.score === 'number') return { name: String(r.scoreName ?? 'score'), value: r.score, all: numbers(r) };
  return undefined;
}

export function scoresOf(metrics: Record<string, unknown> | undefined): Scores | undefined {
  if (!metrics) return undefined;
  const selected = (metrics.selected as { metrics?: unknown } | undefined)?.metrics;
  const dev = (metrics.dev as { float32?: unknown } | undefined)?.float32 ?? metrics.dev;
  const found = fromMetrics(selected) ?? fromMetrics(dev);
  if (found) return found;
  const validation = (metrics.pretraining as { validation?: Record<string, unknown> } | undefined)?.validation;
  if (validation && typeof validation.perplexity === 'number')
    return { name: 'perplexity', value: validation.perplexity, all: numbers(validation) };
  return undefined;
}

/** The starting model's score on the same validation rows, recorded by fine-tuning runs. */
export function baselineOf(metrics: Record<string, unknown> | undefined): Scores | undefined {
  return fromMetrics(metrics?.baseline);
}

export function formatScore(s: Scores | undefined): string {
  if (!s) return '—';
  return `${s.name} ${s.value >= 2 ? s.value.toFixed(2) : s.value.toFixed(4)}`;
}
