import type { AnnotationExport, ReviewTask } from '@plumb/sdk';
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
  next,
  reviewRows,
} from './annotation.test-kit.js';

describeEachBackend('annotation review, consensus and export', (backend) => {
  let t: TestPlumb;
  afterEach(() => t.dispose());

  /** Each of the keys labels every item it is given, answering `pick(item ordinal, key index)`. */
  async function labelAll(project: string, keys: string[], pick: (id: number, k: number) => string) {
    const items: Record<number, string> = {};
    for (const [k, key] of keys.entries()) {
      for (;;) {
        const { task } = await next(t, project, key);
        if (!task) break;
        items[task.data.id as number] = task.itemId;
        const res = await label(t, project, key, task.itemId, answer(pick(task.data.id as number, k)));
        expect(res.statusCode, res.body).toBe(201);
      }
    }
    return items;
  }

  const queue = async (project: string, key?: string) =>
    (await t.call('GET', `/api/v1/annotation/projects/${project}/review-queue`, key ? { key } : {})).json()
      .items as ReviewTask[];
  const review = (project: string, item: string, body: unknown, key?: string) =>
    t.call('POST', `/api/v1/annotation/projects/${project}/items/${item}/reviews`, {
      body,
      ...(key ? { key } : {}),
    });

  it('agrees by majority, adjudicates disagreements, lets reviewers settle them, and exports with lineage', async () => {
    t = await createTestPlumb(backend);
    await addDataset(t, 'reviews', reviewRows(6), 'lang');
    await createProject(t, 'majority', {
      overlap: 3,
      consensus: { rule: 'majority', minAgreement: 0.6 },
      adjudicationThreshold: 0.3,
    });
    // Only the English rows: ids 0, 2 and 4.
    expect(
      await addTasks(t, 'majority', { source: 'dataset', version: 'reviews@v1', slices: ['en'] }),
    ).toEqual({
      added: 3,
      alreadyPresent: 0,
    });
    expect(
      await addTasks(t, 'majority', { source: 'dataset', version: 'reviews@v1', slices: ['en'] }),
    ).toEqual({
      added: 0,
      alreadyPresent: 3,
    });
    const keys = await annotators(t, 3);
    // Item 0: all positive. Item 2: two of three negative. Item 4: three different answers.
    const script: Record<number, string[]> = {
      0: ['positive', 'positive', 'positive'],
      2: ['negative', 'negative', 'neutral'],
      4: ['positive', 'negative', 'neutral'],
    };
    // The guidelines change after the first annotator's labels: later ones record version 2.
    const itemOf = await labelAll('majority', keys.slice(0, 1), (id, k) => script[id]![k]!);
    const v2 = await t.call('POST', '/api/v1/annotation/projects/majority/guidelines', {
      body: { markdown: '# v2' },
    });
    expect(v2.json().version).toBe(2);
    await labelAll('majority', keys.slice(1), (id, k) => script[id]![k + 1]!);

    const status = (await t.call('GET', '/api/v1/annotation/projects/majority/status')).json();
    expect(status.items).toMatchObject({ total: 3, agreed: 2, adjudication: 1, open: 0 });
    expect(status.guidelinesVersion).toBe(2);
    const waiting = await queue('majority');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ reason: 'adjudication', consensus: null, data: { id: 4 } });
    expect(waiting[0]!.labels.map((l) => l.value.sentiment).sort()).toEqual([
      'negative',
      'neutral',
      'positive',
    ]);
    const disputed = waiting[0]!.itemId;

    // Annotators see no review queue; nothing agreed can be accepted; the reviewer settles it.
    expect(
      (await t.call('GET', '/api/v1/annotation/projects/majority/review-queue', { key: keys[0]! }))
        .statusCode,
    ).toBe(403);
    const approver = await t.keyFor('approver');
    expect((await review('majority', disputed, { decision: 'accept' }, approver)).statusCode).toBe(412);
    const settled = await review(
      'majority',
      disputed,
      { decision: 'override', value: answer('neutral'), note: 'sarcasm' },
      approver,
    );
    expect(settled.statusCode, settled.body).toBe(201);
    expect(await queue('majority')).toHaveLength(0);
    expect(
      (await review('majority', disputed, { decision: 'override', value: answer('positive') }, approver))
        .statusCode,
    ).toBe(412);

    // An edit moves item 2's majority: it stays agreed, now on the new answer.
    const labels = (
      await t.call('GET', `/api/v1/annotation/projects/majority/labels?item=${itemOf[2]}`)
    ).json();
    expect(labels.items.map((l: { value: { sentiment: string } }) => l.value.sentiment).sort()).toEqual([
      'negative',
      'negative',
      'neutral',
    ]);
    expect((await t.call('GET', '/api/v1/annotation/projects/majority/labels')).json().items).toHaveLength(9);
    const edited = await t.call(
      'PUT',
      `/api/v1/annotation/projects/majority/items/${itemOf[2]}/labels/mine`,
      {
        key: keys[2]!,
        body: { value: answer('negative') },
      },
    );
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().label.revision).toBe(2);
    // Labels on a settled item are final.
    const late = await t.call('PUT', `/api/v1/annotation/projects/majority/items/${disputed}/labels/mine`, {
      key: keys[0]!,
      body: { value: answer('neutral') },
    });
    expect(late.statusCode).toBe(412);

    const exported = await t.call('POST', '/api/v1/annotation/projects/majority/exports', {
      body: { to: 'reviews-labelled' },
    });
    expect(exported.statusCode, exported.body).toBe(201);
    const x = exported.json() as AnnotationExport;
    expect(x).toMatchObject({ datasetVersion: 'reviews-labelled@v1', rows: 3, leftOut: 0 });
    expect(x.lineage.sources).toEqual([{ kind: 'dataset', ref: 'reviews@v1' }]);
    expect(x.lineage.guidelineVersions).toEqual([1, 2]);
    expect(x.lineage.annotators).toHaveLength(3);
    expect(x.lineage.agreement.questions[0]!.question).toBe('sentiment');
    const version = (await t.call('GET', '/api/v1/datasets/reviews-labelled/versions/v1')).json();
    expect(version.parents).toEqual(['reviews@v1']);
    expect(version.tags).toMatchObject({
      'annotation.project': 'majority',
      'annotation.guidelines': 'v1,v2',
      'annotation.export': x.id,
    });
    const rows = (await t.call('GET', '/api/v1/datasets/reviews-labelled/versions/v1/rows?limit=10')).json();
    const col = (name: string) => rows.columns.findIndex((c: { name: string }) => c.name === name);
    const byId = Object.fromEntries(rows.rows.map((r: unknown[]) => [r[col('id')], r[col('sentiment')]]));
    expect(byId).toEqual({ 0: 'positive', 2: 'negative', 4: 'neutral' });
    expect(rows.rows.every((r: unknown[]) => typeof r[col('_annotation_item')] === 'string')).toBe(true);
    expect((await t.call('GET', '/api/v1/annotation/projects/majority/exports')).json().items[0].id).toBe(
      x.id,
    );

    // Every label, edit, review and the export are in the audit chain, and the chain holds.
    const audit = (await t.call('GET', '/api/v1/audit?limit=200')).json().items as { action: string }[];
    const count = (a: string) => audit.filter((r) => r.action === a).length;
    expect(count('annotation.label.create')).toBe(9);
    expect(count('annotation.label.edit')).toBe(1);
    expect(count('annotation.review')).toBe(1);
    expect(count('annotation.export')).toBe(1);
    expect((await t.call('POST', '/api/v1/audit/verify')).json().ok).toBe(true);
  });

  it("samples agreed items for spot checks, and under the reviewer rule every item is the reviewer's decision", async () => {
    t = await createTestPlumb(backend);
    await addDataset(t, 'reviews', reviewRows(2));
    await createProject(t, 'spot', { overlap: 2, spotCheckRate: 1 });
    await createProject(t, 'decided', { overlap: 2, consensus: { rule: 'reviewer' } });
    await addTasks(t, 'spot', { source: 'dataset', version: 'reviews@v1' });
    await addTasks(t, 'decided', { source: 'dataset', version: 'reviews@v1' });
    const keys = await annotators(t, 2);
    await labelAll('spot', keys, () => 'positive');
    // A maintainer labels too, and so may not settle these items.
    const maintainer = await t.keyFor('maintainer');
    await labelAll('decided', [keys[0]!, maintainer], () => 'positive');

    const spot = await queue('spot');
    expect(spot.map((s) => s.reason)).toEqual(['spot_check', 'spot_check']);
    expect(spot[0]!.consensus).toMatchObject({ sentiment: 'positive' });
    const approver = await t.keyFor('approver');
    expect((await review('spot', spot[0]!.itemId, { decision: 'accept' }, approver)).statusCode).toBe(201);
    expect(await queue('spot')).toHaveLength(1);

    const decided = await queue('decided');
    expect(decided.map((s) => s.reason)).toEqual(['review', 'review']);
    expect(decided[0]!.consensus).toBeNull();
    const own = await review(
      'decided',
      decided[0]!.itemId,
      { decision: 'override', value: answer('negative') },
      maintainer,
    );
    expect(own.statusCode).toBe(403);
    const result = await review(
      'decided',
      decided[0]!.itemId,
      { decision: 'override', value: answer('negative') },
      approver,
    );
    expect(result.statusCode, result.body).toBe(201);
    const x = await t.call('POST', '/api/v1/annotation/projects/decided/exports', {
      body: { to: 'decided' },
    });
    expect(x.json()).toMatchObject({ rows: 1, leftOut: 1 });
  });
});
