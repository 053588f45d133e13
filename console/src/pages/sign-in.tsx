import { useState } from 'preact/hooks';
import { ApiError, get, setApiKey, WhoAmI } from '../api';
import { ErrorBox } from '../components/common';

/** Asks for an API key, checks it with GET /v1/auth/whoami and keeps it for this tab only. */
export function SignInPage({ onSignedIn }: { onSignedIn: (who: WhoAmI) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setApiKey(key.trim());
    try {
      const who = await get<WhoAmI>('/v1/auth/whoami');
      if (who.scope === 'none') throw new ApiError(401, 'UNAUTHORIZED', 'enter an API key', null);
      onSignedIn(who);
    } catch (err) {
      setApiKey('');
      setError(err);
    }
  };
  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      <p>This server requires an API key. The key stays in this browser tab only (session storage) and is sent with each request.</p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
      <p class="hint">An inference key can try models; uploading data, training and activating versions need an admin key.</p>
    </section>
  );
}
