import { useEffect, useState } from 'preact/hooks';
import { call, get, Model } from '../api';
import { ErrorBox, useLoad } from '../components/common';
import { EmbeddingsForm, FillMaskForm } from './playground-encoder';
import { NerForm, QaForm } from './playground-spans';
import { ClassifyForm, NliForm, ZeroShotForm } from './playground-classify';

/** What a playground form gets: the chosen model (empty: the task's default) and a way to run a request. */
export interface TaskProps {
  model: string;
  run: <T>(path: string, body: Record<string, unknown>) => Promise<T | undefined>;
}

/** Each task: its tab, the models that serve it (best first), and its key in GET /info's `defaults`. */
const TASKS: { id: string; label: string; fits: (m: Model) => boolean; info: string; rank?: (m: Model) => number }[] = [
  { id: 'classify', label: 'Classification', fits: (m) => m.task === 'text-classification', info: 'text-classification' },
  { id: 'nli', label: 'NLI', fits: (m) => m.nli, info: 'nli' },
  { id: 'zero-shot', label: 'Zero-shot', fits: (m) => m.nli, info: 'zero-shot' },
  { id: 'ner', label: 'NER', fits: (m) => m.task === 'token-classification', info: 'token-classification' },
  { id: 'qa', label: 'Question answering', fits: (m) => m.task === 'question-answering', info: 'question-answering' },
  { id: 'fill-mask', label: 'Fill-mask', fits: (m) => m.task === 'fill-mask', info: 'fill-mask' },
  // Any encoder embeds; bare encoders and masked-LM checkpoints first.
  {
    id: 'embeddings',
    label: 'Embeddings',
    fits: () => true,
    info: 'feature-extraction',
    rank: (m) => ['feature-extraction', 'fill-mask'].indexOf(m.task) >>> 0,
  },
];

/** One form per task, the model to ask, and what the server answered with (version and timings). */
export function PlaygroundPage({ task, model: initial }: { task: string; model?: string }) {
  const models = useLoad(() => get<{ data: Model[] }>('/v1/models'));
  const info = useLoad(() => get<{ defaults?: Record<string, string> }>('/info'));
  const current = TASKS.find((t) => t.id === task) ?? TASKS[0];
  const [model, setModel] = useState(initial ?? '');
  const [served, setServed] = useState<Record<string, string> | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setModel(initial ?? '');
    setServed(undefined);
    setError(undefined);
  }, [task, initial]);

  const run = async <T,>(path: string, body: Record<string, unknown>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await call<T>('POST', path, model ? { ...body, model } : body);
      setServed(answer.headers);
      return answer.body;
    } catch (e) {
      setError(e);
      setServed(undefined);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const rank = current.rank ?? (() => 0);
  const candidates = (models.data?.data.filter(current.fits) ?? []).sort((a, b) => rank(a) - rank(b));
  const fallback = info.data?.defaults?.[current.info];
  // A task without a default model (no model of its own task is loaded) runs on the first that fits.
  useEffect(() => {
    if (!model && info.data && !fallback && candidates[0]) setModel(candidates[0].name);
  }, [info.data, fallback, candidates[0]?.name, model]);
  const props: TaskProps = { model, run };

  return (
    <>
      <h1>Playground</h1>
      <nav class="tabs" aria-label="Tasks">
        {TASKS.map((t) => (
          <a key={t.id} href={`#/playground/${t.id}`} aria-current={t.id === current.id ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      <section class="card" aria-labelledby="task-title" aria-busy={busy}>
        <h2 id="task-title">{current.label}</h2>
        <label for="model">Model</label>
        <select id="model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
          {fallback && <option value="">the task's default ({fallback})</option>}
          {candidates.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} (v{m.active_version})
            </option>
          ))}
        </select>
        {current.id === 'classify' && <ClassifyForm {...props} />}
        {current.id === 'nli' && <NliForm {...props} />}
        {current.id === 'zero-shot' && <ZeroShotForm {...props} />}
        {current.id === 'ner' && <NerForm {...props} />}
        {current.id === 'qa' && <QaForm {...props} />}
        {current.id === 'fill-mask' && <FillMaskForm {...props} />}
        {current.id === 'embeddings' && <EmbeddingsForm {...props} />}
        <ErrorBox error={error} />
        {served && <ServedBy headers={served} />}
      </section>
    </>
  );
}

const SERVED: [string, string, string][] = [
  ['x-model-name', 'Model', ''],
  ['x-model-version', 'Version', ''],
  ['x-tokenization-time', 'Tokenization', ' ms'],
  ['x-queue-time', 'Queue', ' ms'],
  ['x-inference-time', 'Inference', ' ms'],
  ['x-total-time', 'Total', ' ms'],
];

/** The model, version and stage timings of the last answer, from its response headers. */
function ServedBy({ headers }: { headers: Record<string, string> }) {
  return (
    <dl class="served" data-testid="served-by">
      {SERVED.map(([header, label, unit]) => (
        <div key={header}>
          <dt>{label}</dt>
          <dd data-testid={`served-${header.slice(2)}`}>
            {headers[header] ?? '—'}
            {unit}
          </dd>
        </div>
      ))}
    </dl>
  );
}
