import { useSyncExternalStore } from 'react';

/** The browser location as the app reads it: path and query. */
export interface Location {
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();
let current = read();

function read(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

function notify() {
  current = read();
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', notify);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
  if (!options.replace) window.scrollTo(0, 0);
}

/** Changes one query parameter of the current page, keeping the history entry. */
export function setQuery(name: string, value: string | null): void {
  const query = new URLSearchParams(window.location.search);
  if (value === null || value === '') query.delete(name);
  else query.set(name, value);
  const search = query.toString();
  navigate(`${window.location.pathname}${search ? `?${search}` : ''}`, { replace: true });
}

export function useLocation(): Location {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}

/** Matches `/models/:name` against a path; segments are decoded. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) {
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return null;
      }
    } else if (w !== h) return null;
  }
  return params;
}

/** A path with its segments encoded: `href('/models', name)`. */
export function href(...segments: string[]): string {
  return segments.map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}
