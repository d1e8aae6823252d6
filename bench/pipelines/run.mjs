// Pipeline engine overhead per no-op step, on both execution backends in one run:
// - SQLite: the in-process worker over the durable job table, on a temporary SQLite file;
// - pg-boss: PostgreSQL with PLUMB_JOBS=pg-boss, the steps run by one `plumb worker` process
//   (the built CLI) while this process only starts runs and reads them, as an API replica does.
// A run is N no-op command steps (`true`, caching off), either one after another (chain) or
// with no needs (wide). The overhead is the wall time per chained step less the time to spawn
// `true` alone, measured the same way: what the engine adds per step (claiming the job,
// recording the attempt, the step's own API key and its revocation, log capture, advancing the
// DAG in one transaction, queueing the next job).
// Run after `npm run build`, with PostgreSQL for the second backend (skipped without it):
//   PLUMB_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node bench/pipelines/run.mjs [steps=40] [runs=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { createPlumb } from '../../packages/server/dist/main.js';
import { dropPostgresSchema } from '../../packages/server/dist/storage/database.js';

const steps = Number(process.argv[2] ?? 40);
const runs = Number(process.argv[3] ?? 5);
const pgUrl = process.env.PLUMB_BENCH_DATABASE_URL ?? process.env.PLUMB_TEST_DATABASE_URL;
const CLI = fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

async function spawnMs() {
  const out = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    for (let i = 0; i < steps; i++) await spawnTrue();
    out.push((performance.now() - started) / steps);
  }
  return out;
}

/** Starts `plumb worker` with `env` and resolves once it says it runs jobs. */
function startWorker(env) {
  const child = spawn(process.execPath, [CLI, 'worker'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      output += d;
      if (/^Plumb worker \S+ running jobs/m.test(output)) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`plumb worker exited with ${code}:\n${output}`)));
  });
}

/** Chain and wide runs on one backend; `env` configures it, `external` runs steps in a worker process. */
async function measure(label, env, external) {
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-pipelines-'));
  const config = loadConfig({ PLUMB_HOME: home, PLUMB_LOG_LEVEL: 'error', ...env });
  const plumb = await createPlumb(config, { logger: false, jobsRunElsewhere: external });
  let worker;
  try {
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
    const step = (i, needs) =>
      `  - { name: s${i}, kind: command, run: ["true"], cache: false${needs && i > 0 ? `, needs: [s${i - 1}]` : ''} }`;
    const chain = Array.from({ length: steps }, (_, i) => step(i, true)).join('\n');
    const wide = Array.from({ length: steps }, (_, i) => step(i, false)).join('\n');
    const pipelines = plumb.services.pipelines;
    await pipelines.apply(ctx, `name: chain\nsteps:\n${chain}\n`, home);
    await pipelines.apply(ctx, `name: wide\nsteps:\n${wide}\n`, home);
    if (external) worker = await startWorker({ PLUMB_HOME: home, PLUMB_LOG_LEVEL: 'error', ...env });
    else plumb.worker.start();

    const runOnce = async (name) => {
      const started = performance.now();
      const { run } = await pipelines.run(ctx, name, { params: {} });
      for (;;) {
        const current = await pipelines.getRun(ctx, run.id);
        if (current.status === 'succeeded') break;
        if (current.status === 'failed') throw new Error(JSON.stringify(current.steps));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return (performance.now() - started) / steps;
    };
    await runOnce('chain'); // warm-up
    const chainMs = [];
    const wideMs = [];
    for (let r = 0; r < runs; r++) chainMs.push(await runOnce('chain'));
    for (let r = 0; r < runs; r++) wideMs.push(await runOnce('wide'));
    return { label, chainMs, wideMs, concurrency: config.workerConcurrency };
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await plumb.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const results = [await measure('SQLite, in-process worker', {}, false)];
if (pgUrl) {
  const schema = `plumb_bench_pipelines_${process.pid}`;
  const env = {
    PLUMB_DATABASE_URL: pgUrl,
    PLUMB_DATABASE_SCHEMA: schema,
    PLUMB_JOBS: 'pg-boss',
    PLUMB_PGBOSS_SCHEMA: `${schema}_boss`,
  };
  try {
    results.push(await measure('pg-boss on PostgreSQL, one plumb worker process', env, true));
  } finally {
    await dropPostgresSchema(pgUrl, `${schema}_boss`);
    await dropPostgresSchema(pgUrl, schema);
  }
}
const spawnOnly = await spawnMs();
const spawnMedian = median(spawnOnly);

console.log(`pipeline engine, ${steps} no-op command steps per run, ${runs} runs (median, range)`);
console.log(
  `  load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`  spawning \`true\` alone: ${spawnMedian.toFixed(1)} ms (${range(spawnOnly)})`);
for (const r of results) {
  console.log(`  ${r.label}:`);
  console.log(
    `    chain (each step after the last): ${median(r.chainMs).toFixed(1)} ms per step (${range(r.chainMs)})`,
  );
  console.log(
    `    wide (no needs, ${r.concurrency} at a time):      ${median(r.wideMs).toFixed(1)} ms per step (${range(r.wideMs)})`,
  );
  console.log(
    `    engine overhead per step (chain − spawn): ${(median(r.chainMs) - spawnMedian).toFixed(1)} ms`,
  );
}
if (!pgUrl) console.log('  pg-boss: skipped (set PLUMB_BENCH_DATABASE_URL to a PostgreSQL database)');
