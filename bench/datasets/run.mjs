// Dataset ingest benchmark: hashing throughput of the blob store next to sha256sum on the same
// file, then scan and profile throughput and peak memory, on a generated CSV and on
// flights-3m.parquet. Run after `npm run build`:
//   node bench/datasets/run.mjs [csv-megabytes=1024]
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256File } from '../../packages/server/dist/modules/datasets/dataset-files.js';
import {
  deserializeProfiles,
  profileSource,
  storedProfile,
  summarizeProfiles,
} from '../../packages/server/dist/modules/datasets/dataset-profiler.js';
import { scanFiles } from '../../packages/server/dist/modules/datasets/dataset-scanner.js';
import { AnalyticsEngine } from '../../packages/server/dist/storage/analytics/duckdb-engine.js';
import { FileBlobStore } from '../../packages/server/dist/storage/blob/file-blob-store.js';

const megabytes = Number(process.argv[2] ?? 1024);
// The same limit the server gives DuckDB.
const MEMORY_LIMIT = '1GB';
const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-datasets-'));
const flights = fileURLToPath(
  new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

async function generateCsv(path, bytes) {
  const out = createWriteStream(path);
  const categories = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  out.write('id,ts,amount,category,score,flag\n');
  let written = 0;
  let id = 0;
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 10_000; i++, id++) {
      const ts = new Date(Date.UTC(2026, 0, 1) + id * 1000).toISOString();
      chunk += `${id},${ts},${(rand() * 1000).toFixed(2)},${categories[id % 8]},${rand().toFixed(6)},${id % 3 === 0}\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return id;
}

async function measure(label, path) {
  const size = statSync(path).size;
  console.log(`\n${label}: ${mb(size)} MB`);
  let start = process.hrtime.bigint();
  execFileSync('sha256sum', [path]);
  const shaSeconds = seconds(start);

  start = process.hrtime.bigint();
  await sha256File(path);
  const hashSeconds = seconds(start);
  console.log(
    `  hash only: ${(size / 1e6 / hashSeconds).toFixed(0)} MB/s (plumb, as the CLI hashes before upload) vs ${(size / 1e6 / shaSeconds).toFixed(0)} MB/s (sha256sum): ratio ${(shaSeconds / hashSeconds).toFixed(2)}`,
  );

  const store = await FileBlobStore.open(join(dir, `blobs-${label}`));
  start = process.hrtime.bigint();
  const { ref } = await store.put(createReadStream(path, { highWaterMark: 1 << 20 }));
  const putSeconds = seconds(start);
  console.log(
    `  hash+store (fsync'd): ${(size / 1e6 / putSeconds).toFixed(0)} MB/s (blob put) vs ${(size / 1e6 / shaSeconds).toFixed(0)} MB/s (sha256sum): ratio ${(shaSeconds / putSeconds).toFixed(2)}`,
  );

  const engine = await AnalyticsEngine.open({ allowedDirectories: [store.root], memoryLimit: MEMORY_LIMIT });
  const localPath = store.localPath(ref);
  peakRss = process.memoryUsage().rss;
  const rssBeforeScan = peakRss;
  start = process.hrtime.bigint();
  const scan = await scanFiles(engine, [{ path: label, localPath, size }]);
  const scanSeconds = seconds(start);
  const scanPeak = peakRss;
  console.log(
    `  scan (schema, row count, checks): ${scan.rowCount} rows in ${scanSeconds.toFixed(1)} s = ${(scan.rowCount / scanSeconds / 1e6).toFixed(2)} M rows/s, peak RSS ${mb(scanPeak)} MB (+${mb(scanPeak - rssBeforeScan)} MB during the scan)`,
  );

  peakRss = process.memoryUsage().rss;
  const rssBefore = peakRss;
  start = process.hrtime.bigint();
  const profiles = await profileSource(
    engine,
    { format: scan.format, paths: [localPath], columns: scan.schema },
    scan.schema,
  );
  const profileSeconds = seconds(start);
  console.log(
    `  profile (${scan.schema.length} columns): ${(scan.rowCount / profileSeconds / 1e6).toFixed(2)} M rows/s, ${((scan.rowCount * scan.schema.length) / profileSeconds / 1e6).toFixed(1)} M values/s, peak RSS ${mb(peakRss)} MB (+${mb(peakRss - rssBefore)} MB during profiling)`,
  );
  // What showing a version costs: the stored summary, against rebuilding it from the sketches.
  const stored = storedProfile(profiles);
  const timeIt = (fn) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 50; i++) fn();
    return seconds(t0) / 50;
  };
  const fromSketches = timeIt(() => summarizeProfiles(deserializeProfiles(stored.profile)));
  const fromSummary = timeIt(() => JSON.parse(stored.profile_summary));
  console.log(
    `  show a version's profile: ${(fromSummary * 1000).toFixed(3)} ms from the stored summary (${stored.profile_summary.length} chars) vs ${(fromSketches * 1000).toFixed(2)} ms from the sketches (${stored.profile.length} chars)`,
  );
  engine.close();
}

try {
  console.log(`node ${process.version}`);
  const csv = join(dir, 'generated.csv');
  const start = process.hrtime.bigint();
  const rows = await generateCsv(csv, megabytes * 1024 * 1024);
  console.log(`generated ${rows} rows in ${seconds(start).toFixed(1)} s`);
  await measure('generated.csv', csv);
  await measure('flights-3m.parquet', flights);
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
