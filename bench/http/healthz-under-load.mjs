// /healthz latency while a large evaluation runs, next to idle: a paired bootstrap of 50,000
// resamples over seattle-weather twice (2,922 rows), candidate against baseline, two logistic
// regressions trained here. `thread` is `plumb serve` as shipped (jobs in a worker thread);
// `same-loop` runs the job worker on the HTTP event loop, as `plumb serve` did before, for
// comparison. Probes are sequential GETs from this process, 20 ms apart. Run after `npm run build`:
//   node bench/http/healthz-under-load.mjs [mode=both|thread|same-loop] [idle-probes=200]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportLogisticRegression } from '../../examples/dist/logistic-onnx.js';
import { LogisticRegression } from '../../examples/dist/train-logistic.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const CLI = here('../../packages/server/dist/cli/main.js');
const CSV = here('../../node_modules/vega-datasets/data/seattle-weather.csv');
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];
const ADMIN_KEY = `plumb_${'b'.repeat(43)}`;

function start(mode, home) {
  const args =
    mode === 'thread'
      ? [CLI, 'serve', '--port', '0']
      : [fileURLToPath(import.meta.url), '--same-loop-server'];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PLUMB_HOME: home, PLUMB_ADMIN_KEY: ADMIN_KEY, PLUMB_LOG_LEVEL: 'info' },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      output += d;
      const url = /Plumb (http:\/\/\S+)/.exec(output)?.[1];
      const ready = mode === 'thread' ? /"msg":"worker started"/.test(output) : / ready/.test(output);
      if (url && ready) resolve({ child, url });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

async function api(url, method, path, body, raw) {
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      'content-type': raw ? 'application/octet-stream' : 'application/json',
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

function train() {
  const [, ...lines] = readFileSync(CSV, 'utf8').trim().split('\n');
  const rows = lines.map((l) => l.split(','));
  const x = rows.map((r) => [1, 2, 3, 4].map((i) => Number(r[i])));
  const y = rows.map((r) => r[5]);
  const trainOn = (keep, epochs) =>
    LogisticRegression.fit(
      x.filter((_, i) => keep(i)),
      y.filter((_, i) => keep(i)),
      { epochs, learningRate: 0.5, seed: 7 },
    );
  return [trainOn((i) => i % 12 === 0, 40), trainOn((i) => i < 1000, 400)].map((m) =>
    exportLogisticRegression(m, FEATURES),
  );
}

let failures = 0;
/** Milliseconds until /healthz answered; a failed probe (reset by a stalled server) counts its time too. */
async function probe(url) {
  const t0 = performance.now();
  try {
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
  } catch {
    failures++;
  }
  return performance.now() - t0;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const summary = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5).toFixed(1)} ms, p99 ${pct(s, 0.99).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length} probes)`;
};

async function measure(mode, idleProbes) {
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-healthz-'));
  const { child, url } = await start(mode, home);
  try {
    const csv = await api(url, 'POST', '/api/v1/blobs', undefined, readFileSync(CSV));
    await api(url, 'POST', '/api/v1/datasets/weather2/versions', {
      files: [
        { path: 'a.csv', ref: csv.ref },
        { path: 'b.csv', ref: csv.ref },
      ],
    });
    for (const bytes of train()) {
      const blob = await api(url, 'POST', '/api/v1/blobs', undefined, bytes);
      await api(url, 'POST', '/api/v1/models/weather/versions', {
        artifact: { kind: 'onnx', blobRef: blob.ref },
        model: { riskClass: 'limited' },
      });
    }
    await api(url, 'POST', '/api/v1/eval-suites', {
      yaml: [
        'name: heavy',
        'datasets: [weather2@v1]',
        'label: weather',
        'task: classification',
        `features: [${FEATURES.join(', ')}]`,
        'metrics: [accuracy]',
        'gate:',
        '  significance: { test: paired_bootstrap, iterations: 50000 }',
        '',
      ].join('\n'),
    });

    const idle = [];
    for (let i = 0; i < idleProbes; i++) {
      idle.push(await probe(url));
      await sleep(20);
    }
    const run = await api(url, 'POST', '/api/v1/eval-runs', {
      suite: 'heavy',
      candidate: 'weather@v2',
      baseline: 'weather@v1',
    });
    const busy = [];
    failures = 0;
    const started = performance.now();
    let status = run.status;
    for (let i = 0; status === 'queued' || status === 'running'; i++) {
      // Every probe from the submission until the run is seen ended: a stalled server cannot
      // even say that the run is running.
      busy.push(await probe(url));
      if (i % 10 === 0) status = (await api(url, 'GET', `/api/v1/eval-runs/${run.id}`)).status;
      await sleep(20);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${mode}: /healthz idle: ${summary(idle)}`);
    console.log(
      `${mode}: /healthz during the evaluation (${status} in ${seconds} s): ${summary(busy)}, ${failures} failed`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--same-loop-server') {
  // The child of `same-loop` mode: the server with its worker on the HTTP event loop.
  const { loadConfig } = await import('../../packages/server/dist/core/config.js');
  const { startServer } = await import('../../packages/server/dist/server.js');
  const config = loadConfig({ ...process.env, PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'warn' });
  const { plumb, url } = await startServer(config, { print: () => {}, worker: true });
  console.log(`Plumb ${url} ready`);
  process.once('SIGTERM', () => plumb.close().then(() => process.exit(0)));
} else {
  const mode = process.argv[2] ?? 'both';
  const idleProbes = Number(process.argv[3] ?? 200);
  for (const m of mode === 'both' ? ['thread', 'same-loop'] : [mode]) await measure(m, idleProbes);
}
