import { Role } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

describeEachBackend('projects: who sees which', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
    for (const name of ['alpha', 'beta']) {
      expect((await t.call('POST', '/api/v1/projects', { body: { name } })).statusCode).toBe(201);
    }
  });
  afterEach(() => t.dispose());

  const names = async (key: string, limit = 50) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await t.call('GET', `/api/v1/projects?${query}`, { key });
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json();
      seen.push(...page.items.map((p: { name: string }) => p.name));
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  };

  it('admin keys list every project, page by page', async () => {
    expect(await names(t.adminSecret)).toEqual(['default', 'alpha', 'beta']);
    expect(await names(t.adminSecret, 1)).toEqual(['default', 'alpha', 'beta']);
  });

  it('any other key lists only its own project, on every page', async () => {
    const readers = Role.options.filter((r) => r !== 'admin' && r !== 'service' && r !== 'annotator');
    expect(readers.length).toBeGreaterThan(0);
    for (const project of ['default', 'alpha', 'beta']) {
      for (const role of readers) {
        const key = await t.keyFor(role, project === 'default' ? undefined : project);
        expect(await names(key), `${role} of ${project}`).toEqual([project]);
        expect(await names(key, 1), `${role} of ${project}, one per page`).toEqual([project]);
      }
    }
  });
});
