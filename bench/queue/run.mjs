// Job queue benchmark: the overhead of one no-op job from enqueue to start to complete, enqueue
// and claim+complete throughput with concurrent claimers, jobs run end to end by a Worker, how
// long a Worker takes to stop with a handler that ignores its signal, and the cost of ticking
// schedules. The jobs table on a temporary SQLite file, and, when PLUMB_BENCH_DATABASE_URL (or
// PLUMB_TEST_DATABASE_URL) names a PostgreSQL database, the jobs table there and pg-boss.
// Run after `npm run build`:
//   node bench/queue/run.mjs [jobs=2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrate } from '../../packages/server/dist/main.js';
import {
  dropPostgresSchema,
  ensurePostgresSchema,
  openDatabase,
} from '../../packages/server/dist/storage/database.js';
import { DbJobQueue } from '../../packages/server/dist/storage/queue/db-job-queue.js';
import { PgBossJobQueue } from '../../packages/server/dist/storage/queue/pg-boss-job-queue.js';
import { Worker } from '../../packages/server/dist/storage/queue/worker.js';

const jobs = Number(process.argv[2] ?? 2000);
const LEASE = 60_000;
const silent = { info() {}, warn() {}, error() {} };
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const rate = (n, s) => `${Math.round(n / s).toLocaleString('en-US')}/s`;

async function sqliteBackend() {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-queue-'));
  const url = `sqlite:${join(dir, 'plumb.db')}`;
  const db = openDatabase(url);
  await migrate(db);
  return {
    name: 'sqlite (jobs table)',
    queue: new DbJobQueue(db),
    clear: () => clearTables(db),
    dispose: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresBackend(url) {
  const schema = `plumb_bench_queue_${process.pid}`;
  await ensurePostgresSchema(url, schema);
  const db = openDatabase(url, { schema, poolSize: 20 });
  await migrate(db);
  return {
    name: 'postgres (jobs table)',
    queue: new DbJobQueue(db),
    clear: () => clearTables(db),
    dispose: async () => {
      await db.close();
      await dropPostgresSchema(url, schema);
    },
  };
}

async function pgBossBackend(url) {
  const schema = `plumb_bench_boss_${process.pid}`;
  await ensurePostgresSchema(url, schema);
  const db = openDatabase(url, { schema, poolSize: 20 });
  // As `plumb worker` runs it, but without maintenance timers firing mid-measurement.
  const queue = await PgBossJobQueue.open(db, { schema, maintenance: false });
  return {
    name: 'postgres (pg-boss)',
    queue,
    clear: async () => {
      await sql`delete from ${sql.raw(schema)}.job`.execute(db.kysely);
      await sql`delete from ${sql.raw(schema)}.plumb_schedule`.execute(db.kysely);
    },
    dispose: async () => {
      await queue.close();
      await db.close();
      await dropPostgresSchema(url, schema);
    },
  };
}

async function clearTables(db) {
  await db.kysely.deleteFrom('jobs').execute();
  await db.kysely.deleteFrom('job_schedules').execute();
}

async function enqueueAll(queue, n, name = 'work') {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await queue.enqueue(name, { i });
  return seconds(start);
}

/** Claims and completes every job with `claimers` concurrent loops; returns seconds and empty claims. */
async function drain(queue, claimers, total) {
  let done = 0;
  let empty = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: claimers }, async (_, i) => {
      const workerId = `w${i}`;
      while (done < total) {
        const job = await queue.claim(['work'], workerId, LEASE);
        if (!job) {
          empty++;
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        await queue.complete(job.id, workerId, null);
        done++;
      }
    }),
  );
  return { s: seconds(start), empty };
}

async function waitFor(check) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 2));
}

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * p)];
const ms = (v) => `${v.toFixed(1)} ms`;

/**
 * One no-op job at a time through a running Worker: enqueue returned, handler started (the
 * claim; the worker polls every 5 ms, so its poll interval adds at most that), and completion
 * recorded (the worker logs it right after `complete` returns). The per-step overhead of a
 * pipeline whose steps are jobs.
 */
async function overhead(queue, n) {
  const startedAt = new Map();
  const completedAt = new Map();
  const logger = {
    ...silent,
    info(fields, msg) {
      if (msg === 'job succeeded') completedAt.set(fields.jobId, performance.now());
    },
  };
  const worker = new Worker({ queue, logger, pollIntervalMs: 5 }).register('noop', (job) => {
    startedAt.set(job.id, performance.now());
    return null;
  });
  worker.start();
  const rows = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const job = await queue.enqueue('noop', { i });
    const t1 = performance.now();
    while (!completedAt.has(job.id)) await new Promise((resolve) => setImmediate(resolve));
    const t2 = startedAt.get(job.id);
    const t3 = completedAt.get(job.id);
    rows.push({ enqueue: t1 - t0, start: t2 - t1, complete: t3 - t2, total: t3 - t0 });
  }
  await worker.stop();
  const line = (key) => {
    const values = rows.map((r) => r[key]);
    return `${ms(percentile(values, 0.5))} / ${ms(percentile(values, 0.95))}`;
  };
  console.log(`no-op job, p50 / p95 over ${n} jobs one at a time:`);
  console.log(`  enqueue ${line('enqueue')}; enqueued to started ${line('start')}`);
  console.log(`  started to completed ${line('complete')}; enqueue to completed ${line('total')}`);
}

async function run(backend) {
  const { queue, clear } = backend;
  console.log(`\n## ${backend.name}`);

  await clear();
  await overhead(queue, Math.min(jobs, 300));
  await clear();
  const enq = await enqueueAll(queue, jobs);
  console.log(`enqueue, one at a time: ${rate(jobs, enq)} (${jobs} jobs)`);
  for (const claimers of [1, 4, 16]) {
    await clear();
    await enqueueAll(queue, jobs);
    const { s, empty } = await drain(queue, claimers, jobs);
    console.log(
      `claim+complete, ${String(claimers).padStart(2)} claimers: ${rate(jobs, s)}; empty claims per job ${(empty / jobs).toFixed(2)}`,
    );
  }

  await clear();
  for (const concurrency of [1, 4]) {
    const worker = new Worker({ queue, logger: silent, concurrency, pollIntervalMs: 5 }).register(
      'work',
      () => null,
    );
    const n = Math.min(jobs, 1000);
    await enqueueAll(queue, n);
    const start = process.hrtime.bigint();
    worker.start();
    await waitFor(
      async () => (await queue.list({ status: 'queued', limit: 1 })).length === 0 && worker.active === 0,
    );
    const s = seconds(start);
    await worker.stop();
    console.log(`worker end to end, concurrency ${concurrency}: ${rate(n, s)} (no-op handler, ${n} jobs)`);
    await clear();
  }

  // A handler that never settles and ignores its signal: stop must still return soon after its timeout.
  const stubborn = new Worker({ queue, logger: silent, pollIntervalMs: 5 }).register(
    'stuck',
    () => new Promise(() => {}),
  );
  stubborn.start();
  await queue.enqueue('stuck', null);
  await waitFor(async () => stubborn.active === 1);
  const stopStart = process.hrtime.bigint();
  await stubborn.stop({ timeoutMs: 50 });
  console.log(
    `worker stop with a stuck handler, timeout 50 ms: returned after ${(seconds(stopStart) * 1000).toFixed(0)} ms`,
  );

  await clear();
  const schedules = 1000;
  for (let i = 0; i < schedules; i++) {
    await queue.schedule(`s${i}`, { cron: '* * * * *', queue: 'tick', payload: { i } });
  }
  const idleStart = process.hrtime.bigint();
  const idleTicks = 200;
  for (let i = 0; i < idleTicks; i++) await queue.tickSchedules();
  console.log(
    `tickSchedules, ${schedules} schedules, none due: ${((seconds(idleStart) * 1000) / idleTicks).toFixed(2)} ms per poll`,
  );
  const later = new Date(Date.now() + 61_000);
  const dueStart = process.hrtime.bigint();
  let enqueued = 0;
  for (;;) {
    const batch = await queue.tickSchedules(later);
    if (batch.length === 0) break;
    enqueued += batch.length;
  }
  console.log(`tickSchedules, all due: ${rate(enqueued, seconds(dueStart))} ticks enqueued (${enqueued})`);
}

const backends = [await sqliteBackend()];
const pgUrl = process.env.PLUMB_BENCH_DATABASE_URL ?? process.env.PLUMB_TEST_DATABASE_URL;
if (pgUrl) backends.push(await postgresBackend(pgUrl), await pgBossBackend(pgUrl));
console.log(`# job queue (node ${process.version})`);
for (const backend of backends) {
  try {
    await run(backend);
  } finally {
    await backend.dispose();
  }
}
