import type { TrainEvent } from '../trainer/train';

/** How many step events are persisted for a run (the job's progress field always has the latest). */
const STEP_EVENTS = 100;

/** Where a run's reports go: the job runner, which stores them as job events, progress and checkpoints. */
export interface ProgressSink {
  log(
    jobId: string,
    level: 'info' | 'warn' | 'error',
    message: string,
    data?: Record<string, unknown> | null,
    type?: 'message' | 'metrics',
  ): Promise<void>;
  progress(jobId: string, progress: Record<string, unknown>): Promise<void>;
  step(jobId: string, step: Extract<TrainEvent, { type: 'step' }>): Promise<void>;
  checkpoint(jobId: string, event: Extract<TrainEvent, { type: 'eval' }>): Promise<void>;
}

/**
 * Turns trainer events into job events, progress and checkpoints. The trainer reports without
 * waiting, so each report is stored after the one before it: events keep the trainer's order.
 */
export class ProgressReporter {
  private every = 1;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly runner: ProgressSink,
    private readonly jobId: string,
  ) {}

  on(event: TrainEvent): void {
    this.chain = this.chain.then(() => this.store(event));
    // A report that fails stops the later ones; the run sees it in `settled()`.
    this.chain.catch(() => undefined);
  }

  /** Resolves once every report so far is stored; rejects with the first one that failed. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async store(event: TrainEvent): Promise<void> {
    switch (event.type) {
      case 'start':
        this.every = Math.max(1, Math.ceil(event.totalSteps / STEP_EVENTS));
        await this.runner.log(
          this.jobId,
          'info',
          `Training ${event.trainExamples} examples for ${event.epochs} epochs (${event.totalSteps} steps); validating on ${event.validationExamples} (${event.validation})`,
          {
            total_steps: event.totalSteps,
            epochs: event.epochs,
            train_examples: event.trainExamples,
            validation_examples: event.validationExamples,
            trainable_parameters: event.trainable,
          },
        );
        await this.runner.progress(this.jobId, { step: 0, total_steps: event.totalSteps, epoch: 0 });
        return;
      case 'step': {
        const perStep = event.elapsedSeconds / event.step;
        const eta = Math.max(0, Math.round(perStep * (event.totalSteps - event.step)));
        const data = {
          step: event.step,
          total_steps: event.totalSteps,
          epoch: event.epoch,
          train_loss: event.loss,
          learning_rate: event.learningRate,
          examples_per_second: event.examplesPerSecond,
          eta_seconds: eta,
        };
        await this.runner.progress(this.jobId, data);
        await this.runner.step(this.jobId, event);
        if (event.step % this.every === 0 || event.step === event.totalSteps) {
          await this.runner.log(
            this.jobId,
            'info',
            `Step ${event.step}/${event.totalSteps}: training loss=${event.loss.toFixed(4)}`,
            data,
            'metrics',
          );
        }
        return;
      }
      case 'eval': {
        await this.runner.checkpoint(this.jobId, event);
        const m = event.metrics;
        await this.runner.log(
          this.jobId,
          'info',
          `Epoch ${event.epoch} evaluation: ${m.scoreName}=${Number(m.score).toFixed(4)}, validation loss=${Number(m.loss).toFixed(4)}${event.best ? ' (best so far)' : ''}`,
          { step: event.step, epoch: event.epoch, ...m, best: event.best },
          'metrics',
        );
        return;
      }
      case 'trial': {
        const result = event.diverged
          ? 'diverged'
          : `${event.scoreName}=${event.score.toFixed(4)}, validation loss=${event.loss.toFixed(4)}`;
        await this.runner.log(
          this.jobId,
          'info',
          `Learning-rate trial ${event.trial}/${event.trials}: ${event.learningRate} → ${result}`,
          {
            trial: event.trial,
            trials: event.trials,
            learning_rate: event.learningRate,
            score: event.diverged ? null : event.score,
            score_name: event.scoreName,
            loss: event.diverged ? null : event.loss,
            diverged: event.diverged,
          },
          'metrics',
        );
        return;
      }
      case 'sweep':
        await this.runner.log(
          this.jobId,
          'info',
          `Learning rate ${event.learningRate} chosen (${event.scoreName}=${event.score.toFixed(4)}); training the full run`,
          { learning_rate: event.learningRate, score: event.score, score_name: event.scoreName },
        );
        return;
      case 'early-stop':
        await this.runner.log(
          this.jobId,
          'info',
          `Stopping early after epoch ${event.epoch}: no better validation score since epoch ${event.bestEpoch} (patience ${event.patience})`,
          { epoch: event.epoch, best_epoch: event.bestEpoch, patience: event.patience },
        );
        return;
      case 'done':
        await this.runner.log(
          this.jobId,
          'info',
          `Training finished in ${event.wallSeconds.toFixed(1)} s; keeping epoch ${event.selectedEpoch}`,
        );
    }
  }
}
