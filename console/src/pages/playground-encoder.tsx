import { useState } from 'preact/hooks';
import { ScoreBars } from '../components/common';
import type { TaskProps } from './playground';

interface Candidate {
  score: number;
  token_str: string;
  sequence: string;
}

export function FillMaskForm({ run }: TaskProps) {
  const [text, setText] = useState('Paris is the [MASK] of France.');
  const [topK, setTopK] = useState(5);
  const [result, setResult] = useState<Candidate[] | undefined>();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        const answer = await run<{ results: Candidate[][] }>('/v1/fill-mask', { inputs: text, top_k: topK });
        if (answer) setResult(answer.results[0]);
      }}
    >
      <label for="fm-text">Text with one mask token ([MASK] for BERT models, &lt;mask&gt; for RoBERTa)</label>
      <textarea id="fm-text" rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <label for="fm-topk">Candidates</label>
      <input id="fm-topk" type="number" min={1} max={50} value={topK} onInput={(e) => setTopK(Number(e.currentTarget.value) || 1)} />
      <button type="submit" class="primary">
        Fill the mask
      </button>
      {result && (
        <div data-testid="fill-mask-result">
          <ScoreBars label="Candidate tokens" items={result.map((c) => ({ label: c.token_str, score: c.score }))} />
          <ol class="answers">
            {result.map((c, i) => (
              <li key={i}>{c.sequence}</li>
            ))}
          </ol>
        </div>
      )}
    </form>
  );
}

/** Cosine similarity of L2-normalised vectors: their dot product. */
function similarity(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function EmbeddingsForm({ run }: TaskProps) {
  const [text, setText] = useState(
    'The cat sat on the mat.\nA kitten is sitting on a rug.\nStock markets fell sharply today.\nShares dropped on the exchange.',
  );
  const [pooling, setPooling] = useState('mean');
  const [result, setResult] = useState<{ sentences: string[]; matrix: number[][] } | undefined>();
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        const sentences = text
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
        const answer = await run<{ results: { embedding: number[] }[] }>('/v1/embeddings', { inputs: sentences, pooling, normalize: true });
        if (answer) {
          const v = answer.results.map((r) => r.embedding);
          setResult({ sentences, matrix: v.map((a) => v.map((b) => similarity(a, b))) });
        }
      }}
    >
      <label for="emb-text">Sentences, one per line</label>
      <textarea id="emb-text" rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <label for="emb-pooling">Pooling</label>
      <select id="emb-pooling" value={pooling} onChange={(e) => setPooling(e.currentTarget.value)}>
        <option value="mean">mean of the tokens</option>
        <option value="cls">the [CLS] token</option>
      </select>
      <button type="submit" class="primary">
        Compare sentences
      </button>
      {result && (
        <div class="table-wrap" data-testid="embeddings-result">
          <table class="heatmap">
            <caption>Cosine similarity between the sentences</caption>
            <thead>
              <tr>
                <td />
                {result.sentences.map((_, j) => (
                  <th scope="col" key={j} title={result.sentences[j]}>
                    {j + 1}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.matrix.map((row, i) => (
                <tr key={i}>
                  <th scope="row">
                    {i + 1}. {result.sentences[i]}
                  </th>
                  {row.map((s, j) => (
                    <td
                      key={j}
                      style={{ background: `hsl(210, 80%, ${Math.round(97 - Math.max(0, s) * 47)}%)`, color: s > 0.6 ? '#fff' : '#111' }}
                    >
                      {s.toFixed(2)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </form>
  );
}
