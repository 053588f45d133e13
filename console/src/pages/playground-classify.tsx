import { useState } from 'preact/hooks';
import { ScoreBars } from '../components/common';
import type { TaskProps } from './playground';

interface LabelsResult {
  results: { labels: { label: string; score: number }[]; truncated: boolean }[];
}

export function ClassifyForm({ run }: TaskProps) {
  const [text, setText] = useState('A moving story with brilliant acting.');
  const [result, setResult] = useState<LabelsResult | undefined>();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setResult(await run<LabelsResult>('/v1/classify', { inputs: text, top_k: null }));
      }}
    >
      <label for="classify-text">Text</label>
      <textarea id="classify-text" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <button type="submit" class="primary">
        Classify
      </button>
      {result && (
        <div data-testid="classify-result">
          <ScoreBars label="Scores per label" items={result.results[0].labels} />
          {result.results[0].truncated && <p class="notice">The text was longer than the model allows and was truncated.</p>}
        </div>
      )}
    </form>
  );
}

export function NliForm({ run }: TaskProps) {
  const [premise, setPremise] = useState('A woman is reading a book in the park.');
  const [hypothesis, setHypothesis] = useState('A person is reading.');
  const [result, setResult] = useState<LabelsResult | undefined>();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setResult(await run<LabelsResult>('/v1/nli', { inputs: { premise, hypothesis } }));
      }}
    >
      <label for="nli-premise">Premise</label>
      <textarea id="nli-premise" rows={2} value={premise} onInput={(e) => setPremise(e.currentTarget.value)} />
      <label for="nli-hypothesis">Hypothesis</label>
      <textarea id="nli-hypothesis" rows={2} value={hypothesis} onInput={(e) => setHypothesis(e.currentTarget.value)} />
      <button type="submit" class="primary">
        Compare
      </button>
      {result && <ScoreBars label="Entailment, neutral, contradiction" items={result.results[0].labels} />}
    </form>
  );
}

interface ZeroShotResult {
  results: { labels: string[]; scores: number[] }[];
}

export function ZeroShotForm({ run }: TaskProps) {
  const [text, setText] = useState('The team scored twice in the second half and won the match.');
  const [labels, setLabels] = useState(['sports', 'politics', 'cooking']);
  const [template, setTemplate] = useState('This example is {}.');
  const [multi, setMulti] = useState(false);
  const [result, setResult] = useState<ZeroShotResult | undefined>();
  const [draft, setDraft] = useState('');
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        setResult(
          await run<ZeroShotResult>('/v1/zero-shot', {
            inputs: text,
            candidate_labels: labels,
            hypothesis_template: template,
            multi_label: multi,
          }),
        );
      }}
    >
      <label for="zs-text">Text</label>
      <textarea id="zs-text" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <fieldset>
        <legend>Candidate labels</legend>
        <ul class="chips">
          {labels.map((l) => (
            <li key={l}>
              {l}{' '}
              <button type="button" class="link" aria-label={`Remove label ${l}`} onClick={() => setLabels(labels.filter((x) => x !== l))}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <label for="zs-new">Add a label</label>
        <div class="row">
          <input id="zs-new" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          <button
            type="button"
            onClick={() => {
              const l = draft.trim();
              if (l && !labels.includes(l)) setLabels([...labels, l]);
              setDraft('');
            }}
          >
            Add
          </button>
        </div>
      </fieldset>
      <label for="zs-template">Hypothesis template ("{'{}'}" is replaced by each label)</label>
      <input id="zs-template" value={template} onInput={(e) => setTemplate(e.currentTarget.value)} />
      <label class="check">
        <input type="checkbox" checked={multi} onChange={(e) => setMulti(e.currentTarget.checked)} /> Several labels may be true
        (multi-label)
      </label>
      <button type="submit" class="primary" disabled={labels.length === 0 || !template.includes('{}')}>
        Classify
      </button>
      {!template.includes('{}') && <p class="error">The template needs "{'{}'}" where the label goes.</p>}
      {result && (
        <ScoreBars
          label="Scores per label"
          items={result.results[0].labels.map((label, i) => ({ label, score: result.results[0].scores[i] }))}
        />
      )}
    </form>
  );
}
