import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  addDataset,
  addTasks,
  answer,
  createProject,
  label,
  next,
  reviewRows,
  SCHEMA_YAML,
} from './annotation.test-kit.js';

// Annotation projects belong to one Plumb project: another project's keys find nothing of them,
// not even under the same name, and cannot point at its datasets or items.
describe('annotation projects across Plumb projects', () => {
  let t: TestPlumb;
  let other: { maintainer: string; annotator: string };
  let item: string;

  beforeAll(async () => {
    t = await createTestPlumb();
    await addDataset(t, 'reviews', reviewRows(2));
    await createProject(t, 'shared-name', { overlap: 1 });
    await addTasks(t, 'shared-name', { source: 'dataset', version: 'reviews@v1' });
    const mine = await t.keyFor('annotator');
    item = (await next(t, 'shared-name', mine)).task!.itemId;
    expect((await label(t, 'shared-name', mine, item, answer('positive'))).statusCode).toBe(201);
    expect((await t.call('POST', '/api/v1/projects', { body: { name: 'elsewhere' } })).statusCode).toBe(201);
    other = {
      maintainer: await t.keyFor('maintainer', 'elsewhere'),
      annotator: await t.keyFor('annotator', 'elsewhere'),
    };
  });
  afterAll(() => t.dispose());

  it('are not found from another project, and same names do not meet', async () => {
    const key = other.maintainer;
    for (const url of ['', '/status', '/labels', '/agreement', '/review-queue', '/guidelines', '/exports']) {
      const res = await t.call('GET', `/api/v1/annotation/projects/shared-name${url}`, { key });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await t.call('GET', '/api/v1/annotation/projects', { key })).json().items).toEqual([]);
    const theirs = await t.call('POST', '/api/v1/annotation/projects', {
      key,
      body: { name: 'shared-name', schema: SCHEMA_YAML },
    });
    expect(theirs.statusCode, theirs.body).toBe(201);
    const tasks = await t.call('POST', '/api/v1/annotation/projects/shared-name/tasks', {
      key,
      body: { source: 'dataset', version: 'reviews@v1' },
    });
    expect(tasks.statusCode).toBe(404);
    const res = await t.call('POST', `/api/v1/annotation/projects/shared-name/items/${item}/labels`, {
      key: other.annotator,
      body: { value: answer('negative') },
    });
    expect(res.statusCode).toBe(412);
    const review = await t.call('POST', `/api/v1/annotation/projects/shared-name/items/${item}/reviews`, {
      key,
      body: { decision: 'accept' },
    });
    expect(review.statusCode).toBe(404);
    const labels = (await t.call('GET', '/api/v1/annotation/projects/shared-name/labels')).json();
    expect(labels.items.map((l: { value: { sentiment: string } }) => l.value.sentiment)).toEqual([
      'positive',
    ]);
  });
});
