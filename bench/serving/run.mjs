// Serving: batch-1 predictions of the weather classifier through a Plumb endpoint, over REST
// (`POST /api/v1/endpoints/{name}/predict`, named features) and the Open Inference Protocol
// (`POST /v2/models/{name}/infer`, a [1, 4] tensor), against onnxruntime called directly in the
// server's process on the same rows. Every prediction is logged (group commit) before it is
// answered. The load comes from a separate client process: first at a fixed rate (added latency
// p50/p99), then closed-loop with many connections (most predictions per second).
// Plumb on a temporary SQLite home. Run after `npm run build`:
//   node bench/serving/run.mjs [rate=1000] [seconds=10] [max-seconds=5] [connections=32]
// Background jobs run in a job thread, as `plumb serve` runs them (BENCH_JOBS=loop: on the event
// loop). BENCH_ONLY=rest|oip runs one path; BENCH_CPU_PROFILE=DIR writes the server's CPU profile of each
// path's measured phases (fixed rate and closed loop) there, for chrome://inspect or speedscope;
// BENCH_STALLS=1 lists each event-loop stall of the fixed-rate phase over 3 ms with what ran in it
// (SQLite statements over 1 ms with their SQL, GC pauses, background jobs).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { percentile, runClient } from './load-client.mjs';
import { createWeatherEndpoint, restBodies, weatherModel } from './weather-endpoint.mjs';

await main();

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

/**
 * BENCH_STALLS: attributes event-loop stalls. Every SQLite statement this thread runs is timed
 * (the writer and checkpoint threads load their own copy of the driver, untouched), and so are
 * GC pauses and the job worker's handlers; a 1 ms timer chain finds the stalls themselves.
 * Returns null when the variable is unset.
 */
function stallTracer(plumb) {
  if (!process.env.BENCH_STALLS) return null;
  const spans = [];
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const probe = new Database(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('select 1'));
  probe.close();
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const original = statement[method];
    statement[method] = function (...args) {
      const at = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - at;
        if (ms > 1)
          spans.push({ at, ms, what: `sqlite ${method} ${this.source.replace(/\s+/g, ' ').slice(0, 90)}` });
      }
    };
  }
  for (const [queue, handler] of plumb.worker.handlers) {
    plumb.worker.handlers.set(queue, async (...args) => {
      const at = performance.now();
      try {
        return await handler(...args);
      } finally {
        spans.push({ at, ms: performance.now() - at, what: `job ${queue} (wall time)` });
      }
    });
  }
  const writer = plumb.services.profileWriter;
  const write = writer.write.bind(writer);
  writer.write = async () => {
    const at = performance.now();
    try {
      return await write();
    } finally {
      spans.push({ at, ms: performance.now() - at, what: 'monitoring profile flush (wall time)' });
    }
  };
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.duration > 1) spans.push({ at: e.startTime, ms: e.duration, what: 'GC' });
  });
  gc.observe({ entryTypes: ['gc'] });
  const stalls = [];
  let timer;
  let last = performance.now();
  // Linux's schedstat of this thread: nanoseconds on a CPU and waiting for one. A stall whose
  // time went to waiting is the machine's other work, not this process's.
  const sched = () => {
    try {
      return readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
    } catch {
      return [Number.NaN, Number.NaN];
    }
  };
  let lastSched = sched();
  const tick = () => {
    const now = performance.now();
    const [run, wait] = sched();
    if (now - last > 4)
      stalls.push({
        at: last + 1,
        ms: now - last - 1,
        cpu: (run - lastSched[0]) / 1e6,
        queued: (wait - lastSched[1]) / 1e6,
      });
    last = now;
    lastSched = [run, wait];
    timer = setTimeout(tick, 1);
    timer.unref();
  };
  const describe = (s) => {
    const inside = spans
      .filter((p) => p.at < s.at + s.ms && p.at + p.ms > s.at - 1)
      .map((p) => `${p.what} ${p.ms.toFixed(1)} ms`);
    return `${s.ms.toFixed(1)} ms (on CPU ${s.cpu.toFixed(1)}, waiting for a core ${s.queued.toFixed(1)})${inside.length ? `: ${[...new Set(inside)].slice(0, 6).join('; ')}` : ''}`;
  };
  let phase = 'start-up';
  let phaseAt = performance.now();
  timer = setTimeout(tick, 1);
  timer.unref();
  return {
    /** Names the phase that starts now; stalls are reported with the phase and time they fell in. */
    phase(name) {
      phase = name;
      phaseAt = performance.now();
      stalls.push({ mark: name, at: phaseAt });
    },
    /** Prints the phase's longest stalls; `all` also prints every stall over 30 ms of the whole run. */
    report(all = false) {
      const own = stalls.filter((s) => s.ms !== undefined && s.at >= phaseAt);
      const lines = [...own]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 15)
        .sort((a, b) => a.at - b.at)
        .map((s) => `  +${((s.at - phaseAt) / 1000).toFixed(2)} s: ${describe(s)}`);
      const sum = (f) => own.reduce((a, x) => a + f(x), 0);
      const busy = own.filter((x) => x.cpu > 3).length;
      console.log(
        `${phase}: event-loop stalls over 3 ms: ${own.length}, ${sum((x) => x.ms).toFixed(0)} ms in all, of which ` +
          `${sum((x) => x.cpu).toFixed(0)} ms on a CPU and ${sum((x) => x.queued).toFixed(0)} ms waiting for one; ` +
          `${busy} with over 3 ms on a CPU; the longest 15 in order:\n${lines.join('\n')}`,
      );
      if (!all) return;
      let name = 'start-up';
      let at = 0;
      const long = [];
      for (const s of stalls) {
        if (s.mark) [name, at] = [s.mark, s.at];
        else if (s.ms > 30) long.push(`  ${name} +${((s.at - at) / 1000).toFixed(2)} s: ${describe(s)}`);
      }
      const jobs = spans
        .filter((p) => p.what.startsWith('job'))
        .map((p) => `${p.what} ${p.ms.toFixed(0)} ms`);
      const niced = readdirSync('/proc/self/task').filter(
        (tid) =>
          Number(readFileSync(`/proc/self/task/${tid}/stat`, 'latin1').split(') ')[1].split(' ')[16]) > 0,
      );
      console.log(`threads of this process below normal priority: ${niced.length}`);
      console.log(
        `every stall over 30 ms:\n${long.join('\n')}\njobs run on this thread: ${jobs.join('; ') || 'none'}`,
      );
    },
  };
}

async function main() {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 10);
  const maxSeconds = Number(process.argv[4] ?? 5);
  const connections = Number(process.argv[5] ?? 32);
  const { loadConfig } = await import('../../packages/server/dist/core/config.js');
  const { startServer } = await import('../../packages/server/dist/server.js');
  const { ThreadWorker } = await import('../../packages/server/dist/storage/queue/thread-worker.js');

  const { rows, bytes } = weatherModel();

  const home = mkdtempSync(join(tmpdir(), 'plumb-bench-serving-'));
  const config = loadConfig({ PLUMB_HOME: home, PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'silent' });
  // As `plumb serve` runs on a database file: background jobs (the minute's traffic fold, alert
  // and monitor evaluations, retention) in a thread of their own, never on the event loop that
  // answers requests. BENCH_JOBS=loop runs them on that loop instead, as an in-memory server does.
  const jobsOnLoop = process.env.BENCH_JOBS === 'loop';
  const { plumb, url, adminSecret } = await startServer(config, {
    print: () => {},
    worker: jobsOnLoop,
    jobsRunElsewhere: !jobsOnLoop,
  });
  const jobThread = jobsOnLoop
    ? null
    : await ThreadWorker.start({
        entry: new URL('../../packages/server/dist/job-thread.js', import.meta.url),
        data: { config },
        logger: plumb.app.log,
      });
  try {
    const key = await createWeatherEndpoint(plumb.services, adminSecret, bytes);

    const sample = rows.slice(0, 200);
    const rest = restBodies(sample);
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
    console.log(
      `node ${process.version}, Plumb ${url} on SQLite, every prediction logged before its answer, ` +
        `background jobs ${jobsOnLoop ? 'on the event loop' : 'in a job thread'}`,
    );
    console.log(`onnxruntime direct, batch 1: p50 ${d50.toFixed(3)} ms, p99 ${d99.toFixed(3)} ms`);

    const stalls = stallTracer(plumb);
    const only = process.env.BENCH_ONLY; // 'rest' or 'oip'
    for (const [name, path, bodies] of [
      ['REST predict', '/api/v1/endpoints/weather/predict', rest],
      ['OIP infer', '/v2/models/weather/infer', oipBodies],
    ].filter(([name]) => !only || name.toLowerCase().startsWith(only))) {
      // Warm-up at the measured rate for 3 s (some 3,000 requests): the model session, V8's
      // optimizing compiler (a function is optimized only after many calls; at 200 requests a
      // second for 1 s the measured phase began on unoptimized code and queued behind it) and the
      // SQLite page cache. A server that has been up for a few seconds is in this state.
      // The same client process warms up and then measures, so neither side starts cold.
      stalls?.phase(`${name} warm-up`);
      const loop = monitorEventLoopDelay({ resolution: 5 });
      let gc;
      let profiling;
      let fixedCpu;
      const fixed = await runClient(
        { url, key, path, bodies, rate, warmup: 3, seconds, connections: 64 },
        () => {
          profiling = startProfile();
          stalls?.phase(`${name} at ${rate}/s`);
          gc = gcPauses();
          loop.enable();
          fixedCpu = [process.cpuUsage(), mainThreadCpuMs()];
        },
      );
      const profile = await profiling;
      const fixedUsage = process.cpuUsage(fixedCpu[0]);
      const fixedLoopUs = (mainThreadCpuMs() - fixedCpu[1]) * 1000;
      loop.disable();
      stalls?.report();
      stalls?.phase(`${name} closed loop`);
      const pauses = gc.stop();
      const sorted = fixed.latencies.sort((a, b) => a - b);
      const p50 = percentile(sorted, 0.5);
      const p90 = percentile(sorted, 0.9);
      const p99 = percentile(sorted, 0.99);
      console.log(
        `${name} at ${rate}/s for ${seconds} s: ${sorted.length} ok, ${fixed.failed} failed, ` +
          `p50 ${p50.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; added over onnxruntime: ` +
          `p50 ${(p50 - d50).toFixed(2)} ms, p90 ${(p90 - percentile(direct, 0.9)).toFixed(2)} ms, ` +
          `p99 ${(p99 - d99).toFixed(2)} ms; server event loop delay ` +
          `p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms; ` +
          `GC ${pauses.count} pauses, ${pauses.total.toFixed(0)} ms in all, longest ${pauses.max.toFixed(1)} ms; ` +
          `server CPU ${((fixedUsage.user + fixedUsage.system) / Math.max(1, fixed.latencies.length)).toFixed(0)} µs a prediction ` +
          `(event loop thread ${(fixedLoopUs / Math.max(1, fixed.latencies.length)).toFixed(0)} µs); ` +
          `p99 by second ${fixed.timeline.map((v) => (v === null ? '-' : v.toFixed(1))).join(' ')} ms`,
      );
      let cpu;
      let loopCpu;
      const max = await runClient(
        { url, key, path, bodies, rate: 0, warmup: 1, seconds: maxSeconds, connections },
        () => {
          cpu = process.cpuUsage();
          loopCpu = mainThreadCpuMs();
        },
      );
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
    stalls?.report(true);
    const logged = await plumb.db.kysely
      .selectFrom('inference_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    console.log(`inference events logged: ${Number(logged?.n ?? 0).toLocaleString('en-US')}`);
  } finally {
    await Promise.all([plumb.close(), jobThread?.stop()]);
    rmSync(home, { recursive: true, force: true });
  }
}
