import { PlumbError } from '@plumb/sdk';
import type { ReactNode } from 'react';
import { useKeyNames, useSession } from '../api.js';
import { navigate } from '../router.js';

export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'neutral';

export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

const STATUS_TONES: Record<string, Tone> = {
  passed: 'good',
  pass: 'good',
  succeeded: 'good',
  production: 'good',
  approved: 'good',
  ok: 'good',
  ready: 'good',
  failed: 'bad',
  fail: 'bad',
  rejected: 'bad',
  unacceptable: 'bad',
  high: 'warn',
  pending: 'warn',
  running: 'info',
  queued: 'info',
  staging: 'info',
  limited: 'info',
  minimal: 'neutral',
  drift: 'bad',
  no_drift: 'good',
  indeterminate: 'warn',
  open: 'bad',
  acknowledged: 'warn',
  resolved: 'good',
  waiting: 'warn',
  cached: 'good',
  retrying: 'warn',
};

/** A status word in the colour people expect for it. */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="muted">—</span>;
  return <Badge tone={STATUS_TONES[status] ?? 'neutral'}>{status.replaceAll('_', ' ')}</Badge>;
}

/** An internal link that changes the page without reloading it. */
export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function PageHeader({
  title,
  sub,
  actions,
}: {
  title: ReactNode;
  sub?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {sub ? <div className="page-sub">{sub}</div> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Section({
  title,
  children,
  aside,
}: {
  title: string;
  children: ReactNode;
  aside?: ReactNode;
}) {
  return (
    <section className="card">
      <div className="card-head">
        <h2>{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

/** What to do when there is nothing to show: the command or button that fills the view. */
export function Empty({ children, command }: { children: ReactNode; command?: string }) {
  return (
    <div className="empty">
      <p>{children}</p>
      {command ? <pre className="command">{command}</pre> : null}
    </div>
  );
}

export function ErrorBox({ error }: { error: Error }) {
  const code = PlumbError.is(error) ? error.code : null;
  return (
    <div className="error-box" role="alert">
      {code ? <strong>{code.replaceAll('_', ' ')}: </strong> : null}
      {error.message}
    </div>
  );
}

export function Loading() {
  return <div className="loading">Loading…</div>;
}

/** Renders the loaded value, or the loading and error states every view shares. */
export function Async<T>({
  state,
  children,
}: {
  state: { data: T | undefined; error: Error | undefined; loading: boolean };
  children: (data: T) => ReactNode;
}) {
  if (state.error) return <ErrorBox error={state.error} />;
  if (state.data === undefined) return <Loading />;
  return <>{children(state.data)}</>;
}

export function Fields({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="fields">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value ?? <span className="muted">—</span>}</dd>
        </div>
      ))}
    </dl>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  return <time dateTime={at}>{dateFormat.format(new Date(at))}</time>;
}

export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '—';
  if (Number.isInteger(value)) return value.toLocaleString();
  return value.toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString(undefined, { maximumFractionDigits: 1 })} ${units[unit]}`;
}

/**
 * Who did something: actors are key ids (`key_…`) or `system`. The signed-in key is shown by
 * its name; others by a short id, the whole id on hover.
 */
export function Actor({ id }: { id: string | null | undefined }) {
  const { me } = useSession();
  const names = useKeyNames();
  if (!id) return <span className="muted">—</span>;
  if (id === me.keyId) return <span title={id}>you ({me.keyName})</span>;
  const key = names.get(id);
  if (key) {
    return (
      <span className="actor-name" title={id}>
        {key.name}
        {key.revoked ? <span className="muted small"> (revoked)</span> : null}
      </span>
    );
  }
  if (!id.startsWith('key_') || id.length <= 14) return <span>{id}</span>;
  return (
    <span className="actor" title={id}>
      {id.slice(0, 4)}…{id.slice(-6)}
    </span>
  );
}
