import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './base.css';
import './widgets.css';
import { ApiError, apiKey, get, setApiKey, WhoAmI } from './api';
import { ErrorBox } from './components/common';
import { DatasetsPage } from './pages/datasets';
import { JobFormPage } from './pages/job-form';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { ModelsPage } from './pages/models';
import { PlaygroundPage } from './pages/playground';
import { SignInPage } from './pages/sign-in';

/** Hash routes (`#/models`, `#/jobs/ftjob-…`): the server serves one page at /console. */
function useRoute(): string[] {
  const parse = (): string[] => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = (): void => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV: [string, string][] = [
  ['models', 'Models'],
  ['playground', 'Playground'],
  ['datasets', 'Datasets'],
  ['jobs', 'Fine-tuning'],
];

function App() {
  const route = useRoute();
  const [who, setWho] = useState<WhoAmI | undefined>();
  const [error, setError] = useState<unknown>();

  const identify = (): void => {
    get<WhoAmI>('/v1/auth/whoami').then(setWho, (e: unknown) => {
      // A stored key the server no longer knows: forget it and ask again.
      if (e instanceof ApiError && e.status === 401 && apiKey()) {
        setApiKey('');
        identify();
      } else setError(e);
    });
  };
  useEffect(identify, []);

  const page = route[0] ?? 'models';
  useEffect(() => {
    const names: Record<string, string> = { models: 'Models', playground: 'Playground', datasets: 'Datasets', jobs: 'Fine-tuning' };
    document.title = `${names[page] ?? 'Console'} · Berth`;
    document.getElementById('main')?.focus();
  }, [page, route[1]]);

  if (error) return <ErrorBox error={error} />;
  if (!who) return <p aria-busy="true">Connecting…</p>;
  const signedOut = who.auth_enabled && who.scope === 'none';

  let body;
  if (signedOut || page === 'sign-in') body = <SignInPage onSignedIn={(w) => (setWho(w), (location.hash = '#/models'))} />;
  else if (page === 'playground') body = <PlaygroundPage task={route[1] ?? 'classify'} model={route[2]} />;
  else if (page === 'datasets') body = <DatasetsPage who={who} />;
  else if (page === 'jobs' && route[1] === 'new') body = <JobFormPage who={who} />;
  else if (page === 'jobs' && route[1]) body = <JobPage id={route[1]} who={who} />;
  else if (page === 'jobs') body = <JobsPage who={who} />;
  else body = <ModelsPage who={who} />;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Berth console</span>
        {!signedOut && (
          <nav aria-label="Sections">
            {NAV.map(([id, label]) => (
              <a key={id} href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
                {label}
              </a>
            ))}
          </nav>
        )}
        <span class="who" data-testid="scope">
          {who.auth_enabled ? (who.scope === 'none' ? 'not signed in' : `${who.scope} key`) : 'API keys off'}
          {who.auth_enabled && who.scope !== 'none' && (
            <button
              type="button"
              class="link"
              onClick={() => {
                setApiKey('');
                setWho({ ...who, scope: 'none', can_infer: false, can_administer: false });
              }}
            >
              Sign out
            </button>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
