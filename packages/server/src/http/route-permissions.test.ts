import { Role } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../testing/test-plumb.js';

// Every route served without a key, by hand: making a route public is a decision this list records.
const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  // Authenticated by the HMAC signature of its body, which the route checks before anything else.
  'POST /api/v1/projects/:project/pipelines/:name/webhook',
];

// Walks every route the app registered (not a hand-kept list), so a new route without a
// declared permission, or with the wrong one, fails here.
describe('every route checks its key and permission', () => {
  let t: TestPlumb;
  const keys = new Map<Role, string>();
  let revoked: string;

  beforeAll(async () => {
    t = await createTestPlumb();
    for (const role of Role.options) keys.set(role, await t.keyFor(role));
    revoked = await t.keyFor('admin');
    const me = (await t.call('GET', '/api/v1/whoami', { key: revoked })).json();
    expect((await t.call('POST', `/api/v1/keys/${me.keyId}/revoke`)).statusCode).toBe(200);
  });
  afterAll(() => t.dispose());

  const concrete = (url: string) => url.replace(/:(\w+)/g, (_, name: string) => `${name}_01TEST`);

  it('has routes to check', () => {
    expect(t.plumb.app.registeredRoutes.length).toBeGreaterThan(8);
  });

  it('only the listed routes are public; every other route declares a permission', () => {
    const routes = t.plumb.app.registeredRoutes;
    expect(routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`)).toEqual(PUBLIC_ROUTES);
    for (const route of routes) {
      if (route.public) expect(route.permission, route.url).toBeUndefined();
      else expect(route.permission, `${route.method} ${route.url}`).toBeTruthy();
    }
  });

  it('no key, a malformed key and a revoked key give 401', async () => {
    for (const route of t.plumb.app.registeredRoutes) {
      if (route.public) {
        const answer = await t.call(route.method, concrete(route.url), { key: null });
        // A public route with a path authenticates its caller itself: unsigned, it is refused.
        if (route.url.includes(':')) expect(answer.statusCode, route.url).toBe(401);
        else expect(answer.statusCode, route.url).not.toBe(401);
        continue;
      }
      const label = `${route.method} ${route.url}`;
      const none = await t.call(route.method, concrete(route.url), { key: null });
      expect(none.statusCode, label).toBe(401);
      expect(none.json().error.code).toBe('unauthenticated');
      expect(
        (
          await t.call(route.method, concrete(route.url), {
            key: 'plumb_not-a-real-key-at-all-0000000000000',
          })
        ).statusCode,
        label,
      ).toBe(401);
      expect((await t.call(route.method, concrete(route.url), { key: revoked })).statusCode, label).toBe(401);
    }
  });

  it('a role without the permission gives 403; a role with it gets past the check', async () => {
    let denied = 0;
    for (const route of t.plumb.app.registeredRoutes) {
      if (route.public) continue;
      for (const role of Role.options) {
        const response = await t.call(route.method, concrete(route.url), { key: keys.get(role)! });
        const label = `${role} ${route.method} ${route.url}`;
        if (t.plumb.permissions.allows(role, route.permission!)) {
          expect([401, 403], label).not.toContain(response.statusCode);
        } else {
          expect(response.statusCode, label).toBe(403);
          expect(response.json().error.code).toBe('permission_denied');
          denied += 1;
        }
      }
    }
    expect(denied).toBeGreaterThan(0);
  });
});
