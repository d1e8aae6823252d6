import { useState } from 'react';
import { ErrorBox } from './components/ui.js';
import { type Session, signIn } from './session.js';

export function SignIn({ onSignedIn }: { onSignedIn(session: Session): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="sign-in">
      <form
        className="card sign-in-card"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          try {
            onSignedIn(await signIn(key.trim()));
          } catch (e) {
            setError(e instanceof Error ? e : new Error(String(e)));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Plumb
        </div>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="plumb_…"
          required
        />
        <button type="submit" className="button primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? <ErrorBox error={error} /> : null}
        <p className="hint">
          The key is kept in this tab only. The first admin key is printed when <code>plumb serve</code> first
          starts; create others with <code>plumb keys create me --role viewer</code>.
        </p>
      </form>
    </div>
  );
}
