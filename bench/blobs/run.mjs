// What project ownership costs an upload, and how fast garbage collection goes through a store.
// Uploads N small blobs through the HTTP app (ownership row + audit record in one transaction)
// against the same N put straight into the blob store; then ages them and collects them.
// Run after `npm run build`:
//   node bench/blobs/run.mjs [blobs=2000] [bytes=1024]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { createPlumb } from '../../packages/server/dist/main.js';
import { FileBlobStore } from '../../packages/server/dist/storage/blob/file-blob-store.js';

const n = Number(process.argv[2] ?? 2000);
const size = Number(process.argv[3] ?? 1024);
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const home = mkdtempSync(join(tmpdir(), 'plumb-bench-blobs-'));
try {
  const plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { logger: false });
  const boot = await plumb.services.keys.bootstrap(undefined);
  const payloads = Array.from({ length: n }, () => randomBytes(size));

  const bare = await FileBlobStore.open(join(home, 'bare'));
  let start = process.hrtime.bigint();
  for (const p of payloads) await bare.put(p);
  const bareSeconds = seconds(start);

  start = process.hrtime.bigint();
  for (const p of payloads) {
    const r = await plumb.app.inject({
      method: 'POST',
      url: '/api/v1/blobs',
      headers: { authorization: `Bearer ${boot.secret}`, 'content-type': 'application/octet-stream' },
      payload: p,
    });
    if (r.statusCode !== 201) throw new Error(r.body);
  }
  const httpSeconds = seconds(start);

  const old = new Date(Date.now() - 3 * 86_400_000);
  const store = plumb.services.blobs;
  for await (const b of store.list()) utimesSync(store.localPath(b.ref), old, old);
  await plumb.db.kysely.updateTable('blob_owners').set({ created_at: old.toISOString() }).execute();
  const ctx = {
    principal: {
      keyId: boot.key.id,
      keyName: 'admin',
      role: 'admin',
      projectId: boot.key.projectId,
      projectName: 'default',
    },
    requestId: 'bench',
  };
  start = process.hrtime.bigint();
  const dry = await plumb.services.blobService.collectGarbage(ctx, { dryRun: true, graceSeconds: 86_400 });
  const drySeconds = seconds(start);
  start = process.hrtime.bigint();
  const real = await plumb.services.blobService.collectGarbage(ctx, { dryRun: false, graceSeconds: 86_400 });
  const gcSeconds = seconds(start);
  await plumb.close();

  const ms = (s) => ((s / n) * 1000).toFixed(3);
  console.log(`node ${process.version}; SQLite; ${n} blobs of ${size} B`);
  console.log(`  store.put alone:            ${ms(bareSeconds)} ms per blob`);
  console.log(
    `  POST /api/v1/blobs:         ${ms(httpSeconds)} ms per blob (x${(httpSeconds / bareSeconds).toFixed(1)}: auth, HTTP, ownership row + audit record)`,
  );
  console.log(
    `  gc --dry-run:               ${drySeconds.toFixed(2)} s (${Math.round(n / drySeconds)} blobs/s), would remove ${dry.removed}`,
  );
  console.log(
    `  gc:                         ${gcSeconds.toFixed(2)} s (${Math.round(n / gcSeconds)} blobs/s), removed ${real.removed}, ${real.bytes} B`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
