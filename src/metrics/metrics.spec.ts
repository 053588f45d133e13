import type { FineTuningObserver } from '../jobs/job-runner';
import type { LifecycleEvent, ServingObserver } from '../serving/contracts';
import { JOB_STATUSES, type JobStatus } from '../store/job-repository';
import { BerthMetrics, JOB_STATUS_LABELS, type JobStatusLabel, type LifecycleEventLabel, type RejectionLabel } from './metrics';

/** True when A and B are the same union (checked by the compiler: `npm run lint`). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('BerthMetrics against the interfaces it serves', () => {
  it('states the same label values as the domain', () => {
    expect(JOB_STATUS_LABELS).toEqual(JOB_STATUSES);
    const statuses: Same<JobStatusLabel, JobStatus> = true;
    const lifecycle: Same<LifecycleEventLabel, LifecycleEvent> = true;
    const rejections: Same<RejectionLabel, Parameters<ServingObserver['rejected']>[1]> = true;
    expect([statuses, lifecycle, rejections]).toEqual([true, true, true]);
  });

  it('is a ServingObserver and a FineTuningObserver', () => {
    const metrics = new BerthMetrics({ processMetrics: false });
    const observers: [ServingObserver, FineTuningObserver] = [metrics, metrics];
    expect(observers).toHaveLength(2);
  });
});

/** The value of `name{labels}` in Prometheus text, or undefined when the series is absent. */
async function sample(metrics: BerthMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const { text } = await metrics.render();
  const selector = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && selector.every((s) => l.includes(s)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const STEP = { loss: 0.75, learningRate: 2e-5, examplesPerSecond: 12.5 };

describe('BerthMetrics as the fine-tuning observer', () => {
  it('exports every job status from the start, then the counts it is given', async () => {
    const m = new BerthMetrics({ processMetrics: false });
    expect(await sample(m, 'berth_fine_tuning_jobs', { status: 'queued' })).toBe(0);
    expect(await sample(m, 'berth_fine_tuning_jobs', { status: 'cancelled' })).toBe(0);
    m.jobCounts({ validating_files: 0, queued: 2, running: 1, succeeded: 5, failed: 1, cancelled: 0 });
    expect(await sample(m, 'berth_fine_tuning_jobs', { status: 'queued' })).toBe(2);
    expect(await sample(m, 'berth_fine_tuning_jobs', { status: 'running' })).toBe(1);
    expect(await sample(m, 'berth_fine_tuning_jobs', { status: 'succeeded' })).toBe(5);
    m.jobCounts({ validating_files: 0, queued: 1, running: 1, succeeded: 6, failed: 1, cancelled: 0 });
    expect(await sample(m, 'berth_fine_tuning_jobs', { status: 'queued' })).toBe(1);
  });

  it('counts steps per model and method and keeps the latest loss, learning rate and throughput per job', async () => {
    const m = new BerthMetrics({ processMetrics: false });
    const job = { id: 'ftjob-a', model: 'sentiment', method: 'lora' };
    m.trainingStep(job, { step: 1, ...STEP });
    m.trainingStep(job, { step: 2, loss: 0.5, learningRate: 1e-5, examplesPerSecond: 20 });
    m.trainingStep({ id: 'ftjob-b', model: 'sentiment', method: 'full' }, { step: 1, ...STEP });
    expect(await sample(m, 'berth_training_steps_total', { model: 'sentiment', method: 'lora' })).toBe(2);
    expect(await sample(m, 'berth_training_steps_total', { model: 'sentiment', method: 'full' })).toBe(1);
    expect(await sample(m, 'berth_training_loss', { job: 'ftjob-a', model: 'sentiment' })).toBe(0.5);
    expect(await sample(m, 'berth_training_learning_rate', { job: 'ftjob-a' })).toBe(1e-5);
    expect(await sample(m, 'berth_training_examples_per_second', { job: 'ftjob-a' })).toBe(20);
    expect(await sample(m, 'berth_training_loss', { job: 'ftjob-b' })).toBe(0.75);
  });

  it('drops the per-job series of old jobs, so many jobs do not grow the exposition without bound', async () => {
    const m = new BerthMetrics({ processMetrics: false });
    for (let i = 0; i < 20; i++) m.trainingStep({ id: `ftjob-${i}`, model: 'm', method: 'head' }, { step: 1, ...STEP });
    const { text } = await m.render();
    const lossSeries = text.split('\n').filter((l) => l.startsWith('berth_training_loss{'));
    expect(lossSeries).toHaveLength(8);
    expect(await sample(m, 'berth_training_loss', { job: 'ftjob-0' })).toBeUndefined();
    expect(await sample(m, 'berth_training_loss', { job: 'ftjob-19' })).toBe(0.75);
    // The step counter is per model and method, not per job.
    expect(await sample(m, 'berth_training_steps_total', { model: 'm', method: 'head' })).toBe(20);
  });
});
