// Pipeline engine overhead: a run of N no-op command steps (`true`, one after another, caching
// off) through the in-process worker over the durable job table on a temporary SQLite file. The
// figure is the wall time per step less the time to spawn `true` alone, measured the same way:
// what the engine adds per step (claiming the job, recording the attempt, the step's own API key
// and its revocation, log capture, advancing the DAG in one transaction, queueing the next job).
// Run after `npm run build`:
//   node bench/pipelines/run.mjs [steps=40] [runs=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { createPlumb } from '../../packages/server/dist/main.js';

const steps = Number(process.argv[2] ?? 40);
const runs = Number(process.argv[3] ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

const home = mkdtempSync(join(tmpdir(), 'plumb-bench-pipelines-'));
const plumb = await createPlumb(loadConfig({ PLUMB_HOME: home, PLUMB_LOG_LEVEL: 'error' }), {
  logger: false,
});
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
  const chain = Array.from(
    { length: steps },
    (_, i) =>
      `  - { name: s${i}, kind: command, run: ["true"], cache: false${i > 0 ? `, needs: [s${i - 1}]` : ''} }`,
  ).join('\n');
  const wide = Array.from(
    { length: steps },
    (_, i) => `  - { name: s${i}, kind: command, run: ["true"], cache: false }`,
  ).join('\n');
  const pipelines = plumb.services.pipelines;
  await pipelines.apply(ctx, `name: chain\nsteps:\n${chain}\n`, home);
  await pipelines.apply(ctx, `name: wide\nsteps:\n${wide}\n`, home);
  plumb.worker.start();

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

  const spawnMs = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    for (let i = 0; i < steps; i++) await spawnTrue();
    spawnMs.push((performance.now() - started) / steps);
  }
  await runOnce('chain'); // warm-up
  const chainMs = [];
  const wideMs = [];
  for (let r = 0; r < runs; r++) chainMs.push(await runOnce('chain'));
  for (let r = 0; r < runs; r++) wideMs.push(await runOnce('wide'));
  const spawnMedian = median(spawnMs);
  console.log(
    `pipeline engine on SQLite, ${steps} no-op command steps per run, ${runs} runs (median, range):`,
  );
  console.log(`  spawning \`true\` alone:            ${spawnMedian.toFixed(1)} ms (${range(spawnMs)})`);
  console.log(
    `  chain (each step after the last): ${median(chainMs).toFixed(1)} ms per step (${range(chainMs)})`,
  );
  console.log(
    `  wide (no needs, ${plumb.config.workerConcurrency} workers):        ${median(wideMs).toFixed(1)} ms per step (${range(wideMs)})`,
  );
  console.log(`  engine overhead per step (chain − spawn): ${(median(chainMs) - spawnMedian).toFixed(1)} ms`);
} finally {
  await plumb.close();
  rmSync(home, { recursive: true, force: true });
}
