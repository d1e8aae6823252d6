import type { KyselyPlugin, PluginTransformQueryArgs, RootOperationNode } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import type { Infra } from '../../module.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { runsModule } from './runs.module.js';
import type { MetricPointInput, RunsService } from './runs.service.js';

// The largest batch a request may carry; what logging it costs is measured in bench/runs.
const N = 10_000;

function points(n: number, key = 'loss'): MetricPointInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key,
    value: 1 / (i + 1),
    step: i,
    time: 1_700_000_000_000 + i,
  }));
}

/** Fails the statement that appends the audit record: the last write of every mutation. */
function failingAuditInsert(): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const node = args.node;
      if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'audit_records') {
        throw new Error('simulated failure after the points were written');
      }
      return node;
    },
    transformResult: async (args) => args.result,
  };
}

describeEachBackend('run metrics', (backend) => {
  let t: TestPlumb;
  let runs: RunsService;
  let ctx: RequestContext;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    runs = t.plumb.services.runs;
    ctx = t.adminCtx;
  });
  afterEach(() => t.dispose());

  const newRun = () =>
    runs.create(ctx, { name: 'batch', params: {}, tags: {}, codeVersion: null, inputs: [] });
  const count = async (runId: string) =>
    Number(
      (
        await t.plumb.db.kysely
          .selectFrom('run_metrics')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('run_id', '=', runId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it(`logs ${N} points as one transaction and one audit record`, async () => {
    const run = await newRun();
    expect(await runs.logMetrics(ctx, run.id, points(N))).toEqual({ runId: run.id, accepted: N });
    const response = await t.call('POST', `/api/v1/runs/${run.id}/metrics`, {
      body: { points: points(N, 'val_loss') },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ runId: run.id, accepted: N });

    expect(await count(run.id)).toBe(2 * N);
    const got = await runs.get(ctx, run.id);
    expect(got.metrics).toEqual([
      { key: 'loss', value: 1 / N, step: N - 1, time: new Date(1_700_000_000_000 + N - 1).toISOString() },
      { key: 'val_loss', value: 1 / N, step: N - 1, time: new Date(1_700_000_000_000 + N - 1).toISOString() },
    ]);
    const trail = (await t.call('GET', `/api/v1/audit?resource=run:${run.id}&action=run.log_metrics`)).json();
    expect(trail.items.map((r: { change: { points: number; firstSeq: number } }) => r.change)).toMatchObject([
      { points: N, keys: ['val_loss'], firstSeq: N },
      { points: N, keys: ['loss'], firstSeq: 0 },
    ]);

    // Full history comes back in step order across pages.
    const steps: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { step: number }[]; nextCursor: string | null } = await runs.metricHistory(
        ctx,
        run.id,
        { key: 'loss', limit: 3_000, ...(cursor ? { cursor } : {}) },
      );
      steps.push(...page.items.map((p) => p.step));
      cursor = page.nextCursor;
    } while (cursor);
    expect(steps).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('a failure late in the transaction rolls back every point already written', async () => {
    const run = await newRun();
    // The runs module as the composition wires it, over a database that fails the audit insert.
    const failing = runsModule.create(
      {
        db: { ...t.plumb.db, kysely: t.plumb.db.kysely.withPlugin(failingAuditInsert()) },
        audit: t.plumb.services.audit,
        clock: systemClock,
      } as Infra,
      { datasets: t.plumb.services.datasets, blobService: t.plumb.services.blobService },
    ).runs;
    await expect(failing.logMetrics(ctx, run.id, points(N))).rejects.toThrow(/simulated failure/);
    expect(await count(run.id)).toBe(0);
    const got = await runs.get(ctx, run.id);
    expect(got.metrics).toEqual([]);
    // The run's point counter rolled back too: the next batch starts at seq 0.
    await runs.logMetrics(ctx, run.id, points(3));
    const trail = (await t.call('GET', `/api/v1/audit?resource=run:${run.id}&action=run.log_metrics`)).json();
    expect(trail.items.map((r: { change: { firstSeq: number } }) => r.change.firstSeq)).toEqual([0]);
  });

  it('a batch with one bad point is refused whole, naming the point', async () => {
    const run = await newRun();
    const cases: [unknown, RegExp][] = [
      [{ key: 'loss', value: null, step: 1 }, /points\.9999\.value: must be a finite number, got null/],
      [{ key: 'loss', value: 1, step: -1 }, /points\.9999\.step: must be a non-negative integer/],
      [{ key: 'loss', value: 1, step: 1.5 }, /points\.9999\.step: must be a non-negative integer/],
      [{ key: '', value: 1, step: 1 }, /points\.9999\.key: must not be empty/],
      [{ key: 'k'.repeat(251), value: 1, step: 1 }, /points\.9999\.key: must be at most 250 characters/],
      [{ key: 'loss', value: '1', step: 1 }, /points\.9999\.value: must be a finite number, got "1"/],
    ];
    for (const [bad, message] of cases) {
      const body = { points: [...points(N - 1), bad] };
      const response = await t.call('POST', `/api/v1/runs/${run.id}/metrics`, { body });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.message).toMatch(message);
      expect(response.json().error.details.issues).toHaveLength(1);
    }
    const tooMany = await t.call('POST', `/api/v1/runs/${run.id}/metrics`, {
      body: { points: points(N + 1) },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(await count(run.id)).toBe(0);
  });

  it('keeps the latest value by step, then time, then log order', async () => {
    const run = await newRun();
    await runs.logMetrics(ctx, run.id, [
      { key: 'a', value: 1, step: 5, time: 100 },
      { key: 'a', value: 2, step: 5, time: 50 },
    ]);
    expect((await runs.get(ctx, run.id)).metrics[0]).toMatchObject({ value: 1, step: 5 });
    await runs.logMetrics(ctx, run.id, [{ key: 'a', value: 3, step: 4, time: 999 }]);
    expect((await runs.get(ctx, run.id)).metrics[0]).toMatchObject({ value: 1, step: 5 });
    await runs.logMetrics(ctx, run.id, [{ key: 'a', value: 4, step: 5, time: 100 }]);
    expect((await runs.get(ctx, run.id)).metrics[0]).toMatchObject({ value: 4, step: 5 });
    await runs.logMetrics(ctx, run.id, [{ key: 'a', value: 5, step: 6, time: 0 }]);
    expect((await runs.get(ctx, run.id)).metrics[0]).toMatchObject({ value: 5, step: 6 });
  });

  it('stores any key text and any finite double exactly', async () => {
    const run = await newRun();
    const keys = ['train/loss', 'a,"b"\\{c}', 'NULL', 'ключ 🙂', ' '];
    const values = [Number.MIN_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1e-300, 123456789.12345679, -7];
    await runs.logMetrics(
      ctx,
      run.id,
      keys.flatMap((key) => values.map((value, step) => ({ key, value, step }))),
    );
    for (const key of keys) {
      const history = await runs.metricHistory(ctx, run.id, { key, limit: 100 });
      expect(history.items.map((p) => p.value)).toEqual(values);
    }
  });

  it('accepts ISO times and defaults the time to the server clock', async () => {
    const run = await newRun();
    const before = Date.now();
    await runs.logMetrics(ctx, run.id, [
      { key: 'iso', value: 1, step: 0, time: '2024-05-01T12:00:00+02:00' },
      { key: 'now', value: 1, step: 0 },
    ]);
    const got = Object.fromEntries((await runs.get(ctx, run.id)).metrics.map((m) => [m.key, m.time]));
    expect(got.iso).toBe('2024-05-01T10:00:00.000Z');
    expect(Date.parse(got.now!)).toBeGreaterThanOrEqual(before);
  });
});
