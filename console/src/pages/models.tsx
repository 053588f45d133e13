import { useEffect, useState } from 'preact/hooks';
import { get, Model, post, TrafficSummary, WhoAmI } from '../api';
import { ADMIN_ONLY, ConfirmButton, ErrorBox, useLoad } from '../components/common';
import { formatScore, scoresOf } from '../scores';

/** Every model: task, versions with their scores and dates, the active one, actions and live traffic. */
export function ModelsPage({ who }: { who: WhoAmI }) {
  const models = useLoad(() => get<{ data: Model[] }>('/v1/models'));
  const [traffic, setTraffic] = useState<TrafficSummary | undefined>();
  const [answer, setAnswer] = useState<{ ok: boolean; text: string } | undefined>();

  // Live requests per second and p95: the server's one-minute window, read every 2 s.
  useEffect(() => {
    let live = true;
    const read = (): void => {
      get<TrafficSummary>('/metrics/summary').then(
        (t) => live && setTraffic(t),
        () => undefined,
      );
    };
    read();
    const timer = setInterval(read, 2000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);

  const act = async (what: string, path: string): Promise<void> => {
    setAnswer({ ok: true, text: `${what}…` });
    try {
      const m = await post<Model>(path);
      setAnswer({ ok: true, text: `${what}: done. ${m.name} serves version ${m.active_version} (status ${m.status}).` });
    } catch (e) {
      setAnswer({ ok: false, text: `${what}: ${(e as Error).message}` });
    }
    models.reload();
  };

  return (
    <>
      <h1>Models</h1>
      <div role="status" aria-live="polite" class={answer ? (answer.ok ? 'notice' : 'error') : 'sr-only'} data-testid="model-answer">
        {answer?.text}
      </div>
      <ErrorBox error={models.error} />
      {!who.can_administer && <p class="denied">{ADMIN_ONLY} Activating, rolling back, loading and unloading are disabled.</p>}
      {models.data?.data.map((m) => {
        const t = traffic?.models.find((x) => x.model === m.name);
        return (
          <section class="card" key={m.name} aria-labelledby={`model-${m.name}`} data-testid={`model-${m.name}`}>
            <h2 id={`model-${m.name}`}>
              {m.name} <span class={`badge status-${m.status}`}>{m.status}</span>
            </h2>
            <p class="meta">
              {m.task}
              {m.nli ? ' · NLI and zero-shot' : ''} · {m.architecture} · {m.device} · max {m.max_sequence_length} tokens ·{' '}
              {m.fine_tunable ? 'fine-tunable' : 'serve-only (no model.safetensors)'}
            </p>
            <p class="traffic" data-testid={`traffic-${m.name}`}>
              Last {traffic?.window_seconds ?? 60} s: <strong>{t ? t.requests_per_second.toFixed(2) : '0.00'}</strong> req/s · p95{' '}
              <strong>{t?.p95_seconds != null ? `${(t.p95_seconds * 1000).toFixed(1)} ms` : '—'}</strong>
              {t && t.errors > 0 ? ` · ${t.errors} errors` : ''}
            </p>
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Versions of {m.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Source</th>
                    <th scope="col">Created</th>
                    <th scope="col">Score (metrics.json)</th>
                    <th scope="col">Size</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {[...m.versions].reverse().map((v) => (
                    <tr key={v.version} class={v.version === m.active_version ? 'active' : undefined}>
                      <th scope="row">
                        v{v.version} {v.version === m.active_version && <span class="badge">active</span>}
                      </th>
                      <td>{v.source}</td>
                      <td>{new Date(v.created_at).toLocaleString()}</td>
                      <td>{formatScore(scoresOf(v.metrics))}</td>
                      <td>{(v.size_bytes / 1e6).toFixed(1)} MB</td>
                      <td>
                        {v.version !== m.active_version && (
                          <ConfirmButton
                            label={`Activate v${v.version}`}
                            question={`Activate version ${v.version} of ${m.name}? It is loaded and warmed beside version ${m.active_version}, then swapped in.`}
                            disabled={!who.can_administer}
                            reason={ADMIN_ONLY}
                            onConfirm={() =>
                              void act(
                                `Activate ${m.name} v${v.version}`,
                                `/v1/models/${encodeURIComponent(m.name)}/versions/${v.version}/activate`,
                              )
                            }
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="row">
              <ConfirmButton
                label="Roll back"
                question={`Return ${m.name} to the version that was active before v${m.active_version}?`}
                disabled={!who.can_administer}
                reason={ADMIN_ONLY}
                onConfirm={() => void act(`Roll back ${m.name}`, `/v1/models/${encodeURIComponent(m.name)}/rollback`)}
              />
              {m.status === 'unloaded' || m.status === 'failed' ? (
                <ConfirmButton
                  label="Load"
                  question={`Load and warm ${m.name} v${m.active_version}?`}
                  disabled={!who.can_administer}
                  reason={ADMIN_ONLY}
                  onConfirm={() => void act(`Load ${m.name}`, `/v1/models/${encodeURIComponent(m.name)}/load`)}
                />
              ) : (
                <ConfirmButton
                  label="Unload"
                  question={`Unload ${m.name}? Requests in flight finish; afterwards inference on it answers 409 until it is loaded again.`}
                  disabled={!who.can_administer}
                  reason={ADMIN_ONLY}
                  onConfirm={() => void act(`Unload ${m.name}`, `/v1/models/${encodeURIComponent(m.name)}/unload`)}
                />
              )}
              <a href={`#/playground/${playgroundTask(m)}/${encodeURIComponent(m.name)}`}>Try it</a>
            </div>
          </section>
        );
      })}
    </>
  );
}

export function playgroundTask(m: Model): string {
  if (m.nli) return 'nli';
  switch (m.task) {
    case 'token-classification':
      return 'ner';
    case 'question-answering':
      return 'qa';
    case 'fill-mask':
      return 'fill-mask';
    case 'feature-extraction':
      return 'embeddings';
    default:
      return 'classify';
  }
}
