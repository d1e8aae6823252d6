import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, exitOf } from '../../testing/cli-harness.js';
import { type Db, dropPostgresSchema, ensurePostgresSchema, openDatabase } from '../database.js';
import { eventually } from './job-queue-suite.contract.js';
import { PgBossJobQueue } from './pg-boss-job-queue.js';

// Two real `plumb worker` processes on pg-boss on the local PostgreSQL: every job runs once,
// a cron schedule fires once per tick however many processes tick it, and the job of a worker
// killed without warning is taken over by the other once its lease passes.

const url = process.env.PLUMB_TEST_DATABASE_URL;
const LEASE_MS = 2000;

// The handlers the workers load with --handlers; each execution is a line in the log file.
const HANDLERS = `
import { appendFileSync } from 'node:fs';
const log = (entry) => appendFileSync(process.env.EXECUTIONS_LOG, JSON.stringify({ pid: process.pid, ...entry }) + '\\n');
const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => clearTimeout(timer));
});
export default {
  'test.quick': async (job, { signal }) => {
    await sleep(50, signal);
    log({ event: 'done', job: job.id });
    return { pid: process.pid };
  },
  'test.tick': async (job) => {
    log({ event: 'tick', job: job.id, scheduledFor: job.scheduledFor });
  },
  // The first attempt runs until its worker is killed; a retry finishes at once.
  'test.slow': async (job, { signal }) => {
    log({ event: 'start', job: job.id, attempt: job.attempts });
    await sleep(job.attempts === 1 ? 60_000 : 100, signal);
    log({ event: 'done', job: job.id, attempt: job.attempts });
  },
};
`;

interface Entry {
  pid: number;
  event: string;
  job: string;
  attempt?: number;
  scheduledFor?: string;
}

(url ? describe : describe.skip)('plumb worker processes on pg-boss [postgres]', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-boss-workers-'));
  const executions = join(dir, 'executions.log');
  const schema = `plumb_workers_${process.pid}_${Date.now().toString(36)}`;
  const bossSchema = `${schema}_boss`;
  const workers: ChildProcess[] = [];
  let db: Db;
  let queue: PgBossJobQueue;

  const entries = (): Entry[] =>
    existsSync(executions)
      ? readFileSync(executions, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Entry)
      : [];

  function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [CLI_PATH, 'worker', '--handlers', join(dir, 'handlers.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        PLUMB_HOME: join(dir, `home-${workers.length}`),
        PLUMB_DATABASE_URL: url!,
        PLUMB_DATABASE_SCHEMA: schema,
        PLUMB_JOBS: 'pg-boss',
        PLUMB_PGBOSS_SCHEMA: bossSchema,
        PLUMB_WORKER_LEASE_MS: String(LEASE_MS),
        PLUMB_WORKER_CONCURRENCY: '2',
        PLUMB_LOG_LEVEL: 'warn',
        EXECUTIONS_LOG: executions,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d;
        if (/^Plumb worker \S+ running jobs from pg-boss/m.test(output)) resolve(child);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
    });
  }

  beforeAll(async () => {
    if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
    writeFileSync(join(dir, 'handlers.mjs'), HANDLERS);
    await ensurePostgresSchema(url!, schema);
    db = openDatabase(url!, { schema, poolSize: 4 });
    queue = await PgBossJobQueue.open(db, { schema: bossSchema, maintenance: false });
    // One after the other: the first also applies Plumb's migrations.
    await startWorker();
    await startWorker();
  }, 60_000);

  afterAll(async () => {
    for (const child of workers) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exitOf(child);
      }
    }
    await queue?.close();
    await db?.close();
    await dropPostgresSchema(url!, bossSchema);
    await dropPostgresSchema(url!, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each job exactly once, spread over both processes', async () => {
    const jobs = await Promise.all(Array.from({ length: 40 }, (_, n) => queue.enqueue('test.quick', { n })));
    await eventually(async () => {
      const done = await queue.list({ queue: 'test.quick', status: 'succeeded', limit: 500 });
      return done.length === jobs.length;
    }, 'every quick job');
    const done = entries().filter((e) => e.event === 'done');
    expect(done.map((e) => e.job).sort()).toEqual(jobs.map((j) => j.id).sort());
    const pids = new Set(done.map((e) => e.pid));
    expect([...pids].sort()).toEqual(workers.map((w) => w.pid).sort());
    for (const job of await queue.list({ queue: 'test.quick', limit: 500 })) {
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(job.workerId).toMatch(new RegExp(`:${(job.result as { pid: number }).pid}:`));
    }
  });

  it('fires a cron schedule once per tick with both processes ticking it', async () => {
    await queue.schedule('every-second', { cron: '* * * * * *', queue: 'test.tick' });
    await eventually(async () => entries().filter((e) => e.event === 'tick').length >= 4, 'four ticks');
    await queue.unschedule('every-second');
    await eventually(async () => {
      const jobs = await queue.list({ queue: 'test.tick', limit: 500 });
      return jobs.length > 0 && jobs.every((j) => j.status === 'succeeded');
    }, 'the enqueued ticks');
    const jobs = await queue.list({ queue: 'test.tick', limit: 500 });
    const ticks = entries().filter((e) => e.event === 'tick');
    expect(ticks).toHaveLength(jobs.length);
    expect(new Set(ticks.map((t) => t.scheduledFor)).size).toBe(ticks.length);
    expect(new Set(jobs.map((j) => j.scheduledFor!.toISOString())).size).toBe(jobs.length);
  });

  it("takes over a killed worker's job once its lease passes", async () => {
    const job = await queue.enqueue('test.slow', {}, { maxAttempts: 3 });
    const started = await eventually(async () =>
      entries().find((e) => e.event === 'start' && e.job === job.id),
    );
    const victim = workers.find((w) => w.pid === started.pid)!;
    const survivor = workers.find((w) => w.pid !== started.pid)!;
    victim.kill('SIGKILL');
    await exitOf(victim);
    const done = await eventually(async () => {
      const current = await queue.get(job.id);
      return current?.status === 'succeeded' && current;
    }, 'the job taken over');
    expect(done.attempts).toBe(2);
    expect(done.workerId).toMatch(new RegExp(`:${survivor.pid}:`));
    const runs = entries().filter((e) => e.job === job.id);
    expect(runs).toEqual([
      { pid: victim.pid, event: 'start', job: job.id, attempt: 1 },
      { pid: survivor.pid, event: 'start', job: job.id, attempt: 2 },
      { pid: survivor.pid, event: 'done', job: job.id, attempt: 2 },
    ]);
  });
});
