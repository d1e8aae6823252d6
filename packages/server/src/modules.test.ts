import type { Role } from '@plumb/sdk';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSets } from './main.js';
import type { PlumbModule } from './module.js';
import { MODULES } from './modules.js';
import { orderMigrations } from './storage/migrations/index.js';
import { createTestPlumb, type TestPlumb } from './testing/test-plumb.js';

const modules = MODULES as readonly PlumbModule[];

// Who may do what, as reviewed: a grant added or dropped in a manifest fails here until this
// table is changed with it. Admin holds every permission.
const EXPECTED_GRANTS: Record<Exclude<Role, 'admin'>, string[]> = {
  maintainer: [
    'self:read',
    'projects:read',
    'keys:names',
    'audit:read',
    'blobs:read',
    'blobs:write',
    'datasets:read',
    'datasets:write',
    'runs:read',
    'runs:write',
    'models:read',
    'models:write',
    'evals:read',
    'evals:write',
    'events:write',
    'events:read',
    'feedback:write',
    'endpoints:read',
    'performance:read',
    'alerts:read',
    'alerts:write',
    'alerts:ack',
    'endpoints:write',
    'endpoints:predict',
    'monitors:read',
    'monitors:write',
    'pipelines:read',
    'pipelines:write',
    'pipelines:run',
    'pipelines:approve',
    'annotation-projects:read',
    'annotation:label',
    'annotation:read',
    'annotation:write',
    'annotation:review',
  ],
  approver: [
    'self:read',
    'projects:read',
    'keys:names',
    'audit:read',
    'audit:verify',
    'blobs:read',
    'datasets:read',
    'runs:read',
    'models:read',
    'models:approve',
    'evals:read',
    'events:read',
    'endpoints:read',
    'performance:read',
    'alerts:read',
    'monitors:read',
    'pipelines:read',
    'pipelines:approve',
    'annotation-projects:read',
    'annotation:label',
    'annotation:read',
    'annotation:review',
  ],
  viewer: [
    'self:read',
    'projects:read',
    'keys:names',
    'audit:read',
    'blobs:read',
    'datasets:read',
    'runs:read',
    'models:read',
    'evals:read',
    'events:read',
    'endpoints:read',
    'performance:read',
    'alerts:read',
    'monitors:read',
    'pipelines:read',
    'annotation-projects:read',
    'annotation:read',
  ],
  annotator: ['self:read', 'keys:names', 'annotation-projects:read', 'annotation:label'],
  service: ['self:read', 'events:write', 'feedback:write', 'endpoints:predict'],
};

describe('module manifests', () => {
  let t: TestPlumb;
  beforeAll(async () => {
    t = await createTestPlumb();
  });
  afterAll(() => t.dispose());

  it('have unique names', () => {
    const names = modules.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('every route has a declared permission, a response schema and schemas for what it reads', () => {
    const routes = modules.flatMap((m) => m.routes?.(t.plumb.services as never) ?? []);
    expect(routes.length).toBe(t.plumb.routes.length);
    for (const route of routes) {
      const label = `${route.method} ${route.url}`;
      if (route.permission !== 'public') expect(t.plumb.permissions.has(route.permission), label).toBe(true);
      expect(route.response, label).toBeDefined();
      expect(route.summary.length, label).toBeGreaterThan(0);
      for (const param of route.url.matchAll(/:(\w+)/g)) {
        expect(route.params, `${label} reads :${param[1]} without a params schema`).toBeDefined();
      }
    }
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    expect(new Set(keys).size, 'two modules serve the same route').toBe(keys.length);
  });

  it('every job queue has exactly one handler', () => {
    const owners = new Map<string, string[]>();
    for (const m of modules) {
      for (const queue of Object.keys(m.jobs?.(t.plumb.services as never) ?? {})) {
        owners.set(queue, [...(owners.get(queue) ?? []), m.name]);
      }
    }
    expect(owners.size).toBeGreaterThan(0);
    for (const [queue, by] of owners) expect(by, queue).toHaveLength(1);
    expect([...owners.keys()].sort()).toEqual(t.plumb.worker.queues().sort());
  });

  it('every migration belongs to exactly one module, and new ones are named after it', () => {
    const { ownerOf } = orderMigrations(migrationSets());
    const seen = new Map<string, number>();
    for (const set of migrationSets()) {
      for (const name of Object.keys(set.migrations)) seen.set(name, (seen.get(name) ?? 0) + 1);
      for (const name of Object.keys(set.migrations)) {
        // Names from before per-module naming keep their global number; every later one is
        // `<owner>/NNNN_what`.
        if (name.includes('/')) expect(name.startsWith(`${set.owner}/`), name).toBe(true);
      }
    }
    for (const [name, count] of seen) expect(count, name).toBe(1);
    expect(ownerOf.size).toBe(seen.size);
    expect(() =>
      orderMigrations([
        { owner: 'a', migrations: { x: { up: async () => {} } } },
        { owner: 'b', migrations: { x: { up: async () => {} } } },
      ]),
    ).toThrow(/declared by both a and b/);
  });

  it('grant each role what was reviewed, and admin everything', () => {
    for (const permission of t.plumb.permissions.list()) {
      expect(t.plumb.permissions.allows('admin', permission), permission).toBe(true);
    }
    for (const [role, expected] of Object.entries(EXPECTED_GRANTS)) {
      const granted = t.plumb.permissions.list().filter((p) => t.plumb.permissions.allows(role as Role, p));
      expect(granted.sort(), role).toEqual([...expected].sort());
    }
  });

  it('give the CLI its commands', () => {
    const program = new Command();
    for (const m of modules) m.cli?.(program);
    const names = program.commands.map((c) => c.name());
    for (const expected of ['projects', 'keys', 'audit', 'dataset', 'run', 'model', 'eval', 'inventory']) {
      expect(names).toContain(expected);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});
