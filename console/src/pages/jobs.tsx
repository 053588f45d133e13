import { useState } from 'preact/hooks';
import { get, Job, JobStatus, WhoAmI } from '../api';
import { ADMIN_ONLY, ErrorBox, formatTime, useLoad } from '../components/common';

const STATUSES: JobStatus[] = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** Every job, newest first, filtered by status. */
export function JobsPage({ who }: { who: WhoAmI }) {
  const jobs = useLoad(() => (who.can_administer ? get<{ data: Job[] }>('/v1/fine_tuning/jobs?limit=100') : Promise.resolve({ data: [] })));
  const [shown, setShown] = useState<Set<JobStatus>>(new Set(STATUSES));
  const toggle = (s: JobStatus): void => {
    const next = new Set(shown);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setShown(next);
  };
  const rows = jobs.data?.data.filter((j) => shown.has(j.status)) ?? [];
  return (
    <>
      <h1>Fine-tuning</h1>
      {who.can_administer ? (
        <a class="button primary" href="#/jobs/new">
          New job
        </a>
      ) : (
        <p class="denied" data-testid="job-denied">
          {ADMIN_ONLY} Jobs can be neither listed nor started.
        </p>
      )}
      <fieldset class="filters">
        <legend>Show jobs that are</legend>
        {STATUSES.map((s) => (
          <label class="check" key={s}>
            <input type="checkbox" checked={shown.has(s)} onChange={() => toggle(s)} /> {s.replace('_', ' ')}
          </label>
        ))}
      </fieldset>
      <ErrorBox error={jobs.error} />
      <div class="table-wrap">
        <table data-testid="jobs-table">
          <caption class="sr-only">Jobs</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Status</th>
              <th scope="col">Method</th>
              <th scope="col">Base model</th>
              <th scope="col">Result</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((j) => (
              <tr key={j.id}>
                <td>
                  <a href={`#/jobs/${j.id}`}>{j.id}</a>
                </td>
                <td>
                  <span class={`badge status-${j.status}`}>{j.status}</span>
                </td>
                <td>{String(j.method.type)}</td>
                <td>{j.model}</td>
                <td>{j.fine_tuned_model ? `${j.fine_tuned_model} v${j.berth.version ?? '?'}` : '—'}</td>
                <td>{formatTime(j.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {jobs.data && rows.length === 0 && <p>No jobs to show.</p>}
    </>
  );
}
