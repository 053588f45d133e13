/**
 * A job request in OpenAI's words resolved into the trainer's: the method type, its
 * hyperparameters (OpenAI's n_epochs / batch_size / learning_rate_multiplier mapped), the seed.
 * Ranges are checked here by the trainer's own resolver, so a bad value is refused before queueing.
 */
import { InvalidInputError } from '../../errors/domain-error';
import { EngineError } from '../../engine/errors';
import { TRAIN_DEFAULTS, TRAIN_METHODS, TrainMethod, TrainOptionsInput, resolveTrainOptions } from '../../trainer/options';
import { AUTO_LEARNING_RATES } from '../../trainer/sweep';

/** The method types a job may name: the trainer's, and `distill` (a full fine-tune of a student learning from a teacher model). */
export const BERTH_METHODS = [...TRAIN_METHODS, 'distill'] as const;
export type JobMethod = (typeof BERTH_METHODS)[number];

export interface ResolvedMethod {
  method: JobMethod;
  /** `distill`: the teacher model's name (its active version teaches when the job runs). */
  teacher?: string;
  /** `distill`: an uploaded plain-text file the teacher labels for the student (a transfer set). */
  transferFile?: string;
  /** Trainer option names and values given by the request (defaults are left to the trainer). */
  options: Partial<TrainOptionsInput>;
  /** Everything the job object reports back, OpenAI names. */
  hyperparameters: Record<string, unknown>;
}

const KNOWN = new Set([
  'n_epochs',
  'epochs',
  'batch_size',
  'learning_rate_multiplier',
  'learning_rate',
  'warmup_ratio',
  'weight_decay',
  'max_seq_length',
  'validation_split',
  'lora_r',
  'lora_alpha',
  'lora_dropout',
  'lora_targets',
  'adapter_reduction',
  'prompt_tokens',
  'lr_scheduler',
  'patience',
]);

/** Hyperparameters only a `distill` method takes. */
const DISTILL_KNOWN = new Set(['student_layers', 'temperature', 'alpha']);

function bad(param: string, problem: string): InvalidInputError {
  return new InvalidInputError(`${param}: ${problem}`, { param });
}

function num(h: Record<string, unknown>, key: string, param: string): number | undefined {
  const v = h[key];
  if (v === undefined || v === null || v === 'auto') return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${param}.${key}`, `must be a number or "auto", got ${JSON.stringify(v)}`);
  return v;
}

export function resolveMethod(body: { method?: Record<string, unknown>; hyperparameters?: Record<string, unknown> }): ResolvedMethod {
  let type = 'full';
  let hyper: Record<string, unknown> = {};
  let param = 'hyperparameters';
  let teacher: unknown;
  let transferFile: unknown;
  if (body.method !== undefined) {
    const t = body.method.type;
    if (typeof t !== 'string') throw bad('method.type', `must be one of ${[...BERTH_METHODS, 'supervised'].join(', ')}`);
    if (t !== 'supervised' && !(BERTH_METHODS as readonly string[]).includes(t)) {
      throw bad('method.type', `"${t}" is not a method here; use one of ${[...BERTH_METHODS, 'supervised'].join(', ')}`);
    }
    for (const key of Object.keys(body.method)) {
      if (key !== 'type' && key !== t) throw bad(`method.${key}`, `unexpected key for method type "${t}"`);
    }
    const settings = body.method[t];
    if (settings !== undefined && (typeof settings !== 'object' || settings === null || Array.isArray(settings)))
      throw bad(`method.${t}`, 'must be an object');
    const h = (settings as { hyperparameters?: unknown } | undefined)?.hyperparameters;
    if (h !== undefined && (typeof h !== 'object' || h === null || Array.isArray(h)))
      throw bad(`method.${t}.hyperparameters`, 'must be an object');
    hyper = (h as Record<string, unknown> | undefined) ?? {};
    param = `method.${t}.hyperparameters`;
    if (t === 'distill') {
      teacher = (settings as { teacher?: unknown } | undefined)?.teacher;
      if (typeof teacher !== 'string' || teacher === '') throw bad('method.distill.teacher', 'must name the teacher model');
      for (const key of Object.keys(settings as object))
        if (key !== 'teacher' && key !== 'transfer_file' && key !== 'hyperparameters')
          throw bad(`method.distill.${key}`, 'unexpected key (teacher, transfer_file, hyperparameters)');
      transferFile = (settings as { transfer_file?: unknown }).transfer_file;
      if (transferFile !== undefined && (typeof transferFile !== 'string' || transferFile === ''))
        throw bad('method.distill.transfer_file', 'must be the id of an uploaded text file');
    }
    type = t === 'supervised' ? 'full' : t;
    if (body.hyperparameters !== undefined) throw bad('hyperparameters', 'give hyperparameters inside method, not both');
  } else if (body.hyperparameters !== undefined) {
    hyper = body.hyperparameters;
  }
  const known = type === 'distill' ? new Set([...KNOWN, ...DISTILL_KNOWN]) : KNOWN;
  for (const key of Object.keys(hyper))
    if (!known.has(key)) throw bad(`${param}.${key}`, `unknown hyperparameter (known: ${[...known].join(', ')})`);

  const epochs = num(hyper, 'n_epochs', param) ?? num(hyper, 'epochs', param);
  const batchSize = num(hyper, 'batch_size', param);
  // OpenAI's "auto" for the learning rate: a sweep picks it on validation (see trainer/sweep.ts).
  const sweep = hyper.learning_rate_multiplier === 'auto';
  const multiplier = sweep ? undefined : num(hyper, 'learning_rate_multiplier', param);
  const lr = num(hyper, 'learning_rate', param);
  if ((multiplier !== undefined || sweep) && lr !== undefined) throw bad(param, 'give learning_rate or learning_rate_multiplier, not both');
  const targets = hyper.lora_targets;
  if (targets !== undefined && !(Array.isArray(targets) && targets.every((t) => typeof t === 'string')))
    throw bad(`${param}.lora_targets`, 'must be an array of module names');
  const scheduler = hyper.lr_scheduler;
  if (scheduler !== undefined && typeof scheduler !== 'string') throw bad(`${param}.lr_scheduler`, 'must be a string');

  const distill = type === 'distill' ? { temperature: num(hyper, 'temperature', param), alpha: num(hyper, 'alpha', param) } : undefined;
  const options: Partial<TrainOptionsInput> = {
    method: (type === 'distill' ? 'full' : type) as TrainMethod,
    learningRates: sweep ? AUTO_LEARNING_RATES : undefined,
    patience: num(hyper, 'patience', param),
    studentLayers: type === 'distill' ? num(hyper, 'student_layers', param) : undefined,
    // The teacher's directory is its active version when the job runs (the runner fills it in).
    distill:
      distill &&
      (Object.fromEntries(Object.entries(distill).filter(([, v]) => v !== undefined)) as unknown as TrainOptionsInput['distill']),
    epochs,
    batchSize,
    learningRate: lr ?? (multiplier === undefined ? undefined : multiplier * TRAIN_DEFAULTS.learningRate),
    warmupRatio: num(hyper, 'warmup_ratio', param),
    weightDecay: num(hyper, 'weight_decay', param),
    maxSeqLength: num(hyper, 'max_seq_length', param),
    validationSplit: num(hyper, 'validation_split', param),
    adapterReduction: num(hyper, 'adapter_reduction', param),
    promptTokens: num(hyper, 'prompt_tokens', param),
    lrScheduler: scheduler as TrainOptionsInput['lrScheduler'],
    lora: {
      r: num(hyper, 'lora_r', param),
      alpha: num(hyper, 'lora_alpha', param),
      dropout: num(hyper, 'lora_dropout', param),
      targets: targets as string[] | undefined,
    },
  };
  // Drop what was not given, so the trainer's defaults apply (and stored jobs stay small).
  const lora = Object.fromEntries(Object.entries(options.lora ?? {}).filter(([, v]) => v !== undefined));
  const given = Object.fromEntries(
    Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'lora'),
  ) as Partial<TrainOptionsInput>;
  const resolved: Partial<TrainOptionsInput> = Object.keys(lora).length > 0 ? { ...given, lora } : given;

  // The trainer's own checks, on placeholder paths: ranges and names fail here, before queueing.
  let full;
  try {
    full = resolveTrainOptions({
      modelDir: '-',
      task: 'classification',
      trainFile: '-',
      outDir: '-',
      validationFile: '-',
      ...resolved,
      distill: resolved.distill && { ...resolved.distill, teacherDir: '-', ...(transferFile === undefined ? {} : { transferFile: '-' }) },
    });
  } catch (e) {
    if (e instanceof EngineError) throw bad(param, e.message);
    throw e;
  }
  const hyperparameters: Record<string, unknown> = {
    n_epochs: full.epochs,
    batch_size: full.batchSize,
    learning_rate_multiplier: sweep ? 'auto' : full.learningRate / TRAIN_DEFAULTS.learningRate,
    ...(sweep ? { learning_rate_candidates: full.learningRates } : { learning_rate: full.learningRate }),
    ...(full.patience === undefined ? {} : { patience: full.patience }),
    ...(full.distill
      ? {
          teacher,
          ...(transferFile === undefined ? {} : { transfer_file: transferFile }),
          temperature: full.distill.temperature,
          alpha: full.distill.alpha,
          ...(full.studentLayers === undefined ? {} : { student_layers: full.studentLayers }),
        }
      : {}),
    warmup_ratio: full.warmupRatio,
    weight_decay: full.weightDecay,
    ...(full.maxSeqLength === undefined ? {} : { max_seq_length: full.maxSeqLength }),
    ...(full.method === 'lora'
      ? { lora_r: full.lora.r, lora_alpha: full.lora.alpha, lora_dropout: full.lora.dropout, lora_targets: full.lora.targets }
      : {}),
    ...(full.method === 'adapter' ? { adapter_reduction: full.adapterReduction } : {}),
    ...(full.method === 'prompt' ? { prompt_tokens: full.promptTokens } : {}),
  };
  return {
    method: type as JobMethod,
    ...(type === 'distill' ? { teacher: teacher as string } : {}),
    ...(typeof transferFile === 'string' ? { transferFile } : {}),
    options: resolved,
    hyperparameters,
  };
}
