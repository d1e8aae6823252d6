// Serving at a fixed rate from one and from several server processes, and the machine's floor.
// Answers whether a second event loop would lower the latency tail of batch-1 predictions:
//   1. the floor: a bare `node:http` server that parses the JSON body and answers a small JSON
//      object, nothing else (one loopback round trip between two Node processes);
//   2. Plumb with 1, then N serving processes on one SQLite home, sharing the listening socket
//      through `node:cluster` (each process a full API replica: its own connection, caches and
//      event-log commits, as replicas of one database run), every prediction logged before it
//      is answered.
// Each phase is measured by the same client process as `run.mjs` (3 s warm-up at the rate, then
// `seconds`); for Plumb it also counts the requests over 2 ms and how many of them overlapped a
// GC pause of a server process. Run after `npm run build`:
//   node bench/serving/processes.mjs [rate=1000] [seconds=10] [processes=1,2] [rounds=1]
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { percentile, runClient } from './load-client.mjs';
import { createWeatherEndpoint, restBodies, weatherModel } from './weather-endpoint.mjs';

const SLOW_MS = 2;
const { loadConfig } = await import('../../packages/server/dist/core/config.js');
const { startServer } = await import('../../packages/server/dist/server.js');

if (cluster.isPrimary) await main();
else await serve();

async function main() {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 10);
  const counts = (process.argv[4] ?? '1,2').split(',').map(Number);
  const rounds = Number(process.argv[5] ?? 1);
  const { rows, bytes } = weatherModel();
  const bodies = restBodies(rows.slice(0, 200));
  const load = { bodies, rate, warmup: 3, seconds, connections: 64 };
  console.log(
    `node ${process.version}, ${rate}/s for ${seconds} s after 3 s of warm-up, batch-1 REST predictions`,
  );
  for (let round = 0; round < rounds; round++) {
    console.log(`bare node:http: ${summary((await floor(load)).latencies)}`);
    for (const n of counts) {
      const { latencies, answeredAt, pauses, failed } = await plumb(n, bytes, load);
      // Each slow request's span in wall-clock time, to set against the pauses.
      const slow = [];
      latencies.forEach((ms, k) => {
        if (ms > SLOW_MS) slow.push([answeredAt[k] - ms, answeredAt[k]]);
      });
      const overlapped = slow.filter(([from, to]) => pauses.some(([at, ms]) => at < to && at + ms > from));
      const gcMs = pauses.reduce((a, [, ms]) => a + ms, 0);
      console.log(
        `Plumb, ${n} serving process${n === 1 ? '' : 'es'}: ${summary(latencies)}, ${failed} failed; ` +
          `over ${SLOW_MS} ms: ${slow.length}, of which ${overlapped.length} overlapped a GC pause ` +
          `(${pauses.length} pauses, ${gcMs.toFixed(0)} ms in all)`,
      );
    }
  }
}

function summary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p) => percentile(sorted, p).toFixed(2);
  return `${sorted.length} ok, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms`;
}

/** The bare server in this process, measured by the client. */
async function floor(load) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const input = JSON.parse(body).inputs[0];
      const out = JSON.stringify({ predictions: [{ predictionId: String(Math.random()), output: input }] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  // The client opens its connections before the warm-up and some wait unused for a while.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await runClient({
      ...load,
      url: `http://127.0.0.1:${server.address().port}`,
      key: 'none',
      path: '/',
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Plumb on a new SQLite home, served by `n` forked processes on one port: the endpoint and key
 * are created here first, with the server closed again before the processes start.
 */
async function plumb(n, bytes, load) {
  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-processes-'));
  let workers = [];
  try {
    const config = loadConfig({ PLUMB_HOME: home, PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'silent' });
    const setup = await startServer(config, { print: () => {}, worker: false, jobsRunElsewhere: true });
    const key = await createWeatherEndpoint(setup.plumb.services, setup.adminSecret, bytes);
    await setup.plumb.close();
    workers = Array.from({ length: n }, () => cluster.fork({ BENCH_HOME: home }));
    const ports = await Promise.all(workers.map((w) => reply(w, 'listening')));
    if (new Set(ports.map((m) => m.port)).size !== 1)
      throw new Error('the processes listen on different ports');
    const run = await runClient({
      ...load,
      url: `http://127.0.0.1:${ports[0].port}`,
      key,
      path: '/api/v1/endpoints/weather/predict',
    });
    const pauses = [];
    for (const w of workers) {
      w.send('pauses');
      pauses.push(...(await reply(w, 'pauses')).pauses.filter(([at]) => at >= run.started));
    }
    const answeredAt = run.answeredAt.map((ms) => run.started + ms);
    return { latencies: run.latencies, answeredAt, pauses, failed: run.failed };
  } finally {
    // Also when the client failed: no serving process outlives its round.
    await Promise.all(
      workers.filter((w) => !w.isDead()).map((w) => new Promise((resolve) => w.once('exit', resolve).kill())),
    );
    rmSync(home, { recursive: true, force: true });
  }
}

function reply(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message?.type !== type) return;
      worker.off('message', onMessage);
      resolve(message);
    };
    worker.on('message', onMessage);
    worker.once('exit', (code) => reject(new Error(`a serving process exited (${code}) before "${type}"`)));
  });
}

/** A forked serving process: an API replica on the shared port, reporting its GC pauses. */
async function serve() {
  const pauses = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push([performance.timeOrigin + e.startTime, e.duration]);
  }).observe({ entryTypes: ['gc'] });
  // Port 0 in every process of a cluster is one port, chosen by the primary.
  const config = loadConfig({
    PLUMB_HOME: process.env.BENCH_HOME,
    PLUMB_PORT: '0',
    PLUMB_LOG_LEVEL: 'silent',
  });
  const { url } = await startServer(config, { print: () => {}, worker: false, jobsRunElsewhere: true });
  process.on('message', (message) => {
    if (message === 'pauses') process.send({ type: 'pauses', pauses });
  });
  process.send({ type: 'listening', port: Number(new URL(url).port) });
}
