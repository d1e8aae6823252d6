import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '@plumb/sdk';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../core/config.js';
import type { RequestContext } from '../core/context.js';
import { createPlumb, type Plumb, type PlumbOptions } from '../main.js';
import { type Backend, createTestDatabase } from './test-database.js';

export interface TestPlumb {
  plumb: Plumb;
  /** PLUMB_HOME of this instance, a temporary folder. */
  home: string;
  /** The first admin key as a request context, for calling services directly. */
  adminCtx: RequestContext;
  adminSecret: string;
  /** Creates a key with the given role in the default project and returns its secret. */
  keyFor(role: Role, project?: string): Promise<string>;
  call(
    method: string,
    url: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  dispose(): Promise<void>;
}

/** A whole Plumb app on a fresh database, driven in-process through inject. */
export async function createTestPlumb(
  backend: Backend = 'sqlite',
  env: Record<string, string> = {},
  options: Pick<PlumbOptions, 'clock'> = {},
): Promise<TestPlumb> {
  const database = await createTestDatabase(backend);
  const home = mkdtempSync(join(tmpdir(), 'plumb-home-'));
  const config = loadConfig({ PLUMB_HOME: home, ...env });
  const plumb = await createPlumb(config, { ...options, db: database.db, logger: false });
  const boot = await plumb.services.keys.bootstrap(undefined);
  if (!boot) throw new Error('bootstrap did not create an admin key');
  const adminCtx: RequestContext = {
    principal: {
      keyId: boot.key.id,
      keyName: boot.key.name,
      role: 'admin' as const,
      projectId: boot.key.projectId,
      projectName: boot.key.project,
    },
    requestId: 'test',
  };
  const call: TestPlumb['call'] = (method, url, options = {}) => {
    const key = options.key === undefined ? boot.secret : options.key;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    return plumb.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(options.body === undefined
        ? {}
        : typeof options.body === 'string'
          ? { payload: options.body }
          : { payload: options.body as object }),
    });
  };
  return {
    plumb,
    home,
    adminCtx,
    adminSecret: boot.secret,
    keyFor: async (role, project) =>
      (
        await plumb.services.keys.create(adminCtx, {
          name: `${role} key`,
          role,
          ...(project ? { project } : {}),
        })
      ).secret,
    call,
    dispose: async () => {
      await plumb.close();
      await database.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
