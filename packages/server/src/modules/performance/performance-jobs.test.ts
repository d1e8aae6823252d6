import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointPerformance } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { loadConfig } from '../../core/config.js';
import { createPlumb, type Plumb } from '../../main.js';
import { FOLD_QUEUE, PerformanceService } from './performance.service.js';

const H = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(H + minutes * 60_000).toISOString();

// As `plumb serve` runs: jobs on another loop. A read does not fold traffic on the loop that
// answers HTTP: it enqueues the project's fold job and waits for it, and says so when the job
// has not finished in time.
describe('performance reads with jobs elsewhere', () => {
  let plumb: Plumb;
  let home: string;
  let secret: string;
  let projectId: string;
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    plumb.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${secret}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const read = async () => {
    const res = await call('GET', `/api/v1/endpoints/churn/performance?from=${at(0)}&to=${at(120)}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as EndpointPerformance;
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'plumb-performance-jobs-'));
    plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { logger: false, jobsRunElsewhere: true });
    const boot = await plumb.services.keys.bootstrap(undefined);
    secret = boot!.secret;
    projectId = boot!.key.projectId;
    const events = Array.from({ length: 5 }, (_, i) => ({
      time: at(10 + i),
      endpoint: 'churn',
      modelVersion: 'churn@v1',
      label: i < 3 ? 'yes' : 'no',
      score: i < 3 ? 0.8 : 0.3,
      latencyMs: 10 * (i + 1),
    }));
    expect((await call('POST', '/api/v1/events', { events })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await plumb?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers without the events, saying so, while no worker has folded them', async () => {
    // The module's service with a short wait: nothing runs the job, so the read gives up on it.
    const waiting = new PerformanceService(
      plumb.db,
      systemClock,
      plumb.services.events,
      { projectIds: async () => [projectId] },
      { jobs: plumb.services.jobs, waitMs: 300 },
    );
    const started = Date.now();
    const perf = await waiting.series(projectId, 'churn', {
      fromMs: H,
      toMs: H + 7_200_000,
      windowMs: 3_600_000,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(perf.series).toEqual([]);
    const [job] = (await plumb.services.jobs.list({ queue: FOLD_QUEUE })).filter(
      (j) => j.scheduleName === null,
    );
    expect(job).toMatchObject({ status: 'queued', payload: { projectId } });
    expect(perf.stale).toBe(
      `traffic figures may miss recent events: the fold job ${job!.id} is still queued after 0.3 s`,
    );
  });

  it('waits for the fold job a worker runs and answers with every event', async () => {
    plumb.worker.start();
    const perf = await read();
    expect(perf.stale).toBeNull();
    expect(perf.series.map((w) => [w.windowStart, w.traffic?.predictions])).toEqual([[at(0), 5]]);
    // The job the first read left queued is folded by the worker; a read arriving while it runs
    // may queue one more (the running one may have passed its newest events). Every one of them
    // ends folded, none is left behind (the minute schedule's own jobs have no project).
    const jobs = (await plumb.services.jobs.list({ queue: FOLD_QUEUE })).filter(
      (j) => j.scheduleName === null,
    );
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.length).toBeLessThanOrEqual(2);
    for (const j of jobs) expect([j.status, j.payload]).toEqual(['succeeded', { projectId }]);
  });
});
