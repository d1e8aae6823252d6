// Serving: batch-1 predictions of the weather classifier through a Plumb endpoint, over REST
// (`POST /api/v1/endpoints/{name}/predict`, named features) and the Open Inference Protocol
// (`POST /v2/models/{name}/infer`, a [1, 4] tensor), against onnxruntime called directly in the
// server's process on the same rows. Every prediction is logged (group commit) before it is
// answered. The load comes from a separate client process: first at a fixed rate (added latency
// p50/p99), then closed-loop with many connections (most predictions per second).
// Plumb on a temporary SQLite home. Run after `npm run build`:
//   node bench/serving/run.mjs [rate=1000] [seconds=10] [max-seconds=5] [connections=32]
// BENCH_ONLY=rest|oip runs one path; BENCH_CPU_PROFILE=DIR writes the server's CPU profile of each
// path's measured phases (fixed rate and closed loop) there, for chrome://inspect or speedscope.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { exportLogisticRegression } from '../../examples/dist/logistic-onnx.js';
import { LogisticRegression } from '../../examples/dist/train-logistic.js';

const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

if (process.argv[2] === 'client') await client(JSON.parse(process.argv[3]));
else await main();

/**
 * The load generator, in its own process: sends requests, measures each, prints JSON. It speaks
 * HTTP/1.1 over keep-alive sockets itself, each request's bytes built once: `node:http`'s client
 * cost some 250 µs of CPU a request on this machine, as much as the server, so on two shared
 * cores it would have measured itself. One request at a time per connection, no pipelining; a
 * response counts when its whole body (by content-length) has arrived.
 */
async function client({ url, key, path, bodies, rate, seconds, connections }) {
  const target = new URL(path, url);
  const requests = bodies.map((body) =>
    Buffer.from(
      `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\nauthorization: Bearer ${key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
  const latencies = [];
  const sentAt = [];
  let failed = 0;
  let i = 0;
  const idle = [];
  const waiting = [];
  const open = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect(Number(target.port), target.hostname);
      socket.setNoDelay(true);
      const conn = { socket, current: null, buffer: Buffer.alloc(0) };
      socket.on('data', (chunk) => {
        conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
        const end = conn.buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = conn.buffer.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
        if (conn.buffer.length < end + 4 + length) return;
        conn.buffer = conn.buffer.subarray(end + 4 + length);
        const done = conn.current;
        conn.current = null;
        done(head.startsWith('HTTP/1.1 200'));
      });
      // A connection the server closed is not used again; its request in flight failed.
      socket.on('close', () => {
        const done = conn.current;
        conn.current = () => {};
        done?.(false);
      });
      socket.once('connect', () => resolve(conn));
      socket.once('error', reject);
    });
  const pool = await Promise.all(Array.from({ length: connections }, open));
  idle.push(...pool);
  const dispatch = (conn) => {
    const next = waiting.shift();
    if (!next) {
      idle.push(conn);
      return;
    }
    conn.current = (ok) => {
      if (conn.socket.destroyed && !ok) {
        failed += 1;
        next.resolve();
        return;
      }
      if (ok) {
        latencies.push(Number(process.hrtime.bigint() - next.start) / 1e6);
        sentAt.push(Date.now() - started);
      } else failed += 1;
      next.resolve();
      dispatch(conn);
    };
    conn.socket.write(next.bytes);
  };
  // The clock starts when a request is due, so time queued for a free connection counts.
  const send = () =>
    new Promise((resolve) => {
      waiting.push({ bytes: requests[i++ % requests.length], start: process.hrtime.bigint(), resolve });
      const conn = idle.pop();
      if (conn) dispatch(conn);
    });
  const started = Date.now();
  const cpuAtStart = process.cpuUsage();
  const deadline = started + seconds * 1000;
  if (rate > 0) {
    // Open loop: requests leave on schedule whether or not earlier ones have been answered.
    const inFlight = new Set();
    let sent = 0;
    while (Date.now() < deadline) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      while (sent < due) {
        const p = send().then(() => inFlight.delete(p));
        inFlight.add(p);
        sent += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < deadline) await send();
      }),
    );
  }
  const elapsed = (Date.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpuAtStart);
  for (const conn of pool) conn.socket.destroy();
  // p99 of each second's answers, by the second each request was answered in, to place stalls.
  const bySecond = [];
  latencies.forEach((l, k) => {
    const second = Math.floor(sentAt[k] / 1000);
    bySecond[second] ??= [];
    bySecond[second].push(l);
  });
  const timeline = bySecond.map(
    (ls) =>
      percentile(
        (ls ?? []).sort((a, b) => a - b),
        0.99,
      ) ?? null,
  );
  const cpuUs = user + system;
  process.stdout.write(JSON.stringify({ latencies, failed, elapsed, timeline, cpuUs }));
}

/**
 * CPU time (user + system, ms) of this process's main thread, from Linux's /proc (10 ms ticks,
 * fine over seconds); NaN elsewhere. Node 20 reports CPU only for the whole process.
 */
function mainThreadCpuMs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After the command: state is field 3, utime 14 and stime 15 (1-based), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** GC pauses of this process from now until `stop()`. */
function gcPauses() {
  const durations = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) durations.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      observer.disconnect();
      return {
        count: durations.length,
        total: durations.reduce((a, b) => a + b, 0),
        max: Math.max(0, ...durations),
      };
    },
  };
}

/** Profiles this process (the server) when BENCH_CPU_PROFILE names a folder; else does nothing. */
async function startProfile() {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const file = join(dir, `serving-${name}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(`CPU profile: ${file}`);
    },
  };
}

function runClient(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), 'client', JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`)),
    );
  });
}

async function main() {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 10);
  const maxSeconds = Number(process.argv[4] ?? 5);
  const connections = Number(process.argv[5] ?? 32);
  const { loadConfig } = await import('../../packages/server/dist/core/config.js');
  const { startServer } = await import('../../packages/server/dist/server.js');

  const csv = fileURLToPath(
    new URL('../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url),
  );
  const [, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  const rows = lines.map((line) => {
    const [, precipitation, tempMax, tempMin, wind, weather] = line.split(',');
    return { x: [precipitation, tempMax, tempMin, wind].map(Number), y: weather };
  });
  const model = LogisticRegression.fit(
    rows.map((r) => r.x),
    rows.map((r) => r.y),
    { epochs: 400, learningRate: 0.5, seed: 7 },
  );
  const bytes = exportLogisticRegression(model, FEATURES);

  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-serving-'));
  const config = loadConfig({ PLUMB_HOME: home, PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'silent' });
  const { plumb, url, adminSecret } = await startServer(config, { print: () => {} });
  try {
    const s = plumb.services;
    const admin = { principal: await s.keys.authenticate(adminSecret), requestId: 'bench' };
    const { ref } = await s.blobService.upload(admin, bytes);
    await s.registry.models.create(admin, {
      name: 'weather',
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    await s.registry.registration.register(admin, 'weather', {
      artifact: { kind: 'onnx', blobRef: ref },
      description: '',
    });
    await s.endpoints.create(admin, {
      name: 'weather',
      description: '',
      routes: [{ target: 'weather@v1', weight: 1 }],
      shadows: [],
      fallback: { versions: [], defaultResponse: null },
      timeoutMs: 5000,
      cacheTtlMs: 0,
      reviewThreshold: null,
      redact: {},
      features: null,
    });
    const key = (await s.keys.create(admin, { name: 'bench', role: 'service' })).secret;

    const sample = rows.slice(0, 200);
    const restBodies = sample.map((r) =>
      JSON.stringify({ inputs: [Object.fromEntries(FEATURES.map((f, i) => [f, r.x[i]]))] }),
    );
    const oipBodies = sample.map((r) =>
      JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: r.x }] }),
    );

    // onnxruntime directly, in this process, batch 1, on the same rows.
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const direct = [];
    for (let i = 0; i < 5000; i++) {
      const x = sample[i % sample.length].x;
      const start = process.hrtime.bigint();
      await session.run({ features: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
      direct.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    await session.release();
    direct.sort((a, b) => a - b);
    const d50 = percentile(direct, 0.5);
    const d99 = percentile(direct, 0.99);
    console.log(`node ${process.version}, Plumb ${url} on SQLite, every prediction logged before its answer`);
    console.log(`onnxruntime direct, batch 1: p50 ${d50.toFixed(3)} ms, p99 ${d99.toFixed(3)} ms`);

    const only = process.env.BENCH_ONLY; // 'rest' or 'oip'
    for (const [name, path, bodies] of [
      ['REST predict', '/api/v1/endpoints/weather/predict', restBodies],
      ['OIP infer', '/v2/models/weather/infer', oipBodies],
    ].filter(([name]) => !only || name.toLowerCase().startsWith(only))) {
      // Warm-up at the measured rate for 3 s (some 3,000 requests): the model session, V8's
      // optimizing compiler (a function is optimized only after many calls; at 200 requests a
      // second for 1 s the measured phase began on unoptimized code and queued behind it) and the
      // SQLite page cache. A server that has been up for a few seconds is in this state.
      await runClient({ url, key, path, bodies, rate, seconds: 3, connections: 64 });
      const profile = await startProfile();
      const loop = monitorEventLoopDelay({ resolution: 5 });
      const gc = gcPauses();
      loop.enable();
      const fixedCpu = [process.cpuUsage(), mainThreadCpuMs()];
      const fixed = await runClient({ url, key, path, bodies, rate, seconds, connections: 64 });
      const fixedUsage = process.cpuUsage(fixedCpu[0]);
      const fixedLoopUs = (mainThreadCpuMs() - fixedCpu[1]) * 1000;
      loop.disable();
      const pauses = gc.stop();
      const sorted = fixed.latencies.sort((a, b) => a - b);
      const p50 = percentile(sorted, 0.5);
      const p99 = percentile(sorted, 0.99);
      console.log(
        `${name} at ${rate}/s for ${seconds} s: ${sorted.length} ok, ${fixed.failed} failed, ` +
          `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; added over onnxruntime: ` +
          `p50 ${(p50 - d50).toFixed(2)} ms, p99 ${(p99 - d99).toFixed(2)} ms; server event loop delay ` +
          `p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms; ` +
          `GC ${pauses.count} pauses, ${pauses.total.toFixed(0)} ms in all, longest ${pauses.max.toFixed(1)} ms; ` +
          `server CPU ${((fixedUsage.user + fixedUsage.system) / Math.max(1, fixed.latencies.length)).toFixed(0)} µs a prediction ` +
          `(event loop thread ${(fixedLoopUs / Math.max(1, fixed.latencies.length)).toFixed(0)} µs); ` +
          `p99 by second ${fixed.timeline.map((v) => (v === null ? '-' : v.toFixed(1))).join(' ')} ms`,
      );
      const cpu = process.cpuUsage();
      const loopCpu = mainThreadCpuMs();
      const max = await runClient({ url, key, path, bodies, rate: 0, seconds: maxSeconds, connections });
      const { user, system } = process.cpuUsage(cpu);
      const loopCpuMs = mainThreadCpuMs() - loopCpu;
      const maxSorted = max.latencies.sort((a, b) => a - b);
      // The server's CPU time per answered prediction: what bounds its rate on a core of its own,
      // and much steadier than the rate itself when other work shares the machine.
      const cpuPer = (user + system) / Math.max(1, max.latencies.length);
      // The CPU time of the thread that answers requests: what bounds one event loop's rate,
      // whatever other threads of the process (the inference log's writer) do beside it.
      const loopPer = (loopCpuMs * 1000) / Math.max(1, max.latencies.length);
      console.log(
        `${name} closed loop, ${connections} connections, ${maxSeconds} s: ` +
          `${Math.round(max.latencies.length / max.elapsed).toLocaleString('en-US')} predictions/s, ` +
          `server CPU ${cpuPer.toFixed(0)} µs a prediction (${Number.isNaN(loopPer) ? 'event loop thread unknown' : `event loop thread ${loopPer.toFixed(0)} µs`}) ` +
          `client CPU ${(max.cpuUs / Math.max(1, max.latencies.length)).toFixed(0)} µs a request ` +
          `(${max.failed} failed, p50 ${percentile(maxSorted, 0.5).toFixed(2)} ms, p99 ${percentile(maxSorted, 0.99).toFixed(2)} ms)`,
      );
      await profile.stop(name.split(' ')[0].toLowerCase());
    }
    const logged = await plumb.db.kysely
      .selectFrom('inference_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    console.log(`inference events logged: ${Number(logged?.n ?? 0).toLocaleString('en-US')}`);
  } finally {
    await plumb.close();
    rmSync(home, { recursive: true, force: true });
  }
}
