// Run metrics benchmark: what logging the largest batch a request may carry (10,000 points, one
// transaction and one audit record) costs through the service and through HTTP (JSON body,
// validation, the route), and what reading the full history back in pages costs. On a temporary
// SQLite file, and on PostgreSQL when PLUMB_BENCH_DATABASE_URL (or PLUMB_TEST_DATABASE_URL)
// names one. Run after `npm run build`:
//   node bench/runs/run.mjs [batches=11] [points=10000]
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

const batches = Number(process.argv[2] ?? 11);
const n = Number(process.argv[3] ?? 10_000);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

function points(count, key, offset) {
  return Array.from({ length: count }, (_, i) => ({
    key,
    value: 1 / (offset + i + 1),
    step: offset + i,
    time: 1_700_000_000_000 + offset + i,
  }));
}

async function open(name, url) {
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-runs-'));
  let db;
  let dropSchema = async () => {};
  if (url) {
    const schema = `plumb_bench_runs_${process.pid}`;
    await ensurePostgresSchema(url, schema);
    db = openDatabase(url, { schema, poolSize: 5 });
    dropSchema = () => dropPostgresSchema(url, schema);
  } else {
    db = openDatabase(`sqlite:${join(home, 'plumb.db')}`);
  }
  const plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { db, logger: false });
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
  return {
    name,
    plumb,
    ctx,
    secret: boot.secret,
    dispose: async () => {
      await plumb.close();
      await dropSchema();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function measure(b) {
  const runs = b.plumb.services.runs;
  const run = await runs.create(b.ctx, {
    name: 'bench',
    params: {},
    tags: {},
    codeVersion: null,
    inputs: [],
  });
  // A warm-up batch of each kind, not counted.
  await runs.logMetrics(b.ctx, run.id, points(n, 'warm', 0));
  const service = [];
  const http = [];
  let bodyBytes = 0;
  for (let i = 0; i < batches; i++) {
    const batch = points(n, 'loss', i * n);
    let start = process.hrtime.bigint();
    await runs.logMetrics(b.ctx, run.id, batch);
    service.push(ms(start));

    const body = JSON.stringify({ points: points(n, 'val_loss', i * n) });
    bodyBytes = Buffer.byteLength(body);
    start = process.hrtime.bigint();
    const response = await b.plumb.app.inject({
      method: 'POST',
      url: `/api/v1/runs/${run.id}/metrics`,
      headers: { authorization: `Bearer ${b.secret}`, 'content-type': 'application/json' },
      payload: body,
    });
    http.push(ms(start));
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`);
  }
  const total = batches * n;
  const start = process.hrtime.bigint();
  let read = 0;
  let cursor;
  do {
    const page = await runs.metricHistory(b.ctx, run.id, {
      key: 'loss',
      limit: 3_000,
      ...(cursor ? { cursor } : {}),
    });
    read += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  const historyMs = ms(start);
  if (read !== total) throw new Error(`read ${read} points back, expected ${total}`);
  console.log(
    `\n${b.name}: ${batches} batches of ${n.toLocaleString('en-US')} points into one run (median, range)`,
  );
  console.log(
    `  service call:  ${median(service).toFixed(0)} ms (${range(service)}) = ${Math.round((n / median(service)) * 1000).toLocaleString('en-US')} points/s`,
  );
  console.log(
    `  HTTP, ${(bodyBytes / 1e6).toFixed(2)} MB JSON: ${median(http).toFixed(0)} ms (${range(http)}) = ${Math.round((n / median(http)) * 1000).toLocaleString('en-US')} points/s; HTTP/service ${(median(http) / median(service)).toFixed(2)}`,
  );
  console.log(
    `  history of ${total.toLocaleString('en-US')} points in pages of 3,000: ${historyMs.toFixed(0)} ms = ${Math.round((total / historyMs) * 1000).toLocaleString('en-US')} points/s`,
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
