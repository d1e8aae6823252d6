// Monitoring benchmark: what profiling costs at ingest, and how fast drift is answered from
// stored profiles. On a temporary SQLite file. Run after `npm run build`:
//   node bench/monitoring/run.mjs [events=10000000] [hours=8760] [wideFeatures=100] [logged=200000]
// Part 1 profiles `events` events of 10 features spread over 30 days and answers drift over the
// whole range (0 skips it); part 2 stores `hours` hourly windows of `wideFeatures` features and answers drift
// over all of them (merged, and per window as a bucketed series).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { createPlumb } from '../../packages/server/dist/main.js';
import { EventsService } from '../../packages/server/dist/modules/events/events.service.js';
import { FeatureWindow } from '../../packages/server/dist/modules/monitoring/feature-window.js';
import { DRIFT_QUEUE } from '../../packages/server/dist/modules/monitoring/monitors.service.js';
import { BASE_WINDOW_MS } from '../../packages/server/dist/modules/monitoring/profile-writer.js';
import { ProfilesRepo } from '../../packages/server/dist/modules/monitoring/profiles.repo.js';
import { Worker } from '../../packages/server/dist/storage/queue/worker.js';
import { Xoshiro128 } from '../../packages/stats/dist/index.js';

const events = Number(process.argv[2] ?? 10_000_000);
const hours = Number(process.argv[3] ?? 8_760);
const wide = Number(process.argv[4] ?? 100);
const logged = Math.min(Number(process.argv[5] ?? 200_000), events);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
// CPU time of this process: other work on a shared machine inflates wall time, not this.
const cpuMs = (start) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e3;
};
const rate = (count, millis) => Math.round((count / millis) * 1000).toLocaleString('en-US');
const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;
const CITIES = Array.from({ length: 40 }, (_, i) => `city-${i}`);

const rng = new Xoshiro128([1, 2, 3, 4]);
const u = () => rng.nextUint32() / 4294967296;
const normal = () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());

/** 10 features: 6 numeric (2 drifting after day 15), 2 categorical, 2 discrete. */
function inputs(i, drift) {
  return {
    age: Math.round(40 + 12 * normal()),
    income: Math.exp(10 + 0.5 * normal()),
    balance: 1000 * normal() + (drift ? 400 : 0),
    tenure: Math.floor(u() * 120),
    score: u() * (drift ? 0.8 : 1),
    spend: 50 + 20 * normal(),
    city: CITIES[Math.floor(u() * u() * CITIES.length)],
    plan: ['basic', 'pro', 'team'][i % 3],
    children: Math.floor(u() * 4),
    active: i % 5 !== 0,
  };
}

/**
 * The same read as `plumb serve` answers it when it merges more than a few profiles: in a
 * `monitoring.drift` job the request waits for. A worker of that queue alone runs on this thread
 * here (the job thread under serve, where other jobs may share it), so the figure is the merge
 * plus the queue's claim (polled every 500 ms when idle) and the read's result polls (100 ms).
 */
async function driftInJob(env, monitorId, from, to) {
  const served = await createPlumb(loadConfig({ PLUMB_HOME: env.home }), {
    logger: false,
    jobsRunElsewhere: true,
  });
  const worker = new Worker({ queue: env.plumb.services.jobs, logger: env.plumb.app.log });
  worker.register(DRIFT_QUEUE, (job) => env.plumb.services.monitors.computeDrift(job.payload));
  worker.start();
  try {
    const start = process.hrtime.bigint();
    const d = await served.services.monitorViews.drift(env.ctx.principal.projectId, monitorId, {
      from,
      to,
      mode: 'profile',
    });
    return { d, ms: ms(start) };
  } finally {
    await worker.stop();
    await served.close();
  }
}

async function open() {
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-monitoring-'));
  const plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { logger: false });
  const boot = await plumb.services.keys.bootstrap(undefined);
  const ctx = {
    principal: {
      keyId: boot.key.id,
      keyName: boot.key.name,
      role: 'admin',
      projectId: boot.key.projectId,
      projectName: boot.key.project,
    },
    requestId: 'bench',
  };
  const call = (method, url, body, headers = {}) =>
    plumb.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${boot.secret}`, ...headers },
      payload: body,
    });
  return { home, plumb, ctx, call };
}

async function reference(env, name, rows, columns) {
  const csv = `${columns.join(',')}\n${rows.map((r) => columns.map((c) => r[c]).join(',')).join('\n')}\n`;
  const blob = await env.call('POST', '/api/v1/blobs', Buffer.from(csv), {
    'content-type': 'application/octet-stream',
  });
  const added = await env.call('POST', `/api/v1/datasets/${name}/versions`, {
    files: [{ path: `${name}.csv`, ref: blob.json().ref }],
  });
  if (added.statusCode !== 201) throw new Error(added.body);
  return added.json().version.ref;
}

function event(projectId, i, time, values) {
  return {
    row: {
      id: `prd_${i}`,
      project_id: projectId,
      time,
      received_at: time,
      endpoint: 'bench',
      model_version: 'm@v1',
      arm: 'primary',
      label: null,
      score: null,
      confidence: null,
    },
    inputs: values,
    outputs: null,
  };
}

async function part1() {
  const env = await open();
  const { plumb, ctx } = env;
  const projectId = ctx.principal.projectId;
  const columns = Object.keys(inputs(0, false));
  const ref = await reference(
    env,
    'bench',
    Array.from({ length: 20_000 }, (_, i) => inputs(i, false)),
    columns,
  );
  const monitor = await plumb.services.monitors.create(ctx, {
    endpoint: 'bench',
    reference: ref,
    windowMs: BASE_WINDOW_MS,
  });
  console.log(`monitor: ${monitor.features.map((f) => `${f.feature}:${f.test}`).join(' ')}`);

  // The log alone and the log with the profile listener, on the same events.
  const plain = new EventsService(
    plumb.db,
    { now: () => new Date() },
    { maxBatch: 5000, maxDelayMs: 0, retentionDays: 30 },
  );
  const profiled = new EventsService(
    plumb.db,
    { now: () => new Date() },
    { maxBatch: 5000, maxDelayMs: 0, retentionDays: 30 },
  );
  profiled.onCommitted(plumb.services.profileWriter.ingest);
  const batch = (from, n) =>
    Array.from({ length: n }, (_, k) => ({
      projectId,
      time: new Date(T0 + ((from + k) % (30 * 24)) * BASE_WINDOW_MS).toISOString(),
      endpoint: 'bench-log',
      modelVersion: 'm@v1',
      modelVersionId: null,
      arm: 'primary',
      inputs: inputs(from + k, false),
      outputs: null,
      latencyMs: 1,
    }));
  for (const [label, service] of [
    ['log only', plain],
    ['log + profiles', profiled],
  ]) {
    const data = [];
    for (let i = 0; i < logged; i += 5000) data.push(batch(i, Math.min(5000, logged - i)));
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (const b of data) await service.record(b);
    const t = ms(start);
    const c = cpuMs(cpu);
    console.log(
      `ingest ${label}: ${logged.toLocaleString('en-US')} events in ${t.toFixed(0)} ms wall = ${rate(logged, t)} events/s; ${c.toFixed(0)} ms CPU = ${((c * 1e3) / logged).toFixed(1)} µs/event`,
    );
  }
  await plumb.services.profileWriter.flush();

  // Profiling alone for every event, as the listener does after each commit, with a write of the
  // open windows every 5 simulated seconds of traffic at 10,000 events/s.
  const writer = plumb.services.profileWriter;
  const span = 30 * DAY;
  let profiling = 0;
  let profilingCpu = 0;
  let flushing = 0;
  for (let i = 0; i < events; i += 50_000) {
    const chunk = [];
    for (let k = i; k < Math.min(events, i + 50_000); k++) {
      const time = T0 + Math.floor((k / events) * span);
      chunk.push(event(projectId, k, time, inputs(k, time > T0 + 15 * DAY)));
    }
    let start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    writer.ingest(chunk);
    profiling += ms(start);
    profilingCpu += cpuMs(cpu);
    start = process.hrtime.bigint();
    await writer.flush();
    flushing += ms(start);
  }
  console.log(
    `profiling: ${events.toLocaleString('en-US')} events × 10 features in ${profiling.toFixed(0)} ms wall, ${profilingCpu.toFixed(0)} ms CPU = ${((profilingCpu * 1e3) / events).toFixed(2)} µs/event; writing the windows every 50,000 events ${flushing.toFixed(0)} ms`,
  );
  const rows = await plumb.db.kysely
    .selectFrom('monitoring_profiles')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max(eb.fn('length', ['profile'])).as('max')])
    .where('endpoint', '=', 'bench')
    .executeTakeFirst();
  console.log(`stored: ${rows.n} window profiles, largest ${rows.max} bytes`);

  const from = new Date(T0).toISOString();
  const to = new Date(T0 + span).toISOString();
  let start = process.hrtime.bigint();
  let d = await plumb.services.monitorViews.drift(projectId, monitor.id, { from, to, mode: 'profile' });
  console.log(
    `drift over 30 days from ${d.windows} hourly profiles (no roll-ups): ${ms(start).toFixed(0)} ms`,
  );
  start = process.hrtime.bigint();
  await plumb.services.monitors.rollUp();
  console.log(`roll-up job (hours → days → 30-day blocks, once): ${ms(start).toFixed(0)} ms`);
  start = process.hrtime.bigint();
  d = await plumb.services.monitorViews.drift(projectId, monitor.id, { from, to, mode: 'profile' });
  console.log(`drift over the whole range from ${d.windows} rolled-up profiles: ${ms(start).toFixed(0)} ms`);
  const job = await driftInJob(env, monitor.id, from, to);
  console.log(`… the same read through the drift job, as under plumb serve: ${job.ms.toFixed(0)} ms`);
  start = process.hrtime.bigint();
  const second = await plumb.services.monitorViews.drift(projectId, monitor.id, {
    from: new Date(T0 + 15 * DAY).toISOString(),
    to,
    mode: 'profile',
  });
  console.log(
    `drift over days 15–30: ${ms(start).toFixed(0)} ms; ${second.features.map((f) => `${f.feature}=${f.verdict}`).join(' ')}`,
  );
  await plumb.close();
  rmSync(env.home, { recursive: true, force: true });
}

async function part2() {
  const env = await open();
  const { plumb, ctx } = env;
  const projectId = ctx.principal.projectId;
  const columns = Array.from({ length: wide }, (_, j) => `f${j}`);
  const refRows = Array.from({ length: 5_000 }, () =>
    Object.fromEntries(columns.map((c) => [c, Math.round(normal() * 1000) / 100])),
  );
  const ref = await reference(env, 'wide', refRows, columns);
  const monitor = await plumb.services.monitors.create(ctx, {
    endpoint: 'wide',
    reference: ref,
    windowMs: BASE_WINDOW_MS,
  });
  const repo = new ProfilesRepo(plumb.db);
  // 30 values per feature and hour: small windows, as a year of a quiet endpoint.
  let start = process.hrtime.bigint();
  for (let h = 0; h < hours; h += 24) {
    const rows = [];
    for (let hh = h; hh < Math.min(hours, h + 24); hh++) {
      for (const c of columns) {
        const w = new FeatureWindow();
        for (let k = 0; k < 30; k++)
          w.update(Math.round((normal() + (hh > hours / 2 ? 0.5 : 0)) * 1000) / 100);
        rows.push({
          project_id: projectId,
          endpoint: 'wide',
          model_version: 'm@v1',
          feature: c,
          level_ms: BASE_WINDOW_MS,
          window_start: T0 + hh * BASE_WINDOW_MS,
          part: 'bench',
          events: 30,
          profile: w.serialize(),
          updated_at: Date.now(),
        });
      }
    }
    await repo.upsert(rows);
  }
  console.log(
    `stored ${hours.toLocaleString('en-US')} hourly windows × ${wide} features in ${ms(start).toFixed(0)} ms`,
  );
  const from = T0;
  const to = T0 + hours * BASE_WINDOW_MS;
  start = process.hrtime.bigint();
  let computed = 0;
  for (let n = -1; n !== 0; ) {
    n = await plumb.services.monitors.evaluate();
    computed += n;
  }
  console.log(
    `per-window verdicts of ${computed.toLocaleString('en-US')} windows × ${wide} features, computed once (the evaluation job): ${ms(start).toFixed(0)} ms`,
  );
  start = process.hrtime.bigint();
  const series = await plumb.services.monitorViews.series(projectId, monitor.id, {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    buckets: 500,
  });
  console.log(
    `series over ${hours.toLocaleString('en-US')} windows × ${wide} features into ${series.buckets.length} buckets: ${ms(start).toFixed(0)} ms`,
  );
  start = process.hrtime.bigint();
  const signals = await plumb.services.monitors.windowSignals(projectId, monitor.id, from, to);
  console.log(
    `windowSignals (alerts' read) of ${signals.length.toLocaleString('en-US')} windows: ${ms(start).toFixed(0)} ms`,
  );
  start = process.hrtime.bigint();
  await plumb.services.monitors.rollUp();
  console.log(`roll-up job: ${ms(start).toFixed(0)} ms`);
  start = process.hrtime.bigint();
  const d = await plumb.services.monitorViews.drift(projectId, monitor.id, {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    mode: 'profile',
  });
  console.log(
    `drift over all ${hours.toLocaleString('en-US')} windows × ${wide} features merged, from ${d.windows} rolled-up profiles: ${ms(start).toFixed(0)} ms`,
  );
  const job = await driftInJob(env, monitor.id, new Date(from).toISOString(), new Date(to).toISOString());
  console.log(`… the same read through the drift job, as under plumb serve: ${job.ms.toFixed(0)} ms`);
  await plumb.close();
  rmSync(env.home, { recursive: true, force: true });
}

// events = 0 or hours = 0 skips that part.
if (events > 0) await part1();
if (hours > 0) await part2();
