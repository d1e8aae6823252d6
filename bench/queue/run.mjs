// Job queue benchmark: enqueue and claim+complete throughput with concurrent claimers, jobs run
// end to end by a Worker, how long a Worker takes to stop with a handler that ignores its
// signal, and the cost of ticking schedules. On a temporary SQLite file, and on PostgreSQL when
// PLUMB_BENCH_DATABASE_URL (or PLUMB_TEST_DATABASE_URL) names one. Run after `npm run build`:
//   node bench/queue/run.mjs [jobs=2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../packages/server/dist/main.js';
import {
  dropPostgresSchema,
  ensurePostgresSchema,
  openDatabase,
} from '../../packages/server/dist/storage/database.js';
import { DbJobQueue } from '../../packages/server/dist/storage/queue/db-job-queue.js';
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
    name: 'sqlite',
    db,
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
    name: 'postgres',
    db,
    dispose: async () => {
      await db.close();
      await dropPostgresSchema(url, schema);
    },
  };
}

async function clear(db) {
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

async function run(backend) {
  const { db } = backend;
  const queue = new DbJobQueue(db);
  console.log(`\n## ${backend.name}`);

  await clear(db);
  const enq = await enqueueAll(queue, jobs);
  console.log(`enqueue, one at a time: ${rate(jobs, enq)} (${jobs} jobs)`);
  for (const claimers of [1, 4, 16]) {
    await clear(db);
    await enqueueAll(queue, jobs);
    const { s, empty } = await drain(queue, claimers, jobs);
    console.log(
      `claim+complete, ${String(claimers).padStart(2)} claimers: ${rate(jobs, s)}; empty claims per job ${(empty / jobs).toFixed(2)}`,
    );
  }

  await clear(db);
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
    await clear(db);
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

  await clear(db);
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
if (pgUrl) backends.push(await postgresBackend(pgUrl));
console.log(`# job queue (node ${process.version})`);
for (const backend of backends) {
  try {
    await run(backend);
  } finally {
    await backend.dispose();
  }
}
