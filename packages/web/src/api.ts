import type { KeyName, PlumbClient } from '@plumb/sdk';
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { Session } from './session.js';

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/**
 * Loads with the session's client and reloads when `deps` change. An answer that arrives after
 * the deps changed is dropped, so a fast click through pages never shows the previous page's data.
 */
export function useLoad<T>(load: (client: PlumbClient) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const { client } = useSession();
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load(client).then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) =>
        live &&
        setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [client, tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Every item of a paged list, for lists the page shows whole (filters and sorting need them all). */
export async function all<T>(
  client: PlumbClient,
  list: (query: { limit?: number; cursor?: string }) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  for await (const item of client.paginate(list, 500)) items.push(item);
  return items;
}

/** The project's key names, read once per signed-in client and shared by every name shown. */
const keyNames = new WeakMap<PlumbClient, Promise<Map<string, KeyName>>>();

/** Key id → name for showing who did what; empty until loaded, or when the role may not read them. */
export function useKeyNames(): Map<string, KeyName> {
  const { client, can } = useSession();
  const [names, setNames] = useState<Map<string, KeyName>>(new Map());
  useEffect(() => {
    if (!can('keys:names')) return;
    let live = true;
    let loading = keyNames.get(client);
    if (!loading) {
      loading = client.keys.names().then((r) => new Map(r.items.map((k) => [k.id, k])));
      // A failed read is tried again by the next page, not kept.
      loading.catch(() => keyNames.delete(client));
      keyNames.set(client, loading);
    }
    loading.then(
      (map) => live && setNames(map),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, can]);
  return names;
}
