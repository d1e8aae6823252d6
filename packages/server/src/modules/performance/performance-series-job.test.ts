import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { loadConfig } from '../../core/config.js';
import { createPlumb, type Plumb } from '../../main.js';
import { FOLD_QUEUE, INLINE_COST, PerformanceService, SERIES_QUEUE } from './performance.service.js';

const H = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(H + minutes * 60_000).toISOString();
const RANGE = { fromMs: H - 86_400_000, toMs: H + 86_400_000, windowMs: 86_400_000 };

// As `plumb serve` runs: jobs on another loop. A read costing more than the inline budget is
// merged by a job the read waits for, and gives exactly the answer the inline merge gives.
describe('costly performance reads with jobs elsewhere', () => {
  let plumb: Plumb;
  let home: string;
  let secret: string;
  let projectId: string;
  const call = (method: 'GET' | 'POST', url: string, payload: unknown) =>
    plumb.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${secret}` },
      payload: payload as object,
    });
  /** The module's service, with every read over the inline budget. */
  const costly = (seriesWaitMs: number, waitMs = 300) =>
    new PerformanceService(
      plumb.db,
      systemClock,
      plumb.services.events,
      { projectIds: async () => [projectId] },
      { jobs: plumb.services.jobs, waitMs, inlineCost: 0, seriesWaitMs },
    );

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'plumb-performance-series-'));
    plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { logger: false, jobsRunElsewhere: true });
    const boot = await plumb.services.keys.bootstrap(undefined);
    secret = boot!.secret;
    projectId = boot!.key.projectId;
    const events = Array.from({ length: 12 }, (_, i) => ({
      id: `prd_${i}`,
      time: at(i * 37),
      endpoint: 'churn',
      modelVersion: 'churn@v1',
      label: i % 3 === 0 ? 'no' : 'yes',
      score: i % 3 === 0 ? 0.2 + i / 100 : 0.6 + i / 50,
      latencyMs: 10 * (i + 1),
    }));
    expect((await call('POST', '/api/v1/events', { events })).statusCode).toBe(201);
    const feedback = events
      .filter((_, i) => i % 2 === 0)
      .map((e, i) => ({ predictionId: e.id, label: i % 4 === 0 ? 'no' : 'yes' }));
    expect((await call('POST', '/api/v1/feedback', { feedback })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await plumb?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers unavailable, naming the job, while no worker has merged the range', async () => {
    await expect(costly(200).series(projectId, 'churn', RANGE)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/^the performance of this range \(job \S+\) is still queued/),
    });
    const [job] = await plumb.services.jobs.list({ queue: SERIES_QUEUE });
    expect(job).toMatchObject({
      status: 'queued',
      payload: { projectId, endpoint: 'churn', options: RANGE },
    });
  });

  it('waits for the job a worker runs and answers as the inline merge does', async () => {
    plumb.worker.start();
    const viaJob = await costly(60_000, 10_000).series(projectId, 'churn', RANGE);
    const jobs = await plumb.services.jobs.list({ queue: SERIES_QUEUE });
    // The job the first read left, and this read's own unless it found that one still queued.
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    // The module's own service merges a read this small inline.
    expect(await plumb.services.performance.readCost(projectId, 'churn', RANGE)).toBeLessThan(INLINE_COST);
    const inline = await plumb.services.performance.series(projectId, 'churn', RANGE);
    expect(viaJob).toEqual(inline);
    expect(viaJob.series[0]!.labelled).toBe(6);
    expect(viaJob.series[0]!.traffic!.predictions).toBe(12);
    expect(viaJob.calibration).toEqual([{ modelVersion: 'churn@v1', labelled: 6 }]);
    // Reads under the budget start no job, nor does a read with nothing left to fold.
    expect((await plumb.services.jobs.list({ queue: SERIES_QUEUE })).length).toBe(jobs.length);
    const folds = async () =>
      (await plumb.services.jobs.list({ queue: FOLD_QUEUE })).filter((j) => j.scheduleName === null).length;
    const foldJobs = await folds();
    expect((await plumb.services.performance.series(projectId, 'churn', RANGE)).stale).toBeNull();
    expect(await folds()).toBe(foldJobs);
  });

  it('refits the calibration when labelled reference data arrives', async () => {
    const perf = plumb.services.performance;
    const before = await perf.series(projectId, 'churn', RANGE);
    // The same inputs give the same (kept) calibration: the answer is unchanged.
    expect(await perf.series(projectId, 'churn', RANGE)).toEqual(before);
    const more = [1, 3, 5, 7].map((i) => ({ predictionId: `prd_${i}`, label: 'no' }));
    expect((await call('POST', '/api/v1/feedback', { feedback: more })).statusCode).toBe(200);
    const after = await perf.series(projectId, 'churn', RANGE);
    expect(after.calibration).toEqual([{ modelVersion: 'churn@v1', labelled: 10 }]);
    expect(after.series[0]!.estimated).not.toEqual(before.series[0]!.estimated);
    // What a service with nothing kept computes from the same rows.
    const fresh = new PerformanceService(
      plumb.db,
      systemClock,
      plumb.services.events,
      { projectIds: async () => [projectId] },
      { inline: true },
    );
    expect(after).toEqual(await fresh.series(projectId, 'churn', RANGE));
  });
});
