import { useState } from 'preact/hooks';
import { codePointSlices } from '../api';
import type { TaskProps } from './playground';

interface Entity {
  entity_group: string;
  entity?: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

/** Distinct light backgrounds (dark text on each passes WCAG AA); the common CoNLL types get fixed ones. */
const PALETTE = ['#a8d1ff', '#ffc48a', '#b4e6a6', '#e3b8ff', '#ffe08a', '#9fe3dc', '#ffb3c1', '#d6d6a0'];
const FIXED: Record<string, number> = { PER: 0, LOC: 1, ORG: 2, MISC: 3, answer: 4 };

/** One colour per entity type, the same type always the same colour (B-/I- tags share their type's). */
export function typeColour(type: string): string {
  const base = type.replace(/^[BIES]-/, '');
  if (base in FIXED) return PALETTE[FIXED[base]];
  let h = 0;
  for (const c of base) h = (h * 31 + c.codePointAt(0)!) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** The text with the given spans marked; the marks carry their offsets for checks and tools. */
function Highlighted({
  text,
  spans,
  label,
}: {
  text: string;
  spans: { start: number; end: number; type: string; title: string }[];
  label: string;
}) {
  return (
    <p class="highlighted" aria-label={label}>
      {codePointSlices(text, spans).map((part, i) =>
        part.span === undefined ? (
          <span key={i}>{part.text}</span>
        ) : (
          <mark
            key={i}
            style={{ background: typeColour(spans[part.span].type) }}
            data-start={spans[part.span].start}
            data-end={spans[part.span].end}
            data-type={spans[part.span].type}
            title={spans[part.span].title}
          >
            {part.text}
            <span class="tag">{spans[part.span].type}</span>
          </mark>
        ),
      )}
    </p>
  );
}

// The API's own default (whole words) first.
const STRATEGIES = ['first', 'simple', 'average', 'max', 'none'] as const;

export function NerForm({ run }: TaskProps) {
  const [text, setText] = useState('Angela Merkel met the president of France in Paris.');
  const [strategy, setStrategy] = useState<string>(STRATEGIES[0]);
  const [result, setResult] = useState<{ text: string; entities: Entity[] } | undefined>();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        const answer = await run<{ results: Entity[][] }>('/v1/ner', { inputs: text, aggregation_strategy: strategy });
        if (answer) setResult({ text, entities: answer.results[0] });
      }}
    >
      <label for="ner-text">Text</label>
      <textarea id="ner-text" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <label for="ner-strategy">Aggregation strategy</label>
      <select id="ner-strategy" value={strategy} onChange={(e) => setStrategy(e.currentTarget.value)}>
        {STRATEGIES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <button type="submit" class="primary">
        Find entities
      </button>
      {result && (
        <div data-testid="ner-result">
          <Highlighted
            label="Text with entities highlighted"
            text={result.text}
            spans={result.entities.map((e) => ({
              start: e.start,
              end: e.end,
              type: e.entity ?? e.entity_group,
              title: `${e.entity ?? e.entity_group} ${e.score.toFixed(3)}`,
            }))}
          />
          <table>
            <caption>Entities</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Text</th>
                <th scope="col">Start–end</th>
                <th scope="col">Score</th>
              </tr>
            </thead>
            <tbody>
              {result.entities.map((e, i) => (
                <tr key={i}>
                  <td>
                    <span class="swatch" style={{ background: typeColour(e.entity ?? e.entity_group) }} /> {e.entity ?? e.entity_group}
                  </td>
                  <td>{e.word}</td>
                  <td>
                    {e.start}–{e.end}
                  </td>
                  <td>{e.score.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.entities.length === 0 && <p>No entities found.</p>}
        </div>
      )}
    </form>
  );
}

interface Answer {
  answer: string;
  score: number;
  start: number;
  end: number;
}

export function QaForm({ run }: TaskProps) {
  const [question, setQuestion] = useState('Where was the treaty signed?');
  const [context, setContext] = useState('The treaty was signed in Vienna in 1815 by the four great powers.');
  const [topK, setTopK] = useState(3);
  const [result, setResult] = useState<{ context: string; answers: Answer[] } | undefined>();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        const answer = await run<{ results: Answer[][] }>('/v1/qa', { inputs: { question, context }, top_k: topK });
        if (answer) setResult({ context, answers: answer.results[0] });
      }}
    >
      <label for="qa-question">Question</label>
      <input id="qa-question" value={question} onInput={(e) => setQuestion(e.currentTarget.value)} />
      <label for="qa-context">Context</label>
      <textarea id="qa-context" rows={5} value={context} onInput={(e) => setContext(e.currentTarget.value)} />
      <label for="qa-topk">Answers to show</label>
      <input id="qa-topk" type="number" min={1} max={10} value={topK} onInput={(e) => setTopK(Number(e.currentTarget.value) || 1)} />
      <button type="submit" class="primary">
        Answer
      </button>
      {result && result.answers.length > 0 && (
        <div data-testid="qa-result">
          <Highlighted
            label="Context with the best answer highlighted"
            text={result.context}
            spans={[
              {
                start: result.answers[0].start,
                end: result.answers[0].end,
                type: 'answer',
                title: `score ${result.answers[0].score.toFixed(4)}`,
              },
            ]}
          />
          <ol class="answers">
            {result.answers.map((a, i) => (
              <li key={i}>
                “{a.answer}”{' '}
                <span class="meta">
                  score {a.score.toFixed(4)}, characters {a.start}–{a.end}
                </span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </form>
  );
}
