import type { InferenceEvent, Page } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../storage/queue/manual-clock.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { InferenceEventInput } from './events.contract.js';
import { RETENTION_QUEUE } from './events.module.js';
import { EventsService } from './events.service.js';

const event = (over: Partial<InferenceEventInput> = {}): InferenceEventInput => ({
  projectId: 'prj_x',
  endpoint: 'churn',
  modelVersion: 'churn@v1',
  modelVersionId: 'mv_1',
  arm: 'primary',
  inputs: { tenure: 3 },
  outputs: { label: 'stay' },
  latencyMs: 4.5,
  ...over,
});

describeEachBackend('inference log over HTTP', (backend) => {
  let t: TestPlumb;
  let service: string;
  let viewer: string;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    service = await t.keyFor('service');
    viewer = await t.keyFor('viewer');
  });
  afterEach(() => t.dispose());

  const list = async (query: string, key = viewer): Promise<Page<InferenceEvent>> => {
    const res = await t.call('GET', `/api/v1/events${query}`, { key });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('records a batch once committed and lists it back with every field; unknown tokens stay null', async () => {
    const res = await t.call('POST', '/api/v1/events', {
      key: service,
      body: {
        events: [
          {
            id: 'prd_app_1',
            time: '2030-01-01T00:00:00.000Z',
            endpoint: 'support-bot',
            modelVersion: 'bot@v2',
            arm: 'fallback',
            inputs: { q: 'hi' },
            outputs: { text: 'hello' },
            confidence: 0.75,
            latencyMs: 120,
            promptTokens: 12,
            completionTokens: 0,
            costUsd: 0.0004,
            tags: { team: 'care', tenant: 'acme' },
            traceId: 'trace-1',
            error: null,
          },
          { outputs: 1 },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { ids } = res.json() as { ids: string[] };
    expect(ids[0]).toBe('prd_app_1');
    expect(ids[1]).toMatch(/^prd_/);

    const page = await list('?limit=10');
    expect(page.items.map((e) => e.id).sort()).toEqual([...ids].sort());
    const first = page.items.find((e) => e.id === 'prd_app_1')!;
    expect(first).toMatchObject({
      time: '2030-01-01T00:00:00.000Z',
      endpoint: 'support-bot',
      modelVersion: 'bot@v2',
      arm: 'fallback',
      inputs: { q: 'hi' },
      outputs: { text: 'hello' },
      confidence: 0.75,
      latencyMs: 120,
      promptTokens: 12,
      completionTokens: 0,
      costUsd: 0.0004,
      tags: { team: 'care', tenant: 'acme' },
      traceId: 'trace-1',
      feedback: null,
    });
    const second = page.items.find((e) => e.id === ids[1])!;
    // Nothing sent is unknown, not zero.
    expect(second).toMatchObject({
      arm: 'primary',
      endpoint: null,
      promptTokens: null,
      completionTokens: null,
      costUsd: null,
      latencyMs: null,
      inputs: null,
      outputs: 1,
    });
  });

  it('refuses a whole batch with a bad item, naming its index, and records none of it', async () => {
    const res = await t.call('POST', '/api/v1/events', {
      key: service,
      body: { events: [{ outputs: 1 }, { outputs: 2 }, { outputs: 3, arm: 'blue' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_argument');
    expect(res.json().error.message).toContain('events.2.arm');
    expect((await list('')).items).toEqual([]);
  });

  it('refuses a batch repeating a recorded id as already_exists, recording none of it', async () => {
    await t.plumb.services.events.record([
      event({ id: 'prd_dup', projectId: t.adminCtx.principal.projectId }),
    ]);
    const res = await t.call('POST', '/api/v1/events', {
      key: service,
      body: { events: [{ id: 'prd_new' }, { id: 'prd_dup' }] },
    });
    expect(res.json().error.code).toBe('already_exists');
    expect((await list('')).items.map((e) => e.id)).toEqual(['prd_dup']);
  });

  it("attaches feedback by id, answers unknown ids back, and treats other projects' predictions as unknown", async () => {
    const projectId = t.adminCtx.principal.projectId;
    const other = await t.plumb.services.projects.create(t.adminCtx, { name: 'elsewhere' });
    await t.plumb.services.events.record([
      event({ id: 'prd_mine', projectId }),
      event({ id: 'prd_theirs', projectId: other.id }),
    ]);
    const res = await t.call('POST', '/api/v1/feedback', {
      key: service,
      body: {
        feedback: [
          { predictionId: 'prd_mine', label: 'churned', time: '2030-01-05T00:00:00.000Z' },
          { predictionId: 'prd_theirs', label: 'stayed' },
          { predictionId: 'prd_never', value: 1 },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ recorded: 1, unknown: ['prd_theirs', 'prd_never'] });

    // A later post corrects the truth.
    await t.call('POST', '/api/v1/feedback', {
      key: service,
      body: { feedback: [{ predictionId: 'prd_mine', label: 'stayed', value: 0.5 }] },
    });
    const [mine] = (await list('')).items;
    expect(mine!.feedback).toMatchObject({ label: 'stayed', value: 0.5 });

    const empty = await t.call('POST', '/api/v1/feedback', {
      key: service,
      body: { feedback: [{ predictionId: 'prd_mine' }] },
    });
    expect(empty.json().error).toMatchObject({ code: 'invalid_argument' });
    expect(empty.json().error.message).toContain('label or a value');
  });

  it('filters by endpoint, version, arm, time and tag, and pages newest first with the cursor', async () => {
    const projectId = t.adminCtx.principal.projectId;
    const at = (m: number) => new Date(Date.UTC(2030, 0, 1, 0, m)).toISOString();
    await t.plumb.services.events.record([
      event({ projectId, id: 'prd_a', time: at(0), endpoint: 'churn', tags: { tenant: 'acme' } }),
      event({
        projectId,
        id: 'prd_b',
        time: at(1),
        endpoint: 'churn',
        arm: 'canary',
        modelVersion: 'churn@v2',
      }),
      event({
        projectId,
        id: 'prd_c',
        time: at(2),
        endpoint: 'fraud',
        tags: { tenant: 'acme', team: 'risk' },
      }),
      event({ projectId, id: 'prd_d', time: at(3), endpoint: 'churn', tags: { tenant: 'globex' } }),
      event({ projectId, id: 'prd_e', time: at(4), endpoint: null, arm: 'shadow' }),
    ]);
    const ids = async (q: string) => (await list(q)).items.map((e) => e.id);
    expect(await ids('')).toEqual(['prd_e', 'prd_d', 'prd_c', 'prd_b', 'prd_a']);
    expect(await ids('?endpoint=churn')).toEqual(['prd_d', 'prd_b', 'prd_a']);
    expect(await ids('?version=churn@v2')).toEqual(['prd_b']);
    expect(await ids('?arm=shadow')).toEqual(['prd_e']);
    expect(await ids(`?from=${at(1)}&to=${at(3)}`)).toEqual(['prd_c', 'prd_b']);
    expect(await ids('?tag=tenant:acme')).toEqual(['prd_c', 'prd_a']);
    expect(await ids('?tag=tenant:acme&tag=team:risk')).toEqual(['prd_c']);
    expect(await ids('?endpoint=churn&tag=tenant:globex')).toEqual(['prd_d']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<InferenceEvent> = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['prd_e', 'prd_d', 'prd_c', 'prd_b', 'prd_a']);

    const bad = await t.call('GET', `/api/v1/events?from=${at(3)}&to=${at(1)}`, { key: viewer });
    expect(bad.json().error).toMatchObject({ code: 'invalid_argument' });
    const badTag = await t.call('GET', '/api/v1/events?tag=tenant', { key: viewer });
    expect(badTag.json().error.message).toContain('key:value');
  });

  it('in commit order the cursor past the end follows events committed later, whatever their time', async () => {
    const projectId = t.adminCtx.principal.projectId;
    await t.plumb.services.events.record([event({ projectId, id: 'prd_old' })]);
    expect((await list('?order=asc')).items.map((e) => e.id)).toEqual(['prd_old']);
    // Starting at the end finds nothing, and points there.
    const start = await list('?order=asc&endpoint=churn&start=end');
    expect(start.items).toEqual([]);
    await t.plumb.services.events.record([
      event({ projectId, id: 'prd_new1', time: '2001-01-01T00:00:00.000Z' }),
      event({ projectId, id: 'prd_other', endpoint: 'fraud' }),
      event({ projectId, id: 'prd_new2' }),
    ]);
    const next = await list(`?order=asc&endpoint=churn&limit=1&cursor=${start.nextCursor}`);
    expect(next.items.map((e) => e.id)).toEqual(['prd_new1']);
    const last = await list(`?order=asc&endpoint=churn&cursor=${next.nextCursor}`);
    expect(last.items.map((e) => e.id)).toEqual(['prd_new2']);
    const none = await list(`?order=asc&endpoint=churn&cursor=${last.nextCursor}`);
    expect(none.items).toEqual([]);
    // A cursor of the other order is refused, not misread.
    const wrong = await t.call('GET', `/api/v1/events?cursor=${last.nextCursor}`, { key: viewer });
    expect(wrong.json().error).toMatchObject({ code: 'invalid_argument' });
  });

  it('grants writing events and feedback to service keys and reading to viewers, not the reverse', async () => {
    const annotator = await t.keyFor('annotator');
    const post = (key: string) => t.call('POST', '/api/v1/events', { key, body: { events: [{}] } });
    expect((await post(service)).statusCode).toBe(201);
    expect((await post(viewer)).statusCode).toBe(403);
    expect((await post(annotator)).statusCode).toBe(403);
    expect((await t.call('GET', '/api/v1/events', { key: service })).statusCode).toBe(403);
    expect((await t.call('GET', '/api/v1/events', { key: viewer })).statusCode).toBe(200);
    const feedback = (key: string) =>
      t.call('POST', '/api/v1/feedback', { key, body: { feedback: [{ predictionId: 'prd_x', value: 1 }] } });
    expect((await feedback(service)).statusCode).toBe(200);
    expect((await feedback(viewer)).statusCode).toBe(403);
  });

  it('runs retention as a background job of its queue', async () => {
    const projectId = t.adminCtx.principal.projectId;
    const old = Date.now() - 31 * 86_400_000;
    // Recorded 31 days ago: written as the writer would have then.
    await t.plumb.services.events.repo.insertEvents([
      {
        id: 'prd_expired',
        project_id: projectId,
        time: old,
        received_at: old,
        endpoint: 'churn',
        model_version: null,
        model_version_id: null,
        arm: 'primary',
        inputs: 'null',
        outputs: 'null',
        label: null,
        score: null,
        confidence: null,
        latency_ms: null,
        prompt_tokens: null,
        completion_tokens: null,
        cost_usd: null,
        tags: '{}',
        trace_id: null,
        error: null,
      },
    ]);
    await t.plumb.services.events.record([event({ projectId, id: 'prd_fresh' })]);
    const job = await t.plumb.services.jobs.enqueue(RETENTION_QUEUE, null);
    t.plumb.worker.start();
    let done = await t.plumb.services.jobs.get(job.id);
    for (let i = 0; i < 500 && done?.status !== 'succeeded' && done?.status !== 'dead'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      done = await t.plumb.services.jobs.get(job.id);
    }
    expect(done).toMatchObject({ status: 'succeeded', result: { deleted: 1 } });
    expect((await list('')).items.map((e) => e.id)).toEqual(['prd_fresh']);
  });

  it('declares the hourly retention schedule', async () => {
    const schedules = await t.plumb.services.jobs.listSchedules();
    expect(schedules.find((s) => s.name === RETENTION_QUEUE)).toMatchObject({
      queue: RETENTION_QUEUE,
      cron: '7 * * * *',
    });
  });
});

describeEachBackend('inference log service', (backend) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let events: EventsService;

  beforeEach(async () => {
    database = await createTestDatabase(backend);
    clock = new ManualClock(Date.UTC(2030, 5, 1));
    events = new EventsService(database.db, clock, { maxBatch: 64, maxDelayMs: 2, retentionDays: 30 });
  });
  afterEach(async () => {
    await events.close();
    await database.dispose();
  });

  it('commits every one of many concurrent single-event callers, in fewer transactions than callers', async () => {
    // On the server's own connection, where the transactions can be counted.
    await events.close();
    events = new EventsService(database.db, clock, {
      maxBatch: 64,
      maxDelayMs: 2,
      retentionDays: 30,
      writerThread: false,
    });
    let transactions = 0;
    const insert = events.repo.insertEvents.bind(events.repo);
    events.repo.insertEvents = async (rows) => {
      transactions += 1;
      await insert(rows);
    };
    const ids = await Promise.all(
      Array.from({ length: 300 }, (_, i) => events.record([event({ score: i })])),
    );
    expect(await events.repo.count('prj_x')).toBe(300);
    expect(new Set(ids.flat()).size).toBe(300);
    expect(transactions).toBeLessThan(300);
  });

  it('rejects a caller whose commit fails, and only that caller', async () => {
    await events.record([event({ id: 'prd_taken' })]);
    const results = await Promise.allSettled([
      events.record([event({ id: 'prd_ok1' })]),
      events.record([event({ id: 'prd_taken' })]),
      events.record([event({ id: 'prd_ok2' })]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'already_exists' });
    expect(await events.repo.count('prj_x')).toBe(3);
  });

  it('refuses an event without an arm it knows, naming its index', async () => {
    await expect(
      events.record([event(), event({ arm: 'blue' as InferenceEventInput['arm'] })]),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('event 1: arm "blue"'),
    });
    expect(await events.repo.count()).toBe(0);
  });

  it('retention deletes events recorded longer ago than the period, and their feedback, in bounded batches', async () => {
    const day = 86_400_000;
    const ctx = {
      principal: { keyId: 'k', keyName: 'k', role: 'service' as const, projectId: 'prj_x', projectName: 'x' },
      requestId: 't',
    };
    const start = clock.now().getTime();
    await events.record(Array.from({ length: 7 }, (_, i) => event({ id: `prd_old${i}` })));
    await events.feedback(ctx, [{ predictionId: 'prd_old0', label: 'x', value: null }]);
    clock.advance(2 * day);
    // A backfill: made long ago, recorded now, so kept for the whole period from now.
    await events.record([event({ id: 'prd_backfill', time: new Date(start - 100 * day).toISOString() })]);
    await events.feedback(ctx, [{ predictionId: 'prd_backfill', label: 'y', value: null }]);
    clock.advance(29 * day);

    let transactions = 0;
    const remove = events.repo.deleteRecordedBefore.bind(events.repo);
    events.repo.deleteRecordedBefore = async (cutoff, limit) => {
      transactions += 1;
      const step = await remove(cutoff, limit);
      expect(step.deleted).toBeLessThanOrEqual(limit);
      return step;
    };
    const result = await events.applyRetention(3);
    expect(result).toEqual({ deleted: 7, cutoff: new Date(start + day).toISOString() });
    // 3 + 3 + 1, the last stopping at the backfill.
    expect(transactions).toBe(3);
    const left = await events.list(ctx, { limit: 50, order: 'desc', start: 'beginning' });
    expect(left.items.map((e) => e.id)).toEqual(['prd_backfill']);
    expect(left.items[0]!.feedback).toMatchObject({ label: 'y' });
    // Feedback of a deleted prediction went with it: the id is unknown now.
    expect(await events.feedback(ctx, [{ predictionId: 'prd_old0', label: 'z', value: null }])).toEqual({
      recorded: 0,
      unknown: ['prd_old0'],
    });
    const rows = await database.db.kysely.selectFrom('inference_feedback').select('prediction_id').execute();
    expect(rows.map((r) => r.prediction_id)).toEqual(['prd_backfill']);
    expect((await events.applyRetention(3)).deleted).toBe(0);

    clock.advance(2 * day);
    expect((await events.applyRetention(3)).deleted).toBe(1);
    expect(await events.repo.count()).toBe(0);
  });
});
