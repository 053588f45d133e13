import { useState } from 'preact/hooks';
import { ApiError, FileObject, get, Model, TokenLengths, upload, WhoAmI } from '../api';
import { ADMIN_ONLY, ErrorBox, formatTime, useLoad } from '../components/common';
import { Chart } from '../components/chart';
import { previewRows, type Preview } from '../preview';

/** Upload (drag and drop, progress), the server's validation by line, a preview, label counts and token lengths. */
export function DatasetsPage({ who }: { who: WhoAmI }) {
  const files = useLoad(() => (who.can_administer ? get<{ data: FileObject[] }>('/v1/files') : Promise.resolve({ data: [] })));
  const models = useLoad(() => get<{ data: Model[] }>('/v1/models'));
  const [file, setFile] = useState<File | undefined>();
  const [preview, setPreview] = useState<Preview | undefined>();
  const [task, setTask] = useState('');
  const [model, setModel] = useState('');
  const [progress, setProgress] = useState<number | undefined>();
  const [error, setError] = useState<unknown>();
  const [selected, setSelected] = useState<FileObject | undefined>();
  const [dragging, setDragging] = useState(false);

  const choose = async (f: File | undefined): Promise<void> => {
    setFile(f);
    setError(undefined);
    setPreview(f ? await previewRows(f) : undefined);
  };

  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    if (task) form.append('task', task);
    if (model) form.append('model', model);
    form.append('file', file);
    setError(undefined);
    setProgress(0);
    try {
      const stored = await upload<FileObject>('/v1/files', form, setProgress);
      setSelected(stored);
      files.reload();
    } catch (err) {
      setError(err);
    } finally {
      setProgress(undefined);
    }
  };

  const problem = error instanceof ApiError ? error.details : null;
  const badLine = typeof problem?.line === 'number' ? problem.line : undefined;

  return (
    <>
      <h1>Datasets</h1>
      {!who.can_administer && <p class="denied">{ADMIN_ONLY} Uploading and listing datasets is disabled.</p>}
      <section class="card" aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a dataset</h2>
        <p class="hint">
          CSV/TSV/JSONL with <code>text</code>,<code>target</code> (or <code>sentence</code>,<code>label</code>; pairs add{' '}
          <code>text_pair</code>) for classification and NLI; CoNLL or JSONL <code>tokens</code>,<code>tags</code> for NER; SQuAD JSON or
          JSONL for QA.
        </p>
        <form onSubmit={send}>
          <div
            class={`dropzone${dragging ? ' over' : ''}`}
            data-testid="dropzone"
            onDragOver={(e) => (e.preventDefault(), setDragging(true))}
            onDragLeave={() => setDragging(false)}
            onDrop={(e) => {
              e.preventDefault();
              setDragging(false);
              void choose(e.dataTransfer?.files[0]);
            }}
          >
            <label for="dataset-file">Drop a file here, or choose one</label>
            <input id="dataset-file" type="file" disabled={!who.can_administer} onChange={(e) => void choose(e.currentTarget.files?.[0])} />
            {file && (
              <p>
                {file.name} · {file.size.toLocaleString()} bytes
              </p>
            )}
          </div>
          <div class="grid2">
            <div>
              <label for="dataset-task">Task</label>
              <select id="dataset-task" value={task} onChange={(e) => setTask(e.currentTarget.value)}>
                <option value="">guess from the file</option>
                <option value="classification">classification / NLI</option>
                <option value="ner">NER</option>
                <option value="qa">question answering</option>
              </select>
            </div>
            <div>
              <label for="dataset-model">Measure token lengths with</label>
              <select id="dataset-model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
                <option value="">no model</option>
                {models.data?.data.map((m) => (
                  <option key={m.name} value={m.name}>
                    {m.name}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <button
            type="submit"
            class="primary"
            disabled={!file || !who.can_administer || progress !== undefined}
            title={who.can_administer ? undefined : ADMIN_ONLY}
          >
            Upload and validate
          </button>
          {progress !== undefined && (
            <div>
              <label for="upload-progress">{progress < 1 ? 'Uploading' : 'Validating on the server'}</label>
              <progress id="upload-progress" max={1} value={progress} />
            </div>
          )}
        </form>
        {error !== undefined && (
          <div class="validation" data-testid="validation-error">
            <ErrorBox error={error} />
            {badLine !== undefined && (
              <div class="side-by-side">
                <div>
                  <h3>Line {badLine}</h3>
                  <pre class="bad-line" data-testid="bad-line">
                    {preview?.lines[badLine - 1] ?? '(beyond the preview)'}
                  </pre>
                </div>
                <div>
                  <h3>Problem</h3>
                  <p data-testid="bad-problem">
                    {String(problem?.problem ?? (error as Error).message)}
                    {problem?.field ? ` (field "${String(problem.field)}")` : ''}
                  </p>
                </div>
              </div>
            )}
          </div>
        )}
        {preview && <PreviewTable preview={preview} badLine={badLine} />}
      </section>
      {selected && <FileDetails file={selected} models={models.data?.data ?? []} />}
      {who.can_administer && (
        <section class="card" aria-labelledby="files-title">
          <h2 id="files-title">Uploaded files</h2>
          <ErrorBox error={files.error} />
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Task</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Uploaded</th>
                  <th scope="col">Id</th>
                </tr>
              </thead>
              <tbody>
                {files.data?.data.map((f) => (
                  <tr key={f.id}>
                    <td>
                      <button type="button" class="link" onClick={() => setSelected(f)}>
                        {f.filename}
                      </button>
                    </td>
                    <td>{f.berth.task}</td>
                    <td>{String(f.berth.stats.rows ?? '')}</td>
                    <td>{formatTime(f.created_at)}</td>
                    <td>
                      <code>{f.id}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}

function PreviewTable({ preview, badLine }: { preview: Preview; badLine?: number }) {
  return (
    <div class="table-wrap">
      <table data-testid="preview">
        <caption>First rows of the file (read in the browser)</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            {preview.header.map((h, i) => (
              <th scope="col" key={i}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((r) => (
            <tr key={r.line} class={r.line === badLine ? 'bad' : undefined}>
              <th scope="row">{r.line}</th>
              {r.cells.map((c, i) => (
                <td key={i}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Row count, label distribution and the token-length histogram under a chosen model. */
function FileDetails({ file, models }: { file: FileObject; models: Model[] }) {
  const stats = file.berth.stats;
  const counts = (stats.label_counts ?? {}) as Record<string, number>;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const [model, setModel] = useState(String(stats.tokenizer_model ?? ''));
  const lengths = useLoad(
    () =>
      model
        ? get<{ token_lengths: TokenLengths }>(`/v1/files/${file.id}/token-lengths?model=${encodeURIComponent(model)}`).then(
            (r) => r.token_lengths,
          )
        : Promise.resolve(undefined),
    [file.id, model],
  );
  const h = lengths.data?.histogram;
  return (
    <section class="card" aria-labelledby="details-title" data-testid="file-details">
      <h2 id="details-title">{file.filename}</h2>
      <p>
        <strong data-testid="row-count">{String(stats.rows)}</strong> rows · {file.berth.task} · {file.berth.format} ·{' '}
        <code>{file.id}</code>
      </p>
      {total > 0 && (
        <ul class="bars" aria-label="Label distribution" data-testid="label-distribution">
          {Object.entries(counts).map(([label, n]) => (
            <li key={label}>
              <span class="bar-label">{label}</span>
              <span class="bar-track">
                <span class="bar-fill" style={{ width: `${(n / total) * 100}%` }} />
              </span>
              <span class="bar-value">
                {n} ({((n / total) * 100).toFixed(1)}%)
              </span>
            </li>
          ))}
        </ul>
      )}
      <label for="lengths-model">Token lengths under the tokenizer of</label>
      <select id="lengths-model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
        <option value="">choose a model</option>
        {models.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
          </option>
        ))}
      </select>
      <ErrorBox error={lengths.error} />
      {lengths.data && h && (
        <>
          <p>
            mean {lengths.data.mean.toFixed(1)} · p50 {lengths.data.p50} · p90 {lengths.data.p90} · p99 {lengths.data.p99} · max{' '}
            {lengths.data.max} tokens
          </p>
          <Chart
            title="Rows per token length"
            xLabel="tokens (bin centre)"
            x={h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1] - 1) / 2)}
            series={[{ label: 'rows', values: h.counts, color: '#3b6fd4' }]}
            bars
            testId="length-histogram"
          />
        </>
      )}
    </section>
  );
}
