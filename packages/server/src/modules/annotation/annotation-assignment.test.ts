import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  addDataset,
  addTasks,
  annotators,
  answer,
  createProject,
  label,
  manualClock,
  next,
  reviewRows,
} from './annotation.test-kit.js';

describeEachBackend('annotation assignment', (backend) => {
  let t: TestPlumb;
  afterEach(() => t.dispose());

  it('never hands an item to more annotators than its overlap, however many ask at once', async () => {
    t = await createTestPlumb(backend);
    await addDataset(t, 'reviews', reviewRows(12));
    await createProject(t, 'burst', { overlap: 3 });
    await createProject(t, 'flow', { overlap: 3 });
    await addTasks(t, 'burst', { source: 'dataset', version: 'reviews@v1', limit: 2 });
    await addTasks(t, 'flow', { source: 'dataset', version: 'reviews@v1', limit: 10 });
    const keys = await annotators(t, 16);

    // Sixteen annotators ask at once for two items of overlap three: six get one.
    const burst = await Promise.all(keys.map((k) => next(t, 'burst', k)));
    const given = burst.flatMap((b) => (b.task ? [b.task.itemId] : []));
    expect(given).toHaveLength(6);
    for (const id of new Set(given)) expect(given.filter((g) => g === id)).toHaveLength(3);

    // Everyone labels until nothing is left, all at the same time.
    const work = async (key: string, who: number) => {
      for (let i = 0; ; i++) {
        const { task } = await next(t, 'flow', key);
        if (!task) return;
        expect(Object.keys(task.data)).toEqual(['id', 'text', 'lang']);
        const res = await label(
          t,
          'flow',
          key,
          task.itemId,
          answer(['positive', 'negative'][(who + i) % 2]!),
        );
        expect(res.statusCode, res.body).toBe(201);
      }
    };
    await Promise.all(keys.map((k, i) => work(k, i)));
    const items = await t.plumb.db.kysely
      .selectFrom('annotation_items')
      .innerJoin('annotation_projects', 'annotation_projects.id', 'annotation_items.annotation_project_id')
      .select(['annotation_items.id', 'taken', 'labelled', 'target'])
      .where('annotation_projects.name', '=', 'flow')
      .execute();
    expect(items).toHaveLength(10);
    for (const item of items) {
      expect(Number(item.labelled)).toBe(3);
      expect(Number(item.taken)).toBe(3);
    }
    const labels = await t.plumb.db.kysely
      .selectFrom('annotation_labels')
      .select(['item_id', 'annotator'])
      .execute();
    const pairs = new Set(labels.map((l) => `${l.item_id}/${l.annotator}`));
    expect(pairs.size).toBe(labels.length);
  });

  it('resumes the held item, takes skips with a reason, and gives expired leases back', async () => {
    const clock = manualClock();
    t = await createTestPlumb(backend, {}, { clock });
    await addDataset(t, 'reviews', reviewRows(2));
    await createProject(t, 'small', { overlap: 1, leaseMinutes: 10 });
    await addTasks(t, 'small', { source: 'dataset', version: 'reviews@v1' });
    const [a, b] = await annotators(t, 2);
    const first = (await next(t, 'small', a!)).task!;
    expect((await next(t, 'small', a!)).task!.itemId).toBe(first.itemId);
    const second = (await next(t, 'small', b!)).task!;
    expect(second.itemId).not.toBe(first.itemId);
    expect((await next(t, 'small', b!)).task!.itemId).toBe(second.itemId);

    // b skips: the item is free again, for a once a is done, never for b.
    const skip = await t.call('POST', `/api/v1/annotation/projects/small/items/${second.itemId}/skip`, {
      key: b!,
      body: { reason: 'not in a language I read' },
    });
    expect(skip.statusCode, skip.body).toBe(200);
    expect((await next(t, 'small', b!)).task).toBeNull();
    expect((await label(t, 'small', b!, second.itemId, answer('neutral'))).statusCode).toBe(412);

    // a's lease runs out: the item goes back to the pool, and the late label is refused.
    clock.advance(11 * 60_000);
    const taken = (await next(t, 'small', b!)).task!;
    expect(taken.itemId).toBe(first.itemId);
    expect((await label(t, 'small', a!, first.itemId, answer('neutral'))).statusCode).toBe(412);
    expect((await label(t, 'small', b!, first.itemId, answer('neutral'))).statusCode).toBe(201);
    expect((await label(t, 'small', b!, first.itemId, answer('neutral'))).statusCode).toBe(409);
    expect((await next(t, 'small', a!)).task!.itemId).toBe(second.itemId);

    const audit = await t.call('GET', '/api/v1/audit?limit=100');
    const actions = audit.json().items.map((r: { action: string }) => r.action);
    expect(actions).toContain('annotation.item.skip');
    expect(actions).toContain('annotation.label.create');
  });
});
