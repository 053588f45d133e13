import { useState } from 'preact/hooks';
import { FileObject, get, Job, Model, post, WhoAmI } from '../api';
import { ADMIN_ONLY, ErrorBox, useLoad } from '../components/common';

/** A hyperparameter: its field, what it does in one line, its default and the values the server takes. */
interface Field {
  key: string;
  label: string;
  help: string;
  def: number;
  /** How the default reads when it is not a plain number. */
  defText?: string;
  min: number;
  max: number;
  integer?: boolean;
  methods?: string[];
  /** Exclusive lower bound (a learning rate of 0 trains nothing). */
  above?: boolean;
}

const FIELDS: Field[] = [
  {
    key: 'n_epochs',
    label: 'Epochs',
    help: 'Passes over the training rows; the best epoch on the validation rows is kept.',
    def: 3,
    min: 1,
    max: 100,
    integer: true,
  },
  {
    key: 'batch_size',
    label: 'Batch size',
    help: 'Rows per optimisation step; larger is steadier and needs more memory.',
    def: 16,
    min: 1,
    max: 1024,
    integer: true,
  },
  {
    key: 'learning_rate',
    label: 'Learning rate',
    help: 'Step size of AdamW; LoRA and head-only usually take 10–20× the full fine-tuning rate.',
    def: 5e-5,
    min: 0,
    max: 10,
    above: true,
  },
  {
    key: 'warmup_ratio',
    label: 'Warm-up ratio',
    help: 'Share of the steps over which the learning rate rises from 0 before it decays linearly.',
    def: 0,
    min: 0,
    max: 1,
  },
  {
    key: 'weight_decay',
    label: 'Weight decay',
    help: 'AdamW decoupled decay, not applied to biases and LayerNorm weights.',
    def: 0,
    min: 0,
    max: 1,
  },
  {
    key: 'validation_split',
    label: 'Validation split',
    help: 'Share of the training rows held out (seeded) when no validation file is given.',
    def: 0.1,
    min: 0,
    max: 0.9,
    above: true,
  },
  {
    key: 'max_seq_length',
    label: 'Max sequence length',
    help: 'Tokens per row; longer rows are truncated.',
    def: 0,
    defText: 'the model’s limit',
    min: 0,
    max: 8192,
    integer: true,
  },
  {
    key: 'lora_r',
    label: 'LoRA rank r',
    help: 'Rank of the low-rank update matrices; higher learns more and trains more weights.',
    def: 8,
    min: 1,
    max: 256,
    integer: true,
    methods: ['lora'],
  },
  {
    key: 'lora_alpha',
    label: 'LoRA alpha',
    help: 'Scale of the update (alpha / r), as PEFT defines it.',
    def: 8,
    min: 1,
    max: 1024,
    methods: ['lora'],
  },
  {
    key: 'lora_dropout',
    label: 'LoRA dropout',
    help: 'Dropout on the LoRA input during training.',
    def: 0,
    min: 0,
    max: 0.9,
    methods: ['lora'],
  },
  {
    key: 'adapter_reduction',
    label: 'Adapter reduction factor',
    help: 'Hidden size divided by the adapter bottleneck size.',
    def: 16,
    min: 1,
    max: 1024,
    integer: true,
    methods: ['adapter'],
  },
];

const METHODS: [string, string][] = [
  ['lora', 'LoRA: low-rank updates merged into the weights on export (fast, few trainable weights)'],
  ['full', 'Full: every weight trains'],
  ['adapter', 'Adapters: small bottleneck layers after attention and feed-forward'],
  ['head', 'Head only: the encoder stays frozen, only the task head trains'],
];

/** The problems of a value before it is sent; empty when it is fine. */
export function checkField(f: Field, raw: string): string {
  if (raw.trim() === '') return '';
  const v = Number(raw);
  if (!Number.isFinite(v)) return `${f.label} must be a number`;
  if (f.integer && !Number.isInteger(v)) return `${f.label} must be a whole number`;
  if (v < f.min || v > f.max || (f.above && v <= f.min))
    return `${f.label} must be ${f.above ? 'above' : 'at least'} ${f.min} and at most ${f.max}`;
  return '';
}

export function JobFormPage({ who }: { who: WhoAmI }) {
  const models = useLoad(() => get<{ data: Model[] }>('/v1/models'));
  const files = useLoad(() => (who.can_administer ? get<{ data: FileObject[] }>('/v1/files') : Promise.resolve({ data: [] })));
  const [model, setModel] = useState('');
  const [trainingFile, setTrainingFile] = useState('');
  const [validationFile, setValidationFile] = useState('');
  const [method, setMethod] = useState('lora');
  const [values, setValues] = useState<Record<string, string>>({});
  const [suffix, setSuffix] = useState('');
  const [seed, setSeed] = useState('42');
  const [autoActivate, setAutoActivate] = useState(false);
  const [error, setError] = useState<unknown>();
  const [tried, setTried] = useState(false);

  const shown = FIELDS.filter((f) => !f.methods || f.methods.includes(method));
  const problems: Record<string, string> = {};
  for (const f of shown) {
    const p = checkField(f, values[f.key] ?? '');
    if (p) problems[f.key] = p;
  }
  if (!model) problems.model = 'Choose a base model';
  if (!trainingFile) problems.training_file = 'Choose a training file';
  if (suffix && !/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/.test(suffix)) problems.suffix = 'Suffix: 1–40 letters, digits, "_" or "-"';
  if (!/^\d+$/.test(seed)) problems.seed = 'Seed must be a whole number';
  const valid = Object.keys(problems).length === 0;

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setTried(true);
    if (!valid || !who.can_administer) return;
    const hyperparameters: Record<string, number> = {};
    for (const f of shown) {
      const raw = values[f.key] ?? '';
      if (raw.trim() !== '' && !(f.key === 'max_seq_length' && Number(raw) === 0)) hyperparameters[f.key] = Number(raw);
    }
    try {
      const job = await post<Job>('/v1/fine_tuning/jobs', {
        model,
        training_file: trainingFile,
        ...(validationFile ? { validation_file: validationFile } : {}),
        method: { type: method, [method]: { hyperparameters } },
        ...(suffix ? { suffix } : {}),
        seed: Number(seed),
        auto_activate: autoActivate,
      });
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      setError(err);
    }
  };

  const tunable = models.data?.data.filter((m) => m.fine_tunable) ?? [];
  return (
    <>
      <h1>New fine-tuning job</h1>
      {!who.can_administer && (
        <p class="denied" data-testid="job-denied">
          {ADMIN_ONLY} Starting a job is disabled.
        </p>
      )}
      <form class="card" onSubmit={submit} noValidate aria-describedby="form-problems">
        <div class="grid2">
          <div>
            <label for="job-model">Base model</label>
            <select id="job-model" value={model} onChange={(e) => setModel(e.currentTarget.value)} aria-invalid={tried && !!problems.model}>
              <option value="">choose…</option>
              {tunable.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.name} ({m.task}, v{m.active_version})
                </option>
              ))}
            </select>
            <p class="hint">Only models with model.safetensors can be fine-tuned.</p>
          </div>
          <div>
            <label for="job-method">Method</label>
            <select id="job-method" value={method} onChange={(e) => setMethod(e.currentTarget.value)}>
              {METHODS.map(([id, text]) => (
                <option key={id} value={id}>
                  {text}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="job-training-file">Training file</label>
            <select
              id="job-training-file"
              value={trainingFile}
              onChange={(e) => setTrainingFile(e.currentTarget.value)}
              aria-invalid={tried && !!problems.training_file}
            >
              <option value="">choose…</option>
              {files.data?.data.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.filename} ({String(f.berth.stats.rows)} rows, {f.id})
                </option>
              ))}
            </select>
            <p class="hint">
              Upload files on the <a href="#/datasets">Datasets</a> page.
            </p>
          </div>
          <div>
            <label for="job-validation-file">Validation file (optional)</label>
            <select id="job-validation-file" value={validationFile} onChange={(e) => setValidationFile(e.currentTarget.value)}>
              <option value="">hold out a share of the training rows</option>
              {files.data?.data.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.filename} ({f.id})
                </option>
              ))}
            </select>
          </div>
        </div>
        <fieldset>
          <legend>Hyperparameters (empty: the default)</legend>
          <div class="grid2">
            {shown.map((f) => (
              <div key={f.key}>
                <label for={`hp-${f.key}`}>{f.label}</label>
                <input
                  id={`hp-${f.key}`}
                  inputMode="decimal"
                  placeholder={`default ${f.defText ?? f.def}`}
                  value={values[f.key] ?? ''}
                  aria-invalid={!!problems[f.key]}
                  aria-describedby={`hp-${f.key}-help`}
                  onInput={(e) => setValues({ ...values, [f.key]: e.currentTarget.value })}
                />
                <p class="hint" id={`hp-${f.key}-help`}>
                  {f.help} Default {f.defText ?? f.def}.
                </p>
                {problems[f.key] && <p class="field-error">{problems[f.key]}</p>}
              </div>
            ))}
          </div>
        </fieldset>
        <div class="grid2">
          <div>
            <label for="job-suffix">Suffix (optional)</label>
            <input id="job-suffix" value={suffix} onInput={(e) => setSuffix(e.currentTarget.value)} aria-describedby="job-suffix-help" />
            <p class="hint" id="job-suffix-help">
              With a suffix the result is a new model &lt;base&gt;-ft-&lt;suffix&gt;; without, the next version of the base model.
            </p>
          </div>
          <div>
            <label for="job-seed">Seed</label>
            <input id="job-seed" inputMode="numeric" value={seed} onInput={(e) => setSeed(e.currentTarget.value)} />
            <p class="hint">Shuffling, dropout and the held-out split.</p>
          </div>
        </div>
        <label class="check">
          <input type="checkbox" checked={autoActivate} onChange={(e) => setAutoActivate(e.currentTarget.checked)} /> Activate automatically
          if the new version scores at least as well as the active one on the validation rows
        </label>
        <div id="form-problems" role="alert">
          {tried && !valid && (
            <ul class="error">
              {Object.values(problems).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </div>
        <button
          type="submit"
          class="primary"
          disabled={!who.can_administer}
          title={who.can_administer ? undefined : ADMIN_ONLY}
          data-testid="start-job"
        >
          Start the job
        </button>
        <ErrorBox error={error} />
      </form>
    </>
  );
}
