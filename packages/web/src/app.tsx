import { useEffect, useState } from 'react';
import { SessionContext } from './api.js';
import { Link } from './components/ui.js';
import { matchPath, navigate, useLocation } from './router.js';
import { ROUTES } from './routes.js';
import { resumeSession, type Session, signOut } from './session.js';
import { SignIn } from './sign-in.js';

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    resumeSession().then(setSession);
  }, []);
  if (session === undefined) return null;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell
        session={session}
        onSignOut={() => {
          signOut();
          setSession(null);
          navigate('/', { replace: true });
        }}
      />
    </SessionContext.Provider>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const { path } = useLocation();
  const allowed = ROUTES.filter((r) => session.can(r.permission));
  const match = allowed
    .map((route) => ({ route, params: matchPath(route.path, path) }))
    .find((m) => m.params !== null);
  const section = `/${path.split('/')[1] ?? ''}`;
  return (
    <div className="shell">
      <nav className="nav" aria-label="main">
        <div className="nav-inner">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Plumb
          </div>
          <ul>
            {allowed
              .filter((r) => r.nav)
              .map((r) => (
                <li key={r.path}>
                  <Link
                    to={r.path}
                    className={
                      section === r.path || (r.path === '/' && section === '/models') ? 'active' : undefined
                    }
                  >
                    {r.nav}
                  </Link>
                </li>
              ))}
          </ul>
          <div className="nav-foot">
            <div className="who">
              <strong>{session.me.keyName}</strong>
              <span>
                {session.me.role} · {session.me.project}
              </span>
            </div>
            <button type="button" className="button ghost nav-button" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </nav>
      <main className="main">
        {match ? (
          match.route.render(match.params!)
        ) : (
          <div className="empty">
            <p>
              {allowed.length === 0
                ? `The ${session.me.role} role has no pages here.`
                : 'There is no page at this address.'}
            </p>
            {allowed[0] ? <Link to={allowed[0].path}>Go to {allowed[0].nav ?? 'the start page'}</Link> : null}
          </div>
        )}
      </main>
    </div>
  );
}
