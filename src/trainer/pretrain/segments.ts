import { EncoderConfig } from '../../engine/formats/config';
import { PretrainingHeads } from '../../engine/nn/pretraining';
import { TensorF32 } from '../../engine/formats/safetensors';
import { buildEvalGraph, buildTrainingGraph } from '../../engine/training';
import { TrainingSession } from '../../runtime/training-session';

/** Parameters and AdamW moments of a run, by parameter name. */
export interface Snapshot {
  readonly params: Map<string, TensorF32>;
  readonly expAvg: Map<string, TensorF32>;
  readonly expAvgSq: Map<string, TensorF32>;
}

export type Moments = Pick<Snapshot, 'expAvg' | 'expAvgSq'>;

export function captureState(session: TrainingSession): Snapshot {
  const s = session.state;
  const params = s.snapshot();
  const expAvg = new Map<string, TensorF32>();
  const expAvgSq = new Map<string, TensorF32>();
  for (const name of s.names) {
    const shape = params.get(name)?.shape ?? [];
    expAvg.set(name, { shape: [...shape], data: Float32Array.from(s.expAvg(name)) });
    expAvgSq.set(name, { shape: [...shape], data: Float32Array.from(s.expAvgSq(name)) });
  }
  return { params, expAvg, expAvgSq };
}

export interface SegmentSettings {
  readonly config: EncoderConfig;
  /** Heads trained beside masked-LM (NSP, SOP, SBO). */
  readonly pretraining: PretrainingHeads;
  /** Steps per segment (0: one segment for the whole run). */
  readonly checkpointEvery: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  readonly threads?: number;
  /** The Dropout base seed of a segment. */
  readonly dropoutSeed: (segment: number) => number;
}

/**
 * The run's ONNX Runtime sessions, one per segment of `checkpointEvery` steps. Dropout's stream
 * lives inside a session and cannot be saved, so each segment starts a fresh session at the
 * current state with its Dropout nodes seeded for the segment: a resumed run replays the same
 * computation as an uninterrupted one.
 */
export class SegmentedSessions {
  private session: TrainingSession | undefined;
  private segment = -1;

  constructor(
    private readonly settings: SegmentSettings,
    private params: Map<string, TensorF32>,
    private moments: Moments | undefined,
  ) {}

  /** The session for `step`: the open one while `step` is in its segment, else a fresh one. */
  async at(step: number): Promise<TrainingSession> {
    return this.session && this.segmentOf(step) === this.segment ? this.session : this.open(step);
  }

  /** The session last opened, or one opened at `step` when there is none yet. */
  async current(step: number): Promise<TrainingSession> {
    return this.session ?? this.open(step);
  }

  async release(): Promise<void> {
    await this.session?.release();
  }

  private segmentOf(step: number): number {
    return this.settings.checkpointEvery > 0 ? Math.floor(step / this.settings.checkpointEvery) : 0;
  }

  /** Opens the segment holding `step`: a fresh session at the current state, dropout seeded for the segment. */
  private async open(step: number): Promise<TrainingSession> {
    if (this.session) {
      const state = captureState(this.session);
      this.params = state.params;
      this.moments = { expAvg: state.expAvg, expAvgSq: state.expAvgSq };
      await this.session.release();
      this.session = undefined;
    }
    this.segment = this.segmentOf(step);
    const { config, weightDecay, maxGradNorm, threads } = this.settings;
    const spec = {
      config,
      weights: this.params,
      head: 'masked-lm' as const,
      maskedPositionsOnly: true,
      pretraining: this.settings.pretraining,
      optimizer: { weightDecay, maxGradNorm },
      dropoutSeed: this.settings.dropoutSeed(this.segment),
    };
    const opened = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec), intraOpThreads: threads });
    opened.state.load(this.params, this.moments, step);
    this.session = opened;
    return opened;
  }
}
