import { PlumbClient, type WhoAmI } from '@plumb/sdk';

/** Session storage only: the key is gone when the tab closes and is never sent as a cookie. */
const STORAGE_KEY = 'plumb.apiKey';

export interface Session {
  client: PlumbClient;
  me: WhoAmI;
  /** Whether the signed-in role holds a permission, as the server reported it at sign-in. */
  can(permission: string): boolean;
}

function clientFor(apiKey: string): PlumbClient {
  return new PlumbClient({ url: window.location.origin, apiKey });
}

/** Checks the key against the server before keeping it. */
export async function signIn(apiKey: string): Promise<Session> {
  const client = clientFor(apiKey);
  const me = await client.whoami();
  sessionStorage.setItem(STORAGE_KEY, apiKey);
  return sessionOf(client, me);
}

/** The session kept in this tab, if its key still works. */
export async function resumeSession(): Promise<Session | null> {
  const apiKey = sessionStorage.getItem(STORAGE_KEY);
  if (!apiKey) return null;
  try {
    const client = clientFor(apiKey);
    return sessionOf(client, await client.whoami());
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
    return null;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

function sessionOf(client: PlumbClient, me: WhoAmI): Session {
  const granted = new Set(me.permissions);
  return { client, me, can: (permission) => granted.has(permission) };
}
