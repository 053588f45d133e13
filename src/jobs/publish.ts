import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceApi, ModelRepositoryApi, TextInput } from '../serving/contracts';
import { readClassificationDataset } from '../trainer/data';
import { accuracy } from '../trainer/evaluation';
import { TRAIN_DEFAULTS } from '../trainer/options';
import { holdOut } from '../trainer/task-data';
import type { StoredJob } from '../store';
import type { TrainMetricsFile } from '../trainer/train';
import type { JobLogger, PublishResult, Publisher } from './job-runner';

/**
 * Publishing a finished job: its output becomes the next version of the target model (written
 * atomically by the repository), with the job id recorded in metrics.json. With auto_activate the
 * version goes live only if its validation score is at least the active version's (recorded in
 * that version's metrics.json), it loads, and it answers golden inputs sanely; otherwise the
 * active version keeps serving. Every decision is logged as a job event.
 */
export function repositoryPublisher(
  repository: () => ModelRepositoryApi & InferenceApi,
  filePath: (id: string) => Promise<string | undefined>,
): Publisher {
  return async (job, outcome, log) => {
    const core = repository();
    const metricsFile = join(outcome.outDir, 'metrics.json');
    const metrics = JSON.parse(readFileSync(metricsFile, 'utf8')) as TrainMetricsFile & Record<string, unknown>;
    writeFileSync(metricsFile, `${JSON.stringify({ ...metrics, job_id: job.id, base_model: job.model }, null, 2)}\n`);

    let info;
    try {
      info = await core.importVersion(job.targetModel, outcome.outDir);
    } catch (e) {
      throw Object.assign(e instanceof Error ? e : new Error(String(e)), { publishing: true });
    }
    await log('info', `Registered version ${info.version} of model ${job.targetModel}`, { model: job.targetModel, version: info.version });
    const result = (activated: boolean, reason: string): PublishResult => ({
      fineTunedModel: job.targetModel,
      version: info.version,
      activated,
      reason,
    });

    const model = core.get(job.targetModel);
    if (model.active_version === info.version) {
      // A new model (named by the suffix) serves its first version at once.
      await log('info', `Model ${job.targetModel} is new; version ${info.version} serves it`);
      return result(true, 'first version of a new model');
    }
    if (!job.autoActivate) {
      await log(
        'info',
        `Version ${info.version} was not activated (auto_activate is off); activate it with POST /v1/models/${job.targetModel}/versions/${info.version}/activate`,
      );
      return result(false, 'auto_activate is off');
    }
    let activeScore: { score: number; name: string } | undefined;
    try {
      activeScore = await measureActive(core, job, filePath);
    } catch (e) {
      await log('warn', `Not activated: the active version could not be scored on the validation rows: ${(e as Error).message}`);
      return result(false, 'the active version could not be scored');
    }
    const decision = activeScore
      ? compareMeasured(outcome.metrics, activeScore, model.active_version)
      : compareScores(outcome.metrics, model.versions.find((v) => v.version === model.active_version)?.metrics, model.active_version);
    if (!decision.ok) {
      await log('warn', `Not activated: ${decision.reason}; version ${model.active_version} keeps serving`, { reason: decision.reason });
      return result(false, decision.reason);
    }
    const previous = model.active_version;
    try {
      await core.activate(job.targetModel, info.version);
    } catch (e) {
      const reason = `version ${info.version} failed to load: ${(e as Error).message}`;
      await log('warn', `Not activated: ${reason}; version ${previous} keeps serving`, { reason });
      return result(false, reason);
    }
    const golden = await goldenCheck(core, job, model.labels);
    if (!golden.ok) {
      await core.activate(job.targetModel, previous);
      const reason = `golden check failed: ${golden.reason}`;
      await log('warn', `Rolled back to version ${previous}: ${reason}`, { reason });
      return result(false, reason);
    }
    const reason = `${decision.reason}; golden inputs answered sanely`;
    await log('info', `Activated version ${info.version} of ${job.targetModel} (was ${previous}): ${reason}`, {
      from: previous,
      to: info.version,
      reason,
    });
    return result(true, reason);
  };
}

function selectedScore(metrics: unknown): { score: number; name: string } | undefined {
  const selected = (metrics as { selected?: { metrics?: { score?: unknown; scoreName?: unknown } } } | undefined)?.selected?.metrics;
  return typeof selected?.score === 'number' && typeof selected.scoreName === 'string'
    ? { score: selected.score, name: selected.scoreName }
    : undefined;
}

/**
 * The active version's accuracy on this job's validation rows (the validation file, or the same
 * seeded hold-out the trainer used), served by the live model: a like-for-like comparison.
 * Classification and NLI only; other tasks return undefined.
 */
async function measureActive(
  core: InferenceApi,
  job: StoredJob,
  filePath: (id: string) => Promise<string | undefined>,
): Promise<{ score: number; name: string } | undefined> {
  if (job.task !== 'classification' && job.task !== 'nli') return undefined;
  const path = await filePath(job.validationFile ?? job.trainingFile);
  if (!path) throw new Error('the validation data is gone');
  const options = (job.hyperparameters.options ?? {}) as { validationSplit?: number };
  let rows = (await readClassificationDataset(path)).examples;
  if (job.validationFile === null) {
    const split = holdOut(rows.length, options.validationSplit ?? TRAIN_DEFAULTS.validationSplit, job.seed);
    rows = split.validation.map((i) => rows[i]);
  }
  const gold: number[] = [];
  const predicted: number[] = [];
  const CHUNK = 16;
  for (let from = 0; from < rows.length; from += CHUNK) {
    const part = rows.slice(from, from + CHUNK);
    const inputs: TextInput[] = part.map((r) => (r.textPair === undefined ? r.text : { text: r.text, text_pair: r.textPair }));
    const served = await core.classify(job.model, inputs, { top_k: 1 });
    served.result.forEach((item, i) => {
      gold.push(1);
      predicted.push(item.labels[0]?.label === part[i].label ? 1 : 0);
    });
  }
  return { score: accuracy(gold, predicted), name: 'accuracy' };
}

function compareMeasured(
  fresh: TrainMetricsFile,
  active: { score: number; name: string },
  activeVersion: number,
): { ok: boolean; reason: string } {
  const mine = selectedScore(fresh);
  if (!mine) return { ok: false, reason: 'the new version has no validation score' };
  if (mine.name !== active.name) return { ok: false, reason: `the new version was scored by ${mine.name}, not ${active.name}` };
  if (mine.score < active.score) {
    return {
      ok: false,
      reason: `${mine.name} ${mine.score.toFixed(4)} on the validation rows is below version ${activeVersion}'s ${active.score.toFixed(4)}`,
    };
  }
  return {
    ok: true,
    reason: `${mine.name} ${mine.score.toFixed(4)} on the validation rows ≥ version ${activeVersion}'s ${active.score.toFixed(4)}`,
  };
}

/**
 * For tasks scored only by the trainer (NER, QA): the new version's validation score against the
 * active one's recorded score, only when both were measured on the same validation data.
 */
export function compareScores(
  fresh: TrainMetricsFile,
  active: Record<string, unknown> | undefined,
  activeVersion: number,
): { ok: boolean; reason: string } {
  const mine = selectedScore(fresh);
  if (!mine) return { ok: false, reason: 'the new version has no validation score' };
  const theirs = selectedScore(active);
  const sameData = (active as { data?: { validation?: unknown } } | undefined)?.data?.validation === fresh.data?.validation;
  if (theirs && !sameData)
    return { ok: false, reason: `version ${activeVersion} was scored on different validation data; activate by hand after comparing` };
  if (!theirs) {
    // The active version has no recorded score on any validation set (an embedded or imported
    // model): there is nothing to beat, so the new version's own validation run is the evidence.
    return { ok: true, reason: `${mine.name} ${mine.score.toFixed(4)}; version ${activeVersion} recorded no validation score` };
  }
  if (theirs.name !== mine.name) return { ok: false, reason: `the active version was scored by ${theirs.name}, this one by ${mine.name}` };
  if (mine.score < theirs.score)
    return { ok: false, reason: `${mine.name} ${mine.score.toFixed(4)} is below the active version's ${theirs.score.toFixed(4)}` };
  return { ok: true, reason: `${mine.name} ${mine.score.toFixed(4)} ≥ active version's ${theirs.score.toFixed(4)}` };
}

const GOLDEN_TEXT = 'The service was quick and the staff were friendly.';

/** A few fixed inputs through the live version: finite scores, labels the model declares. */
async function goldenCheck(core: InferenceApi, job: StoredJob, labels: string[]): Promise<{ ok: boolean; reason: string }> {
  try {
    if (job.task === 'classification' || job.task === 'nli') {
      const input = job.task === 'nli' ? { text: GOLDEN_TEXT, text_pair: 'The staff were friendly.' } : GOLDEN_TEXT;
      const served = await core.classify(job.targetModel, [input], { top_k: null });
      const scores = served.result[0].labels;
      if (!scores.every((l) => Number.isFinite(l.score) && labels.includes(l.label)))
        return { ok: false, reason: 'non-finite score or unknown label' };
      const total = scores.reduce((s, l) => s + l.score, 0);
      if (Math.abs(total - 1) > 1e-3) return { ok: false, reason: `scores sum to ${total}, not 1` };
    } else if (job.task === 'ner') {
      const served = await core.ner(job.targetModel, [GOLDEN_TEXT], { aggregation_strategy: 'none' });
      if (!served.result[0].every((e) => Number.isFinite(e.score) && e.entity !== undefined && labels.includes(e.entity))) {
        return { ok: false, reason: 'non-finite score or unknown tag' };
      }
    } else if (job.task === 'qa') {
      const served = await core.qa(job.targetModel, [{ question: 'Who was friendly?', context: GOLDEN_TEXT }], {});
      const a = served.result[0][0];
      if (!a || !Number.isFinite(a.score) || GOLDEN_TEXT.slice(a.start, a.end) !== a.answer)
        return { ok: false, reason: 'answer span does not match its text' };
    }
    return { ok: true, reason: 'ok' };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

export type { JobLogger };
