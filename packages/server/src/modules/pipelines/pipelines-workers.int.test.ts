import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlumbClient } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, dropPostgresSchema, openDatabase } from '../../storage/database.js';
import { PgBossJobQueue } from '../../storage/queue/pg-boss-job-queue.js';
import { CLI_PATH, exitOf, type ServeProcess, startServe } from '../../testing/cli-harness.js';

// A pipeline on PostgreSQL with PLUMB_JOBS=pg-boss, served by `plumb serve --no-worker` and run
// by two `plumb worker` processes: every step runs once, the step of a worker killed without
// warning is taken over by the other once its lease passes, and a cron trigger starts one run
// per tick with both processes ticking it.

const url = process.env.PLUMB_TEST_DATABASE_URL;
const LEASE_MS = 2000;

// Each execution of a step is a line: step, attempt, event and the pid of the worker running it
// (the program's parent). The slow step's first attempt outlasts the test unless stopped.
const MARK = `import { appendFileSync } from 'node:fs';
const [log, ms] = [process.argv[2], Number(process.argv[3] ?? 0)];
const line = (event) => appendFileSync(log, [process.env.PLUMB_STEP, process.env.PLUMB_ATTEMPT, event, process.ppid].join(' ') + '\\n');
line('start');
const wait = process.env.PLUMB_STEP === 'slow' && process.env.PLUMB_ATTEMPT === '1' ? 120000 : ms;
setTimeout(() => line('done'), wait);
`;

// Logs to Plumb through the API the worker names in PLUMB_URL, with the step's own key: a
// training run with the worker's pid as a parameter.
const REPORT = `const response = await fetch(process.env.PLUMB_URL + '/api/v1/runs', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.PLUMB_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'from-' + process.env.PLUMB_STEP, params: { worker: process.ppid } }),
});
if (!response.ok) throw new Error(response.status + ' ' + (await response.text()));
`;

interface Mark {
  step: string;
  attempt: number;
  event: 'start' | 'done';
  pid: number;
}

(url ? describe : describe.skip)('a pipeline run by two plumb worker processes on pg-boss [postgres]', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-pipeline-workers-'));
  const home = join(dir, 'home');
  const schema = `plumb_pworkers_${process.pid}_${Date.now().toString(36)}`;
  const env = {
    PLUMB_HOME: home,
    PLUMB_DATABASE_URL: url!,
    PLUMB_DATABASE_SCHEMA: schema,
    PLUMB_JOBS: 'pg-boss',
    PLUMB_PGBOSS_SCHEMA: `${schema}_boss`,
    PLUMB_WORKER_LEASE_MS: String(LEASE_MS),
    PLUMB_WORKER_CONCURRENCY: '2',
    PLUMB_LOG_LEVEL: 'warn',
  };
  const workers: ChildProcess[] = [];
  let server: ServeProcess;
  let client: PlumbClient;
  // Read-only view of the jobs the processes share, to count the cron ticks enqueued.
  let db: Db;
  let queue: PgBossJobQueue;

  const marks = (file: string): Mark[] => {
    const path = join(dir, file);
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [step, attempt, event, pid] = l.split(' ');
        return { step: step!, attempt: Number(attempt), event: event as Mark['event'], pid: Number(pid) };
      });
  };

  const eventually = async <T>(probe: () => Promise<T | false | undefined>, what: string, ms = 30_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  function startWorker(): Promise<ChildProcess> {
    // Both workers share the state folder, as processes on one machine do: the survivor finds the
    // program the killed worker left running.
    const child = spawn(process.execPath, [CLI_PATH, 'worker', '--public-url', server.url], {
      env: { PATH: process.env.PATH ?? '', ...env },
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
    writeFileSync(join(dir, 'mark.mjs'), MARK);
    writeFileSync(join(dir, 'report.mjs'), REPORT);
    // The server applies the migrations and makes the admin key; it runs no jobs itself.
    server = await startServe(env, { args: ['--no-worker'] });
    const { apiKey } = JSON.parse(readFileSync(join(home, 'credentials'), 'utf8')) as { apiKey: string };
    client = new PlumbClient({ url: server.url, apiKey });
    await startWorker();
    await startWorker();
    db = openDatabase(url!, { schema, poolSize: 2 });
    queue = await PgBossJobQueue.open(db, { schema: `${schema}_boss`, maintenance: false });
  }, 90_000);

  afterAll(async () => {
    for (const child of [...workers, server?.child]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exitOf(child);
      }
    }
    await queue?.close();
    await db?.close();
    await dropPostgresSchema(url!, `${schema}_boss`);
    await dropPostgresSchema(url!, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every step once and takes over the step of a killed worker', async () => {
    const wide = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    const yaml = `name: spread
steps:
  - { name: first, kind: command, run: [node, mark.mjs, steps.log, "100"], cache: false }
${wide.map((w) => `  - { name: ${w}, kind: command, run: [node, mark.mjs, steps.log, "400"], needs: [first], cache: false }`).join('\n')}
  - { name: slow, kind: command, run: [node, mark.mjs, steps.log, "100"], needs: [${wide.join(', ')}], cache: false }
  - { name: last, kind: command, run: [node, mark.mjs, steps.log, "100"], needs: [slow], cache: false }
  - { name: report, kind: command, run: [node, report.mjs], needs: [last], cache: false }
`;
    await client.pipelines.apply(yaml, dir);
    const run = await client.pipelines.run('spread');
    const slowStart = await eventually(
      async () => marks('steps.log').find((m) => m.step === 'slow' && m.event === 'start'),
      'the slow step to start',
    );
    const victim = workers.find((w) => w.pid === slowStart.pid)!;
    const survivor = workers.find((w) => w.pid !== slowStart.pid)!;
    expect(victim, `the slow step ran in ${slowStart.pid}`).toBeDefined();
    victim.kill('SIGKILL');
    await exitOf(victim);

    const done = await eventually(async () => {
      const current = await client.pipelines.getRun(run.id);
      return ['succeeded', 'failed', 'cancelled'].includes(current.status) && current;
    }, 'the run to end');
    expect(done.status, JSON.stringify(done.steps)).toBe('succeeded');
    for (const step of done.steps) {
      const succeeded = step.attempts.filter((a) => a.status === 'succeeded');
      expect(succeeded, step.name).toHaveLength(1);
    }
    const slow = done.steps.find((s) => s.name === 'slow')!;
    expect(slow.attempts.map((a) => a.status)).toEqual(['interrupted', 'succeeded']);
    for (const step of done.steps.filter((s) => s.name !== 'slow'))
      expect(
        step.attempts.map((a) => a.status),
        step.name,
      ).toEqual(['succeeded']);

    const lines = marks('steps.log');
    // Every step finished once; only the slow one started twice: in the victim, then the survivor.
    const finished = lines.filter((m) => m.event === 'done');
    expect(finished.map((m) => m.step).sort()).toEqual(['first', ...wide, 'slow', 'last'].sort());
    expect(lines.filter((m) => m.step === 'slow')).toEqual([
      { step: 'slow', attempt: 1, event: 'start', pid: victim.pid },
      { step: 'slow', attempt: 2, event: 'start', pid: survivor.pid },
      { step: 'slow', attempt: 2, event: 'done', pid: survivor.pid },
    ]);
    expect(lines.find((m) => m.step === 'last')!.pid).toBe(survivor.pid);
    const logged = await client.runs.list({ limit: 10 });
    expect(logged.items.map((r) => [r.name, r.params])).toEqual([['from-report', { worker: survivor.pid }]]);
    // The wide stage ran in both processes, two steps at a time each.
    const before = finished.filter((m) => wide.includes(m.step));
    expect(new Set(before.map((m) => m.pid))).toEqual(new Set(workers.map((w) => w.pid)));
    const logs = await client.pipelines.logs(run.id, { step: 'slow' });
    expect(logs.lines.map((l) => l.text)).toContain(
      'stopped the program of the interrupted attempt, which was still running',
    );
  }, 60_000);

  it('starts one run per cron tick however many workers tick the schedule', async () => {
    const live = workers.filter((w) => w.exitCode === null && w.signalCode === null);
    while (live.length < 2) live.push(await startWorker());
    const yaml = (cron: boolean) => `name: ticking
${cron ? 'triggers:\n  - { cron: "* * * * * *" }\n' : ''}steps:
  - { name: tick, kind: command, run: [node, mark.mjs, ticks.log], cache: false }
`;
    await client.pipelines.apply(yaml(true), dir);
    await eventually(
      async () => marks('ticks.log').filter((m) => m.event === 'done').length >= 4,
      'four ticks',
    );
    // The next version has no cron trigger, which removes the schedule.
    await client.pipelines.apply(yaml(false), dir);
    // Every tick's job handled (one enqueued before the schedule went starts its run late), and
    // every run it started ended.
    const runs = await eventually(async () => {
      const ticked = await queue.list({ queue: 'pipeline.cron', limit: 500 });
      if (!ticked.every((j) => j.status === 'succeeded')) return false;
      const page = await client.pipelines.runs({ pipeline: 'ticking', limit: 100 });
      return page.items.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)) && page.items;
    }, 'the ticked runs to end');
    const settled = runs.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect((await client.pipelines.runs({ pipeline: 'ticking', limit: 100 })).items).toHaveLength(settled);
    expect(runs.every((r) => r.status === 'succeeded' && r.trigger.kind === 'cron')).toBe(true);
    const ticks = runs.map((r) => r.trigger.detail.tick as string);
    expect(new Set(ticks).size).toBe(runs.length);
    // Each tick was enqueued once (not once per ticking process, deduplicated later by the run's
    // key), and each tick's step ran once.
    const cronJobs = await queue.list({ queue: 'pipeline.cron', limit: 500 });
    expect(cronJobs.map((j) => j.scheduledFor!.toISOString()).sort()).toEqual([...ticks].sort());
    expect(cronJobs.every((j) => j.status === 'succeeded' && j.attempts === 1)).toBe(true);
    const executions = marks('ticks.log').filter((m) => m.event === 'done');
    expect(executions).toHaveLength(runs.length);
  }, 60_000);
});
