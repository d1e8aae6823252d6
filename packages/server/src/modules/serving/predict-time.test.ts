import { MAX_PREDICT_TIME_SKEW_MS } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionTable } from '../../core/auth/permissions.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { EventTimes } from './event-times.js';
import { createEndpoint, eventsOf, manualClock, registerWeather, rowInput } from './serving.test-kit.js';

const clock = manualClock(Date.parse('2026-03-01T12:00:00Z'));

describe('predictions logged at the times the caller gives', () => {
  let t: TestPlumb;

  beforeAll(async () => {
    t = await createTestPlumb('sqlite', {}, { clock });
    await registerWeather(t);
    await createEndpoint(t, {
      name: 'backfill',
      routes: [{ target: 'weather@champion', weight: 1 }],
      shadows: ['weather@challenger'],
    });
  });
  afterAll(() => t.dispose());

  const predict = (body: unknown, key?: string) =>
    t.call('POST', '/api/v1/endpoints/backfill/predict', { body, ...(key ? { key } : {}) });

  it('logs each row at its own time, and its shadow copy at the same time', async () => {
    const times = ['2001-03-01T08:15:00Z', '2001-03-02T09:30:00+02:00', '2001-03-03T23:59:59.500Z'];
    const service = await t.keyFor('service');
    const res = await predict({ inputs: [rowInput(0), rowInput(1), rowInput(2)], time: times }, service);
    expect(res.statusCode, res.body).toBe(200);
    const ids = (res.json().predictions as { predictionId: string }[]).map((p) => p.predictionId);
    await t.plumb.services.shadows.drain();
    const primary = await eventsOf(t, 'backfill', 'primary');
    const byId = new Map(primary.map((e) => [e.id, e.time]));
    expect(ids.map((id) => byId.get(id))).toEqual([
      '2001-03-01T08:15:00.000Z',
      '2001-03-02T07:30:00.000Z',
      '2001-03-03T23:59:59.500Z',
    ]);
    const shadow = await eventsOf(t, 'backfill', 'shadow');
    expect(shadow.map((e) => e.time).sort()).toEqual([...byId.values()].sort());
  });

  it('logs every row at one time given for the request', async () => {
    const res = await predict({ inputs: [rowInput(3), rowInput(4)], time: '2001-04-01T00:00:00Z' });
    expect(res.statusCode, res.body).toBe(200);
    const ids = new Set((res.json().predictions as { predictionId: string }[]).map((p) => p.predictionId));
    const logged = (await eventsOf(t, 'backfill', 'primary')).filter((e) => ids.has(e.id));
    expect(logged.map((e) => e.time)).toEqual(['2001-04-01T00:00:00.000Z', '2001-04-01T00:00:00.000Z']);
  });

  it('stamps rows with the server clock without a time', async () => {
    const res = await predict({ inputs: [rowInput(5)] });
    const id = res.json().predictions[0].predictionId;
    const event = (await eventsOf(t, 'backfill', 'primary')).find((e) => e.id === id);
    expect(event?.time).toBe(clock.now().toISOString());
  });

  it('refuses a time ahead of the clock beyond the skew, a count that does not match, and bad times', async () => {
    await t.plumb.services.shadows.drain();
    const before = (await eventsOf(t, 'backfill')).length;
    const skew = new Date(clock.now().getTime() + MAX_PREDICT_TIME_SKEW_MS - 1_000).toISOString();
    expect((await predict({ inputs: [rowInput(6)], time: skew })).statusCode).toBe(200);
    const future = new Date(clock.now().getTime() + MAX_PREDICT_TIME_SKEW_MS + 1_000).toISOString();
    const ahead = await predict({
      inputs: [rowInput(6), rowInput(7)],
      time: ['2001-01-01T00:00:00Z', future],
    });
    expect(ahead.statusCode).toBe(400);
    expect(ahead.json().error).toMatchObject({ code: 'invalid_argument', details: { field: 'time[1]' } });
    expect(ahead.json().error.message).toMatch(/in the future/);
    const count = await predict({ inputs: [rowInput(6), rowInput(7)], time: ['2001-01-01T00:00:00Z'] });
    expect(count.statusCode).toBe(400);
    expect(count.body).toMatch(/one time per row/);
    expect((await predict({ inputs: [rowInput(6)], time: 'yesterday' })).statusCode).toBe(400);
    await t.plumb.services.shadows.drain();
    // The refused requests logged nothing; the accepted one logged its row and its shadow copy.
    expect((await eventsOf(t, 'backfill')).length).toBe(before + 2);
  });

  it('refuses a time to a role that may predict but not write events', () => {
    const permissions = new PermissionTable([
      ['serving', { 'endpoints:predict': ['service'] }],
      ['events', { 'events:write': ['maintainer'] }],
    ]);
    const times = new EventTimes({ permissions, clock });
    const ctx = (role: 'service' | 'maintainer' | 'admin') => ({
      requestId: 'req',
      principal: { keyId: 'key', keyName: 'k', role, projectId: 'p', projectName: 'default' },
    });
    expect(() => times.check(ctx('service'), '2001-01-01T00:00:00Z', 1)).toThrowError(
      expect.objectContaining({ code: 'permission_denied', message: expect.stringMatching(/events:write/) }),
    );
    expect(times.check(ctx('service'), undefined, 1)).toBeUndefined();
    expect(times.check(ctx('maintainer'), '2001-01-01T00:00:00Z', 2)).toEqual([
      '2001-01-01T00:00:00.000Z',
      '2001-01-01T00:00:00.000Z',
    ]);
    expect(times.check(ctx('admin'), ['2001-01-01T01:00:00+01:00'], 1)).toEqual(['2001-01-01T00:00:00.000Z']);
  });

  it('answers a viewer 403 whether or not it sends a time', async () => {
    const viewer = await t.keyFor('viewer');
    const res = await predict({ inputs: [rowInput(8)], time: '2001-01-01T00:00:00Z' }, viewer);
    expect(res.statusCode).toBe(403);
  });
});
