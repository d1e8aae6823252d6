import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriftReport, DriftSeries, Monitor } from '@plumb/sdk';
import { Xoshiro128 } from '@plumb/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createPlumb, type Plumb } from '../../main.js';
import { FeatureWindow } from './feature-window.js';
import {
  DRIFT_QUEUE,
  INLINE_PROFILES,
  REFERENCE_QUEUE,
  VALUES_QUEUE,
  WINDOWS_QUEUE,
} from './monitors.service.js';
import { BASE_WINDOW_MS } from './profile-writer.js';
import { ProfilesRepo } from './profiles.repo.js';
import { decodeFeatures } from './result-codec.js';

const HOURS = 6;

// As `plumb serve` runs: jobs on another loop. The reference scan and missing windows are jobs
// the request waits for, and the answers are those of the inline path.
describe('monitoring work handed to jobs', () => {
  let plumb: Plumb;
  let home: string;
  let secret: string;
  let projectId: string;
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, headers = {}) =>
    plumb.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${secret}`, ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'plumb-monitoring-jobs-'));
    plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), {
      logger: false,
      jobsRunElsewhere: true,
    });
    const boot = await plumb.services.keys.bootstrap(undefined);
    secret = boot!.secret;
    projectId = boot!.key.projectId;
    plumb.worker.start();
  });
  afterAll(async () => {
    await plumb?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const rng = new Xoshiro128([7, 7, 7, 7]);
  const values = Array.from({ length: 400 }, (_, i) => (rng.nextUint32() / 4294967296) * 10 + (i % 7));
  let monitor: Monitor;
  const t0 = Math.floor((Date.now() - 48 * BASE_WINDOW_MS) / BASE_WINDOW_MS) * BASE_WINDOW_MS;
  /** Hourly profiles of x from hour `a` to `b` after t0: from hour HOURS / 2 on shifted by 5. */
  const hours = (a: number, b: number) =>
    Array.from({ length: b - a }, (_, i) => {
      const h = a + i;
      const w = new FeatureWindow();
      for (let k = 0; k < 300; k++) w.update(values[k]! + (h >= HOURS / 2 ? 5 : 0));
      return {
        project_id: projectId,
        endpoint: 'jobs',
        model_version: 'm@v1',
        feature: 'x',
        level_ms: BASE_WINDOW_MS,
        window_start: t0 + h * BASE_WINDOW_MS,
        part: 'test',
        events: 300,
        profile: Buffer.from(w.serialize()),
        updated_at: Date.now(),
      };
    });

  it('create a monitor from a reference scanned in a job, and compute missing windows in one', async () => {
    const blob = await call('POST', '/api/v1/blobs', Buffer.from(`x\n${values.join('\n')}\n`), {
      'content-type': 'application/octet-stream',
    });
    const added = await call('POST', '/api/v1/datasets/ref/versions', {
      files: [{ path: 'ref.csv', ref: blob.json().ref }],
    });
    expect(added.statusCode, added.body).toBe(201);
    const created = await call('POST', '/api/v1/monitors', {
      endpoint: 'jobs',
      reference: added.json().version.ref,
      window: '1h',
    });
    expect(created.statusCode, created.body).toBe(201);
    monitor = created.json();
    // 400 reference rows with more than 5 values: two-sample KS.
    expect(monitor.features.map((f) => [f.feature, f.test])).toEqual([['x', 'ks']]);
    const scans = await plumb.services.jobs.list({ queue: REFERENCE_QUEUE });
    expect(scans.map((j) => j.status)).toEqual(['succeeded']);

    // Hours long closed: the first half like the reference, the second shifted by 5.
    await new ProfilesRepo(plumb.db).upsert(hours(0, HOURS));
    const range = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + HOURS * BASE_WINDOW_MS).toISOString()}`;
    const res = await call('GET', `/api/v1/monitors/${monitor.id}/series?${range}&buckets=${HOURS}`);
    expect(res.statusCode, res.body).toBe(200);
    const series: DriftSeries = res.json();
    expect(series.buckets.map((b) => [b.windows, b.features.x?.drifted])).toEqual(
      Array.from({ length: HOURS }, (_, h) => [1, h >= HOURS / 2 ? 1 : 0]),
    );
    const computed = await plumb.services.jobs.list({ queue: WINDOWS_QUEUE });
    expect(computed.map((j) => [j.status, j.result])).toEqual([['succeeded', HOURS]]);
    // Stored now: a second read enqueues nothing.
    await call('GET', `/api/v1/monitors/${monitor.id}/series?${range}&buckets=${HOURS}`);
    expect(await plumb.services.jobs.list({ queue: WINDOWS_QUEUE })).toHaveLength(1);
    // Windows stored before their numeric series are folded from their JSON, to the same answer.
    await plumb.db.kysely.updateTable('monitoring_window_results').set({ series: null }).execute();
    const again = await call('GET', `/api/v1/monitors/${monitor.id}/series?${range}&buckets=${HOURS}`);
    expect(again.json()).toEqual(series);
  }, 60_000);

  it('merge a small range on the loop and a large one in a job, to the same answer', async () => {
    const drift = (n: number) =>
      call(
        'GET',
        `/api/v1/monitors/${monitor.id}/drift?from=${new Date(t0).toISOString()}&to=${new Date(t0 + n * BASE_WINDOW_MS).toISOString()}`,
      );
    const small = await drift(HOURS);
    expect(small.statusCode, small.body).toBe(200);
    expect(small.json().windows).toBe(HOURS);
    expect(await plumb.services.jobs.list({ queue: DRIFT_QUEUE })).toEqual([]);

    const n = INLINE_PROFILES + 10;
    await new ProfilesRepo(plumb.db).upsert(hours(HOURS, n));
    const large = await drift(n);
    expect(large.statusCode, large.body).toBe(200);
    const merged = await plumb.services.jobs.list({ queue: DRIFT_QUEUE });
    expect(merged.map((j) => j.status)).toEqual(['succeeded']);
    const report: DriftReport = large.json();
    expect(report.windows).toBe(n);
    // What the merge gives when run here, and the verdict of the shifted majority.
    const here = await plumb.services.monitors.computeDrift({
      projectId,
      monitorId: monitor.id,
      from: t0,
      to: t0 + n * BASE_WINDOW_MS,
      exact: false,
    });
    expect(report.features).toEqual(decodeFeatures(here.features));
    expect(report.features.map((f) => [f.feature, f.test, f.count, f.verdict])).toEqual([
      ['x', 'ks', 300 * n, 'drift'],
    ]);

    // Coverage's production values: the same rule, the same answer.
    const monitors = plumb.services.monitors;
    const job = { projectId, endpoint: 'jobs', field: 'x', from: t0, to: t0 + n * BASE_WINDOW_MS };
    const values = await monitors.productionValues(projectId, 'jobs', 'x', job.from, job.to);
    expect((await plumb.services.jobs.list({ queue: VALUES_QUEUE })).map((j) => j.status)).toEqual([
      'succeeded',
    ]);
    expect(values).toEqual(await monitors.computeValues(job));
    expect(values.total).toBe(300 * n);
    await monitors.productionValues(projectId, 'jobs', 'x', t0, t0 + HOURS * BASE_WINDOW_MS);
    expect(await plumb.services.jobs.list({ queue: VALUES_QUEUE })).toHaveLength(1);
  }, 60_000);
});
