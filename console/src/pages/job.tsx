import { useEffect, useState } from 'preact/hooks';
import { get, Job, JobEvent, JobStatus, Model, post, stream, WhoAmI } from '../api';
import { Chart } from '../components/chart';
import { ADMIN_ONLY, ConfirmButton, ErrorBox, formatDuration, formatTime } from '../components/common';
import { baselineOf, formatScore, scoresOf, type Scores } from '../scores';

const FINAL: JobStatus[] = ['succeeded', 'failed', 'cancelled'];
const TIMELINE: JobStatus[] = ['validating_files', 'queued', 'running'];

interface Curves {
  steps: number[];
  loss: number[];
  lr: number[];
  epochs: number[];
  validation: number[];
  metric: string;
}

/** Folds the job's events (replayed oldest first by the stream, then live) into the chart series. */
function curvesOf(events: JobEvent[]): Curves {
  const c: Curves = { steps: [], loss: [], lr: [], epochs: [], validation: [], metric: 'score' };
  for (const e of events) {
    const d = e.data;
    if (e.type !== 'metrics' || !d) continue;
    if (typeof d.train_loss === 'number' && typeof d.step === 'number') {
      c.steps.push(d.step);
      c.loss.push(d.train_loss);
      c.lr.push(typeof d.learning_rate === 'number' ? d.learning_rate : NaN);
    } else if (typeof d.score === 'number' && typeof d.epoch === 'number') {
      c.epochs.push(d.epoch);
      c.validation.push(d.score);
      c.metric = String(d.scoreName ?? 'score');
    }
  }
  return c;
}

export function JobPage({ id, who }: { id: string; who: WhoAmI }) {
  const [job, setJob] = useState<Job | undefined>();
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [error, setError] = useState<unknown>();
  const [answer, setAnswer] = useState<string | undefined>();

  // The event stream replays every stored event, then follows the job until it ends: a reload resumes the charts.
  useEffect(() => {
    const abort = new AbortController();
    const seen = new Set<string>();
    setEvents([]);
    stream(
      `/v1/fine_tuning/jobs/${id}/events?stream=true`,
      (data) => {
        const e = data as JobEvent;
        if (seen.has(e.id)) return;
        seen.add(e.id);
        setEvents((all) => [...all, e]);
      },
      abort.signal,
    ).catch((e: unknown) => !abort.signal.aborted && setError(e));
    return () => abort.abort();
  }, [id]);

  // The job record (status, progress, ETA, result): on each new event, and every 2 s while it runs.
  useEffect(() => {
    get<Job>(`/v1/fine_tuning/jobs/${id}`).then(setJob, setError);
  }, [id, events.length]);
  useEffect(() => {
    if (job && FINAL.includes(job.status)) return;
    const timer = setInterval(() => get<Job>(`/v1/fine_tuning/jobs/${id}`).then(setJob, () => undefined), 2000);
    return () => clearInterval(timer);
  }, [id, job?.status]);

  if (!job) return error ? <ErrorBox error={error} /> : <p>Loading…</p>;
  const curves = curvesOf(events);
  const progress = job.berth.progress;
  const done = FINAL.includes(job.status);
  const fraction = done && job.status === 'succeeded' ? 1 : progress?.total_steps ? (progress.step ?? 0) / progress.total_steps : 0;

  return (
    <>
      <h1>
        Job <code>{job.id}</code>
      </h1>
      <p class="meta">
        {String(job.method.type)} on {job.model} · created {formatTime(job.created_at)} · training file <code>{job.training_file}</code>
      </p>
      <ol class="timeline" aria-label="Status" data-testid="job-status" data-status={job.status}>
        {[...TIMELINE, done ? job.status : 'succeeded'].map((s) => {
          const reached = TIMELINE.indexOf(job.status) >= TIMELINE.indexOf(s) || done;
          return (
            <li
              key={s}
              class={`${reached ? 'reached' : ''} ${s === job.status ? 'current status-' + s : ''}`}
              aria-current={s === job.status ? 'step' : undefined}
            >
              {s.replace('_', ' ')}
            </li>
          );
        })}
      </ol>
      {job.error && (
        <p class="error" role="alert">
          {job.error.code}: {job.error.message}
        </p>
      )}
      <section class="card" aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        <label for="job-progress">
          Step {progress?.step ?? 0} of {progress?.total_steps ?? '?'}
          {progress?.epoch ? `, epoch ${progress.epoch}` : ''}
          {job.status === 'running' && progress?.eta_seconds !== undefined ? ` · about ${formatDuration(progress.eta_seconds)} left` : ''}
        </label>
        <progress id="job-progress" max={1} value={fraction} />
        {!done && (
          <ConfirmButton
            label="Cancel the job"
            question="Cancel this job? A running job stops at its next step and leaves no version."
            disabled={!who.can_administer}
            reason={ADMIN_ONLY}
            onConfirm={() => post<Job>(`/v1/fine_tuning/jobs/${id}/cancel`).then(setJob, setError)}
          />
        )}
      </section>
      <div class="charts">
        <Chart
          title="Training loss"
          xLabel="step"
          x={curves.steps}
          series={[{ label: 'loss', values: curves.loss, color: '#d4553b' }]}
          testId="loss-chart"
        />
        <Chart
          title="Learning rate"
          xLabel="step"
          x={curves.steps}
          series={[{ label: 'learning rate', values: curves.lr, color: '#3b6fd4' }]}
          testId="lr-chart"
          yFormat={(v) => v.toExponential(1)}
        />
        <Chart
          title={`Validation ${curves.metric} per epoch`}
          xLabel="epoch"
          x={curves.epochs}
          series={[{ label: curves.metric, values: curves.validation, color: '#2f9e5a' }]}
          testId="validation-chart"
        />
      </div>
      {job.status === 'succeeded' && <Outcome job={job} who={who} onAnswer={setAnswer} />}
      <div role="status" aria-live="polite" data-testid="job-answer">
        {answer}
      </div>
      <ErrorBox error={error} />
      <section class="card" aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        {/* Focusable: the log scrolls, and keyboard users must be able to scroll it. */}
        <ol class="events" data-testid="events-log" tabIndex={0} aria-labelledby="events-title">
          {events.map((e) => (
            <li key={e.id} class={`level-${e.level}`}>
              <time>{formatTime(e.created_at)}</time> <span class="level">{e.level}</span> {e.message}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

/** The new version's scores against the active version's, and the button that promotes it. */
function Outcome({ job, who, onAnswer }: { job: Job; who: WhoAmI; onAnswer: (text: string) => void }) {
  const name = job.fine_tuned_model ?? job.model;
  const version = job.berth.version ?? undefined;
  const [model, setModel] = useState<Model | undefined>();
  const load = (): void => void get<Model>(`/v1/models/${encodeURIComponent(name)}`).then(setModel, () => undefined);
  useEffect(load, [name]);
  if (!model || version === undefined) return null;
  const mine = model.versions.find((v) => v.version === version);
  const active = model.versions.find((v) => v.version === model.active_version);
  const ours: Scores | undefined = scoresOf(mine?.metrics);
  // Prefer what this job measured for its starting model on the same validation rows; a version's own
  // metrics.json was scored on other data, so it is shown as that.
  const baseline = active === mine ? undefined : baselineOf(mine?.metrics);
  const recorded = active === mine ? undefined : scoresOf(active?.metrics);
  const theirs: Scores | undefined = baseline ?? recorded;
  const how = baseline
    ? 'scored by this job on the same validation rows before training'
    : recorded
      ? 'its own metrics.json, other data'
      : '';
  return (
    <section class="card" aria-labelledby="outcome-title" data-testid="job-outcome">
      <h2 id="outcome-title">Result</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Score</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">
              {name} v{version} (this job)
            </th>
            <td>{formatScore(ours)}</td>
          </tr>
          {active && active !== mine && (
            <tr>
              <th scope="row">
                {name} v{active.version} (active{how ? `; ${how}` : ''})
              </th>
              <td>{formatScore(theirs)}</td>
            </tr>
          )}
        </tbody>
      </table>
      {job.berth.result?.activation && <p class="hint">Activation: {job.berth.result.activation}</p>}
      {model.active_version === version ? (
        <p class="notice" data-testid="promoted">
          Version {version} is serving {name}.
        </p>
      ) : (
        <ConfirmButton
          class="primary"
          label={`Promote v${version}`}
          question={`Activate version ${version} of ${name}? It is loaded and warmed beside v${model.active_version}, then swapped in.`}
          disabled={!who.can_administer}
          reason={ADMIN_ONLY}
          onConfirm={() =>
            post<Model>(`/v1/models/${encodeURIComponent(name)}/versions/${version}/activate`).then(
              (m) => (onAnswer(`Activated: ${m.name} now serves version ${m.active_version}.`), setModel(m)),
              (e: Error) => onAnswer(`Activation failed: ${e.message}`),
            )
          }
        />
      )}
    </section>
  );
}
