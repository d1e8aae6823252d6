// Inference log benchmark: batch ingest (the largest batch a request may carry, through the
// service and through HTTP) and the group-commit writer under many concurrent single-event
// callers, as the serving module calls it for every prediction. On a temporary SQLite file, and
// on PostgreSQL when PLUMB_BENCH_DATABASE_URL (or PLUMB_TEST_DATABASE_URL) names one.
// Run after `npm run build`:
//   node bench/events/run.mjs [batches=7] [events=10000] [callers=256] [singles=20000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { createPlumb } from '../../packages/server/dist/main.js';
import {
  dropPostgresSchema,
  ensurePostgresSchema,
  openDatabase,
} from '../../packages/server/dist/storage/database.js';

const batches = Number(process.argv[2] ?? 7);
const n = Number(process.argv[3] ?? 10_000);
const callers = Number(process.argv[4] ?? 256);
const singles = Number(process.argv[5] ?? 20_000);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const rate = (count, millis) => Math.round((count / millis) * 1000).toLocaleString('en-US');

/** A realistic small prediction: a few features in, a label and probabilities out, two tags. */
function event(projectId, i) {
  return {
    projectId,
    endpoint: 'churn',
    modelVersion: 'churn@v3',
    modelVersionId: 'mv_bench',
    arm: i % 10 === 0 ? 'canary' : 'primary',
    inputs: { tenure: i % 72, plan: i % 3 === 0 ? 'pro' : 'basic', spend: (i % 1000) / 10 },
    outputs: { label: i % 4 === 0 ? 'churn' : 'stay', probabilities: [0.25, 0.75] },
    label: i % 4 === 0 ? 'churn' : 'stay',
    confidence: 0.75,
    latencyMs: 2.5,
    tags: { team: 'growth', tenant: `t${i % 20}` },
    traceId: null,
  };
}

async function open(name, url) {
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-events-'));
  let db;
  let dropSchema = async () => {};
  if (url) {
    const schema = `plumb_bench_events_${process.pid}`;
    await ensurePostgresSchema(url, schema);
    db = openDatabase(url, { schema, poolSize: 5 });
    dropSchema = () => dropPostgresSchema(url, schema);
  } else {
    db = openDatabase(`sqlite:${join(home, 'plumb.db')}`);
  }
  const plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { db, logger: false });
  const boot = await plumb.services.keys.bootstrap(undefined);
  return {
    name,
    plumb,
    projectId: boot.key.projectId,
    secret: boot.secret,
    dispose: async () => {
      await plumb.close();
      await dropSchema();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function measure(b) {
  const events = b.plumb.services.events;
  const batch = (offset) => Array.from({ length: n }, (_, i) => event(b.projectId, offset + i));
  // A warm-up batch, not counted.
  await events.record(batch(0));
  const service = [];
  const http = [];
  let bodyBytes = 0;
  for (let i = 1; i <= batches; i++) {
    const rows = batch(i * n);
    let start = process.hrtime.bigint();
    await events.record(rows);
    service.push(ms(start));

    const body = JSON.stringify({ events: batch(i * n).map(({ projectId, ...e }) => e) });
    bodyBytes = Buffer.byteLength(body);
    start = process.hrtime.bigint();
    const response = await b.plumb.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { authorization: `Bearer ${b.secret}`, 'content-type': 'application/json' },
      payload: body,
    });
    http.push(ms(start));
    if (response.statusCode !== 201) throw new Error(`HTTP ${response.statusCode}: ${response.body}`);
  }

  // Many callers each recording one event at a time and waiting for its commit, as predictions do.
  let next = 0;
  let waitedMax = 0;
  const waits = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < singles) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        await events.record([event(b.projectId, i)]);
        const waited = ms(t0);
        waits.push(waited);
        if (waited > waitedMax) waitedMax = waited;
      }
    }),
  );
  const singlesMs = ms(start);
  const stored = await events.repo.count(b.projectId);
  const expected = n * (1 + 2 * batches) + singles;
  if (stored !== expected) throw new Error(`stored ${stored} events, expected ${expected}`);

  console.log(`\n${b.name}: ${batches} batches of ${n.toLocaleString('en-US')} events (median, range)`);
  console.log(
    `  service call:  ${median(service).toFixed(0)} ms (${range(service)}) = ${rate(n, median(service))} events/s`,
  );
  console.log(
    `  HTTP, ${(bodyBytes / 1e6).toFixed(2)} MB JSON: ${median(http).toFixed(0)} ms (${range(http)}) = ${rate(n, median(http))} events/s; HTTP/service ${(median(http) / median(service)).toFixed(2)}`,
  );
  console.log(
    `  group commit, ${callers} concurrent callers of one event each: ${singles.toLocaleString('en-US')} events in ${singlesMs.toFixed(0)} ms = ${rate(singles, singlesMs)} events/s; wait for commit p50 ${median(waits).toFixed(1)} ms, max ${waitedMax.toFixed(1)} ms`,
  );
}

const pgUrl = process.env.PLUMB_BENCH_DATABASE_URL ?? process.env.PLUMB_TEST_DATABASE_URL;
for (const [name, url] of [['sqlite', undefined], ...(pgUrl ? [['postgres', pgUrl]] : [])]) {
  const b = await open(name, url);
  try {
    await measure(b);
  } finally {
    await b.dispose();
  }
}
