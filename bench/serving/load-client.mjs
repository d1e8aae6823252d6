// The load generator of the serving benches, run as a process of its own (`runClient`), so
// that it does not share the server's event loop.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

if (process.argv[2] === 'client') await client(JSON.parse(process.argv[3]));

/**
 * The load generator, in its own process: sends requests, measures each, prints JSON. It speaks
 * HTTP/1.1 over keep-alive sockets itself, each request's bytes built once: `node:http`'s client
 * cost some 250 µs of CPU a request on this machine, as much as the server, so on two shared
 * cores it would have measured itself. One request at a time per connection, no pipelining; a
 * response counts when its whole body (by content-length) has arrived.
 */
async function client({ url, key, path, bodies, rate, warmup, seconds, connections }) {
  const target = new URL(path, url);
  const requests = bodies.map((body) =>
    Buffer.from(
      `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\nauthorization: Bearer ${key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
  const latencies = [];
  const answeredAt = [];
  let failed = 0;
  // Requests sent before this time warm the client and the server up and are not counted.
  let measureFrom = Number.POSITIVE_INFINITY;
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
      const counted = next.start >= measureFrom;
      if (conn.socket.destroyed && !ok) {
        if (counted) failed += 1;
        next.resolve();
        return;
      }
      if (!counted) {
        if (!ok) failed += 1;
      } else if (ok) {
        latencies.push(Number(process.hrtime.bigint() - next.start) / 1e6);
        answeredAt.push(Date.now() - started);
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
  // One process warms up and then measures, on the same connections: a client started for the
  // measured phase alone would spend its first second compiling its own code, sending late and
  // then in bursts, and that would be counted as the server's latency.
  const begun = Date.now();
  let started = begun + warmup * 1000;
  let cpuAtStart = process.cpuUsage();
  const warm = setTimeout(() => {
    started = Date.now();
    measureFrom = process.hrtime.bigint();
    failed = 0;
    cpuAtStart = process.cpuUsage();
    // Tells the server's side to start its own measurements.
    process.stdout.write('measuring\n');
  }, warmup * 1000);
  const deadline = begun + (warmup + seconds) * 1000;
  if (rate > 0) {
    // Open loop: requests leave on schedule whether or not earlier ones have been answered.
    const inFlight = new Set();
    let sent = 0;
    while (Date.now() < deadline) {
      const due = Math.floor(((Date.now() - begun) / 1000) * rate);
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
  clearTimeout(warm);
  const elapsed = (Date.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpuAtStart);
  for (const conn of pool) conn.socket.destroy();
  // p99 of each second's answers, by the second each request was answered in, to place stalls.
  const bySecond = [];
  latencies.forEach((l, k) => {
    const second = Math.floor(answeredAt[k] / 1000);
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
  // `latencies[k]` (ms) was answered `answeredAt[k]` ms after `started` (wall clock, ms), when the
  // counted part began.
  process.stdout.write(JSON.stringify({ latencies, failed, elapsed, timeline, cpuUs, started, answeredAt }));
}

/** Runs the client; `onMeasuring` is called when its warm-up ends and the counted part starts. */
export function runClient(options, onMeasuring = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), 'client', JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    let told = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!told && out.startsWith('measuring\n')) {
        told = true;
        out = out.slice('measuring\n'.length);
        onMeasuring();
      }
    });
    child.on('close', (code) =>
      code === 0 && told ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`)),
    );
  });
}
