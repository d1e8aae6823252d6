// Load test of an authenticated GET on loopback: starts Plumb on a temporary SQLite home,
// then drives it with autocannon for a bounded time. Run after `npm run build`:
//   node bench/http/load.mjs [seconds=10] [connections=10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { startServer } from '../../packages/server/dist/server.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 10);
const home = mkdtempSync(join(tmpdir(), 'plumb-bench-'));
const config = loadConfig({ PLUMB_HOME: home, PLUMB_PORT: '0', PLUMB_LOG_LEVEL: 'silent' });
const { plumb, url, adminSecret } = await startServer(config, { print: () => {} });

async function run(path) {
  const result = await autocannon({
    url: url + path,
    connections,
    duration: Math.min(seconds, 60),
    headers: { authorization: `Bearer ${adminSecret}` },
  });
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors;
  console.log(
    `GET ${path}: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, ` +
      `p99 ${result.latency.p99} ms, max ${result.latency.max} ms (${ok} ok, ${bad} not ok, ${connections} connections, ${seconds} s)`,
  );
}

try {
  console.log(`Plumb ${url} on SQLite, node ${process.version}`);
  await run('/api/v1/whoami');
  await run('/api/v1/projects?limit=50');
  await run('/healthz');
} finally {
  await plumb.close();
  rmSync(home, { recursive: true, force: true });
}
