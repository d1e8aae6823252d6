import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert, AlertEvaluation, AlertNotification, AlertWithDeliveries } from '@plumb/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { DELIVER_QUEUE } from './webhook-delivery.js';

const SECRET = 'a-webhook-secret-of-some-length';
const hour = (h: number, minutes = 0) => new Date(Date.UTC(2026, 2, 1, h, minutes)).toISOString();

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 answering the statuses it is given, then 200. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  answers: number[];
  server: Server;
}> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answers.shift() ?? 200;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, answers, server };
}

describeEachBackend('alerts', (backend) => {
  let t: TestPlumb;
  let now = Date.parse(hour(12, 30));
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const told: unknown[] = [];

  beforeAll(async () => {
    t = await createTestPlumb(backend, {}, { clock: { now: () => new Date(now) } });
    receiver = await startReceiver();
    t.plumb.services.alerts.onOpened((a) => {
      told.push(a);
    });
    t.plumb.services.alerts.onOpened(() => {
      throw new Error('the pipeline could not start');
    });
  });
  afterAll(async () => {
    receiver.server.close();
    await t.dispose();
  });

  const post = async (url: string, body?: unknown, key?: string) => {
    const res = await t.call('POST', url, {
      ...(body === undefined ? {} : { body }),
      ...(key ? { key } : {}),
    });
    return res;
  };
  const events = async (h: number, rows: { error?: string; latencyMs?: number }[]) => {
    const res = await post('/api/v1/events', {
      events: rows.map((r, i) => ({
        time: hour(h, i),
        endpoint: 'churn',
        modelVersion: 'churn@v1',
        latencyMs: 10,
        ...r,
      })),
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const evaluate = async () => {
    const res = await post('/api/v1/alerts/evaluate');
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as AlertEvaluation;
  };
  /** Runs the due delivery job once, as a worker would; returns what the attempt threw. */
  const runDelivery = async (): Promise<unknown> => {
    const { jobs, alerts } = t.plumb.services;
    const job = await jobs.claim([DELIVER_QUEUE], 'test-worker', 60_000);
    if (!job) return 'no job due';
    try {
      await alerts.deliver(job.payload as never, job.attempts);
      await jobs.complete(job.id, 'test-worker', null);
      return null;
    } catch (error) {
      await jobs.fail(job.id, 'test-worker', error);
      return error;
    }
  };

  it('refuses rules to keys without alerts:write, and rules missing what they need', async () => {
    const viewer = await t.keyFor('viewer');
    const body = { name: 'x', endpoint: 'churn', metric: 'error_rate', threshold: 0.1 };
    expect((await post('/api/v1/alert-rules', body, viewer)).statusCode).toBe(403);
    expect((await post('/api/v1/alert-rules', { ...body, threshold: undefined })).statusCode).toBe(400);
    expect((await post('/api/v1/alert-rules', { ...body, webhookUrl: receiver.url })).statusCode).toBe(400);
    expect((await post('/api/v1/alert-rules', { ...body, metric: 'feature_drift' })).statusCode).toBe(400);
  });

  it('opens once after the windows in a row, notifies a signed webhook, and retries after 500s', async () => {
    await events(10, [{ error: 'boom' }, { error: 'boom' }, {}, {}]);
    await events(11, [{ error: 'boom' }, {}, {}, {}]);
    const rule = await post('/api/v1/alert-rules', {
      name: 'errors',
      endpoint: 'churn',
      metric: 'error_rate',
      threshold: 0.2,
      consecutive: 2,
      webhookUrl: receiver.url,
      webhookSecret: SECRET,
    });
    expect(rule.statusCode, rule.body).toBe(201);
    expect(rule.json()).not.toHaveProperty('webhookSecret');

    const first = await evaluate();
    expect(first.opened).toHaveLength(1);
    const alert = first.opened[0]!;
    expect(first.listenerErrors).toEqual([{ alertId: alert.id, message: 'the pipeline could not start' }]);
    expect(alert).toMatchObject({
      status: 'open',
      subject: 'churn@v1',
      value: 0.25,
      threshold: 0.2,
      runStart: hour(10),
    });
    expect(alert.dedupKey).toBe(`${rule.json().id}:churn@v1:${hour(10)}`);
    expect(told).toEqual([
      {
        id: alert.id,
        projectId: t.adminCtx.principal.projectId,
        ruleId: rule.json().id,
        ruleName: 'errors',
        endpoint: 'churn',
        dedupKey: alert.dedupKey,
        openedAt: alert.openedAt,
      },
    ]);
    // Still breaching: the alert stays open and nothing is sent again.
    expect((await evaluate()).opened).toEqual([]);
    expect(await t.plumb.services.jobs.list({ queue: DELIVER_QUEUE })).toHaveLength(1);

    receiver.answers.push(500, 500);
    expect(await runDelivery()).toMatchObject({ code: 'unavailable' });
    expect(await runDelivery()).toBe('no job due'); // backing off
    now += 5_000;
    expect(await runDelivery()).toMatchObject({ code: 'unavailable' });
    now += 60_000;
    expect(await runDelivery()).toBeNull();

    expect(receiver.received).toHaveLength(3);
    for (const r of receiver.received) {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-plumb-signature']));
      expect(m).not.toBeNull();
      const expected = createHmac('sha256', SECRET).update(`${m![1]}.${r.body}`).digest('hex');
      expect(m![2]).toBe(expected);
      const note = JSON.parse(r.body) as AlertNotification;
      expect(note.event).toBe('opened');
      expect(note.alert.id).toBe(alert.id);
    }
    const ids = new Set(receiver.received.map((r) => r.headers['x-plumb-delivery']));
    expect(ids.size).toBe(1);

    const shown = (await t.call('GET', `/api/v1/alerts/${alert.id}`)).json() as AlertWithDeliveries;
    expect(shown.deliveries.map((d) => [d.attempt, d.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it('resolves once a window no longer meets the condition, and notifies that too', async () => {
    await events(12, [{}, {}, {}, {}]);
    now = Date.parse(hour(13, 5));
    const result = await evaluate();
    expect(result.opened).toEqual([]);
    expect(result.resolved.map((a) => [a.status, a.resolution])).toEqual([['resolved', 'cleared']]);
    expect(await runDelivery()).toBeNull();
    expect(JSON.parse(receiver.received.at(-1)!.body).event).toBe('resolved');
  });

  it('acknowledges and resolves by hand; the same run never opens it again, a new run does', async () => {
    const rule = await post('/api/v1/alert-rules', {
      name: 'slow',
      endpoint: 'churn',
      metric: 'latency_p99_ms',
      threshold: 100,
    });
    expect(rule.statusCode, rule.body).toBe(201);
    await events(13, [{ latencyMs: 500 }]);
    now = Date.parse(hour(14, 5));
    const [alert] = (await evaluate()).opened;
    expect(alert).toMatchObject({ ruleName: 'slow', value: 500 });

    const ack = await post(`/api/v1/alerts/${alert!.id}/ack`);
    expect((ack.json() as Alert).status).toBe('acknowledged');
    expect((await post(`/api/v1/alerts/${alert!.id}/ack`)).statusCode).toBe(412);
    const resolved = (await post(`/api/v1/alerts/${alert!.id}/resolve`)).json() as Alert;
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'manual' });

    await events(14, [{ latencyMs: 500 }]);
    now = Date.parse(hour(15, 5));
    expect((await evaluate()).opened).toEqual([]);
    await events(15, [{ latencyMs: 10 }]);
    await events(16, [{ latencyMs: 700 }]);
    now = Date.parse(hour(17, 5));
    const again = await evaluate();
    expect(again.opened.map((a) => [a.ruleName, a.runStart])).toEqual([['slow', hour(16)]]);

    const list = await t.call('GET', '/api/v1/alerts?status=resolved');
    expect((list.json() as { items: Alert[] }).items.map((a) => a.ruleName).sort()).toEqual([
      'errors',
      'slow',
    ]);
  });

  it('does not open again for a run longer than the windows it reads, once resolved by hand', async () => {
    const start = Date.UTC(2026, 2, 5, 0);
    const spend = async (fromHour: number, hours: number) => {
      const rows = Array.from({ length: hours }, (_, i) => ({
        time: new Date(start + (fromHour + i) * 3_600_000).toISOString(),
        endpoint: 'spend',
        modelVersion: 'spend@v1',
        costUsd: 1,
      }));
      expect((await post('/api/v1/events', { events: rows })).statusCode).toBe(201);
    };
    await spend(0, 60);
    expect(
      (
        await post('/api/v1/alert-rules', {
          name: 'cost',
          endpoint: 'spend',
          metric: 'cost_usd',
          threshold: 0.5,
        })
      ).statusCode,
    ).toBe(201);
    now = start + 60 * 3_600_000 + 60_000;
    const [alert] = (await evaluate()).opened;
    // 49 windows read, all breaching: the run reaches back past the first of them.
    expect(alert!.runStart).toBe(new Date(start + 11 * 3_600_000).toISOString());
    await post(`/api/v1/alerts/${alert!.id}/resolve`);
    await spend(60, 5);
    now += 5 * 3_600_000;
    expect((await evaluate()).opened).toEqual([]);
  });

  it('records an attempt that got no answer, with why', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const rule = await post('/api/v1/alert-rules', {
      name: 'cost-hook',
      endpoint: 'spend',
      metric: 'cost_usd',
      threshold: 0.5,
      webhookUrl: `http://127.0.0.1:${port}/gone`,
      webhookSecret: SECRET,
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const [alert] = (await evaluate()).opened;
    expect(await runDelivery()).toMatchObject({ code: 'unavailable' });
    const shown = (await t.call('GET', `/api/v1/alerts/${alert!.id}`)).json() as AlertWithDeliveries;
    expect(shown.deliveries).toHaveLength(1);
    expect(shown.deliveries[0]).toMatchObject({
      attempt: 1,
      statusCode: null,
      url: `http://127.0.0.1:${port}/gone`,
    });
    expect(shown.deliveries[0]!.error).toMatch(/ECONNREFUSED/);
  });

  it('evaluates as if the present were a past time, keeping the window that opened the alert', async () => {
    const at = (h: number, m = 0) => new Date(Date.UTC(2001, 2, 1, h, m)).toISOString();
    const past = (h: number, errors: number) =>
      post('/api/v1/events', {
        events: Array.from({ length: 4 }, (_, i) => ({
          time: at(h, i),
          endpoint: 'replay',
          modelVersion: 'replay@v1',
          latencyMs: 10,
          ...(i < errors ? { error: 'boom' } : {}),
        })),
      });
    expect((await past(10, 2)).statusCode).toBe(201);
    expect((await past(11, 0)).statusCode).toBe(201);
    const rule = await post('/api/v1/alert-rules', {
      name: 'replay-errors',
      endpoint: 'replay',
      metric: 'error_rate',
      threshold: 0.2,
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const asOf = async (time?: string) => {
      const res = await post(`/api/v1/alerts/evaluate${time ? `?at=${encodeURIComponent(time)}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const r = res.json() as AlertEvaluation;
      const mine = (a: Alert) => a.ruleName === 'replay-errors';
      return { opened: r.opened.filter(mine), resolved: r.resolved.filter(mine) };
    };
    // Now, 2001 is far behind the windows a rule reads; as of 10:30 the breaching hour is still open.
    expect((await asOf()).opened).toEqual([]);
    expect((await asOf(at(10, 30))).opened).toEqual([]);
    const { opened } = await asOf(at(11, 5));
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      status: 'open',
      value: 0.5,
      runStart: at(10),
      windowStart: at(10),
      windowEnd: at(11),
      evaluatedAt: at(11, 5),
      dedupKey: `${rule.json().id}:replay@v1:${at(10)}`,
    });
    // The opening time is the real one; the listener was told as for any alert.
    expect(opened[0]!.openedAt).toBe(new Date(now).toISOString());
    expect(opened).toHaveLength(1);
    expect((told as { id: string }[]).map((a) => a.id)).toContain(opened[0]!.id);
    expect((await asOf(at(11, 5))).opened).toEqual([]);
    // The clean hour closes by 12:05 and clears it; the same run read again opens nothing new.
    expect((await asOf(at(12, 5))).resolved.map((a) => a.id)).toEqual([opened[0]!.id]);
    expect((await asOf(at(11, 5))).opened).toEqual([]);
    const shown = (await t.call('GET', `/api/v1/alerts/${opened[0]!.id}`)).json() as AlertWithDeliveries;
    expect([shown.windowStart, shown.windowEnd, shown.evaluatedAt]).toEqual([at(10), at(11), at(11, 5)]);

    const ahead = await post(`/api/v1/alerts/evaluate?at=${new Date(now + 3_600_000).toISOString()}`);
    expect(ahead.statusCode).toBe(400);
    expect(ahead.json().error.message).toMatch(/in the future/);
    expect((await post('/api/v1/alerts/evaluate?at=yesterday')).statusCode).toBe(400);
  });

  it('refuses a drift rule on an endpoint without a monitor, saying why', async () => {
    const res = await post('/api/v1/alert-rules', {
      name: 'drift',
      endpoint: 'nowhere',
      metric: 'share_drifted',
    });
    expect(res.statusCode).toBe(412);
    expect(res.json().error.message).toMatch(/no monitor|not available/);
  });
});
