import type { EndpointPerformance } from '@plumb/sdk';
import { QuantileSketch } from '@plumb/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { PerformanceTrafficTable } from './performance.tables.js';
import { DAY_MS, mergeTrafficRows, planDays, ROLL_UP_RECENT_DAYS, rollUpDays } from './traffic-days.js';
import { mergeTraffic } from './traffic-fold.js';

const HOUR = 3_600_000;
const D0 = Date.parse('2026-03-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A deterministic stream in [0, 1). */
function stream(seed: number) {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296;
  };
}

function hourRow(hour: number, values: number): PerformanceTrafficTable {
  const u = stream(hour + 1);
  const sketch = new QuantileSketch({ k: 200 });
  const counts: Record<string, Record<string, number>> = {};
  for (let i = 0; i < values; i++) {
    sketch.update(Math.round(1000 * u()) / 10);
    const label = u() < 0.5 ? 'yes' : 'no';
    const bins = counts[label] ?? {};
    counts[label] = bins;
    const bin = String(Math.floor(u() * 1000));
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return {
    project_id: 'p',
    endpoint: 'e',
    model_version: 'm@v1',
    window_start: D0 + hour * HOUR,
    predictions: values,
    errors: hour % 3,
    fallbacks: hour % 2,
    cost_usd: 0.1 * values + 0.01,
    prompt_tokens: values,
    completion_tokens: 2 * values,
    latency: Buffer.from(sketch.serialize()).toString('base64'),
    scores: JSON.stringify(counts),
  };
}

describe('mergeTrafficRows', () => {
  it('gives what chaining mergeTraffic gives, byte for byte, also when the sketch compacts', () => {
    // 24 hours of 400 latencies: far past one sketch's capacity, so merging compacts many times.
    const rows = Array.from({ length: 24 }, (_, h) => hourRow(h, 400));
    const chained = rows.slice(1).reduce((acc, r) => mergeTraffic(acc, r), rows[0]!);
    const merged = mergeTrafficRows(rows);
    expect(merged).toEqual(chained);
    expect(QuantileSketch.deserialize(Buffer.from(merged.latency!, 'base64')).count).toBe(24 * 400);
    // A window of one hour is that hour's row as stored.
    expect(mergeTrafficRows([rows[3]!])).toBe(rows[3]);
    expect(() => mergeTrafficRows([])).toThrow(RangeError);
  });
});

// Three days of a binary classifier on two versions, labelled in part; day roll-ups must give
// exactly what merging the hours gives, and stop being used for a day folded into after them.
describeEachBackend('day roll-ups of traffic', (backend) => {
  let t: TestPlumb;
  let projectId: string;
  const from = D0;
  const to = D0 + 3 * DAY_MS + 5 * HOUR; // the last day is cut: it always reads its hours
  const filter = () => ({ projectId, endpoint: 'churn', fromMs: from, toMs: to });
  const read = async (params = '') => {
    const res = await t.call(
      'GET',
      `/api/v1/endpoints/churn/performance?from=${iso(from)}&to=${iso(to)}&window=1d${params}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as EndpointPerformance;
  };
  const post = async (events: object[]) => {
    const res = await t.call('POST', '/api/v1/events', { body: { events } });
    expect(res.statusCode, res.body).toBe(201);
  };

  beforeAll(async () => {
    // The roll-up job looks at recent days: a clock a day after the traffic's end.
    t = await createTestPlumb(backend, {}, { clock: { now: () => new Date(D0 + 5 * DAY_MS) } });
    projectId = t.adminCtx.principal.projectId;
    const u = stream(7);
    const events: object[] = [];
    const feedback: { predictionId: string; label: string }[] = [];
    for (let h = 0; h < 3 * 24 + 5; h++) {
      if (h % 7 === 3) continue; // hours without traffic
      // v1 heavy enough for its day sketches to compact; v2 starts on the second day.
      for (const [version, n] of [
        ['churn@v1', 80],
        ['churn@v2', h >= 30 ? 3 : 0],
      ] as const) {
        for (let i = 0; i < n; i++) {
          const score = Math.round(1000 * u()) / 1000;
          const id = `prd_${version.slice(-2)}_${h}_${i}`;
          events.push({
            id,
            time: iso(D0 + h * HOUR + i * 40_000),
            endpoint: 'churn',
            modelVersion: version,
            label: score >= 0.5 ? 'yes' : 'no',
            score,
            latencyMs: Math.round(500 * u()),
            costUsd: 0.001,
            ...(i % 9 === 0 ? { error: 'upstream timed out' } : {}),
          });
          if (i % 4 === 0) feedback.push({ predictionId: id, label: u() < score ? 'yes' : 'no' });
        }
      }
    }
    for (let i = 0; i < events.length; i += 5_000) await post(events.slice(i, i + 5_000));
    const res = await t.call('POST', '/api/v1/feedback', { body: { feedback } });
    expect(res.statusCode, res.body).toBe(200);
  }, 120_000);
  afterAll(() => t.dispose());

  const plan = () => planDays(t.plumb.services.performance.repo, filter());
  const stamps = async () =>
    (await plan()).rolled.map((d) => [iso(d.window_start), d.model_version, d.hours, d.predictions]);
  const dropRollUps = () => t.plumb.db.kysely.deleteFrom('performance_traffic_days').execute();
  // Days 1–3 of v1 and days 2–3 of v2 (hours with traffic: 21, 20, 21 and 15, 21).
  const WHOLE_DAYS = [
    [iso(D0), 'churn@v1', 21, 21 * 80],
    [iso(D0 + DAY_MS), 'churn@v1', 20, 20 * 80],
    [iso(D0 + DAY_MS), 'churn@v2', 15, 15 * 3],
    [iso(D0 + 2 * DAY_MS), 'churn@v1', 21, 21 * 80],
    [iso(D0 + 2 * DAY_MS), 'churn@v2', 21, 21 * 3],
  ];

  it('answers exactly as the merge of the hours, reading one row per version and whole day', async () => {
    expect((await plan()).rolled).toEqual([]);
    const fromHours = await read();
    const segmented = await read('&segment=tag:none');
    expect(fromHours.series).toHaveLength(3 + 4);
    // The read stored the whole days it merged; the cut fourth day reads its 4 hours per version.
    expect(await stamps()).toEqual(WHOLE_DAYS);
    const p = await plan();
    expect(p.hourRanges).toEqual([[D0 + 3 * DAY_MS, to]]);
    expect(p.hours).toBe(2 * 4);
    expect(await read()).toEqual(fromHours);
    expect(await read('&segment=tag:none')).toEqual(segmented);

    // The fold job's roll-ups are the same.
    await dropRollUps();
    expect((await plan()).rolled).toEqual([]);
    await t.plumb.services.performance.foldAll();
    expect(await stamps()).toEqual(WHOLE_DAYS);
    expect(await read()).toEqual(fromHours);
    expect(await read('&segment=tag:none')).toEqual(segmented);
  });

  it('reads a day folded into after its roll-up from its hours until it is rolled up again', async () => {
    const before = await read();
    const late = (id: string) =>
      post([
        {
          id,
          time: iso(D0 + DAY_MS + 3 * HOUR + 1),
          endpoint: 'churn',
          modelVersion: 'churn@v1',
          label: 'yes',
          score: 0.9,
          latencyMs: 10_000,
        },
      ]);
    await late('prd_late1');
    await t.plumb.services.performance.fold.catchUp(projectId);
    const stale = [iso(D0 + DAY_MS), 'churn@v1', 20, 20 * 80];
    expect(await stamps()).toEqual(WHOLE_DAYS.filter((d) => d !== WHOLE_DAYS[1]));
    expect((await plan()).hourRanges).toEqual([
      [D0 + DAY_MS, D0 + 2 * DAY_MS],
      [D0 + 3 * DAY_MS, to],
    ]);
    const after = await read();
    const day2 = (p: EndpointPerformance) =>
      p.series.find((w) => w.windowStart === iso(D0 + DAY_MS) && w.modelVersion === 'churn@v1')!;
    expect(day2(after).traffic!.predictions).toBe(day2(before).traffic!.predictions + 1);
    expect(day2(after).traffic).not.toEqual(day2(before).traffic);
    // Every other day is as it was, and the read stored the day again with the late event.
    expect(after.series.filter((w) => w !== day2(after))).toEqual(
      before.series.filter((w) => w !== day2(before)),
    );
    expect((await stamps())[1]).toEqual([stale[0], stale[1], 20, 20 * 80 + 1]);

    // Folded by the schedule, no read: the job rolls the day up again.
    await late('prd_late2');
    await t.plumb.services.performance.foldAll();
    expect((await stamps())[1]).toEqual([stale[0], stale[1], 20, 20 * 80 + 2]);
    const rolled = await read();
    await dropRollUps();
    expect(await read()).toEqual(rolled);
    expect(day2(rolled).traffic!.predictions).toBe(day2(before).traffic!.predictions + 2);
  });

  it('rolls up only the recent days, leaving older ones to the first read of them', async () => {
    await dropRollUps();
    const repo = t.plumb.services.performance.repo;
    // Seen from a month and a half later, the three days are past the job's look-back.
    expect(await rollUpDays(repo, projectId, D0 + (ROLL_UP_RECENT_DAYS + 4) * DAY_MS)).toBe(0);
    expect(await stamps()).toEqual([]);
    // The third and fourth days, two versions each (the read's range cuts the fourth).
    expect(await rollUpDays(repo, projectId, D0 + (ROLL_UP_RECENT_DAYS + 2) * DAY_MS)).toBe(4);
    expect((await stamps()).map((d) => d[0])).toEqual([iso(D0 + 2 * DAY_MS), iso(D0 + 2 * DAY_MS)]);
  });
});
