import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlumbClient, PlumbError } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

// The typed client against a listening server, with the file blob store the app opens itself.
describeEachBackend('runs through the SDK', (backend) => {
  let t: TestPlumb;
  let client: PlumbClient;
  let blobDir: string;

  beforeEach(async () => {
    blobDir = mkdtempSync(join(tmpdir(), 'plumb-run-blobs-'));
    t = await createTestPlumb(backend, { PLUMB_BLOB_URL: `file:${blobDir}` });
    const url = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    client = new PlumbClient({ url, apiKey: t.adminSecret });
  });
  afterEach(async () => {
    await t.dispose();
    rmSync(blobDir, { recursive: true, force: true });
  });

  it('creates, logs, reads, compares and finishes runs', async () => {
    const a = await client.runs.create({
      name: 'weather-logreg',
      params: { lr: 0.5, epochs: 300 },
      tags: { dataset: 'seattle' },
      codeVersion: 'abc123',
    });
    const b = await client.runs.create({ name: 'weather-logreg', params: { lr: 0.1, epochs: 300 } });

    const points = Array.from({ length: 10_000 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), step: i }));
    expect(await client.runs.logMetrics(a.id, { points })).toEqual({ runId: a.id, accepted: 10_000 });
    await client.runs.logMetrics(b.id, { points: [{ key: 'loss', value: 0.2, step: 9 }] });

    // Uploaded by the run's project (a blob it does not hold is refused), into the configured store.
    const stored = await client.blobs.upload(Buffer.from('onnx bytes'));
    expect(await FileBlobStore.open(blobDir).then((s) => s.exists(stored.ref))).toBe(true);
    const artifact = await client.runs.logArtifact(a.id, { path: 'model/model.onnx', blobRef: stored.ref });
    expect(artifact).toMatchObject({ path: 'model/model.onnx', blobRef: stored.ref, size: 10 });
    await expect(
      client.runs.logArtifact(a.id, { path: 'model/other.onnx', blobRef: `sha256:${'1'.repeat(64)}` }),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(
      client.runs.logArtifact(a.id, { path: '../escape', blobRef: stored.ref }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });

    const got = await client.runs.get(a.id);
    expect(got).toMatchObject({
      name: 'weather-logreg',
      status: 'running',
      codeVersion: 'abc123',
      params: { lr: 0.5, epochs: 300 },
      tags: { dataset: 'seattle' },
      inputs: [],
      metrics: [{ key: 'loss', value: 1 / 10_000, step: 9_999 }],
      artifacts: [{ path: 'model/model.onnx', size: 10 }],
    });

    const history = await client.runs.metricHistory(a.id, { key: 'loss', limit: 5 });
    expect(history.items.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    const next = await client.runs.metricHistory(a.id, {
      key: 'loss',
      limit: 5,
      cursor: history.nextCursor!,
    });
    expect(next.items.map((p) => p.step)).toEqual([5, 6, 7, 8, 9]);

    const comparison = await client.runs.compare([a.id, b.id]);
    expect(comparison.params).toEqual([
      { key: 'epochs', values: [300, 300], differs: false },
      { key: 'lr', values: [0.5, 0.1], differs: true },
    ]);
    expect(comparison.metrics).toEqual([
      {
        key: 'loss',
        values: [
          { value: 1 / 10_000, step: 9_999 },
          { value: 0.2, step: 9 },
        ],
        differs: true,
      },
    ]);

    const listed = await client.runs.list({ tag: 'dataset=seattle' });
    expect(listed.items.map((r) => r.id)).toEqual([a.id]);

    expect((await client.runs.finish(a.id)).status).toBe('finished');
    expect((await client.runs.finish(b.id, { status: 'failed' })).status).toBe('failed');
    const late = await client.runs
      .logMetrics(a.id, { points: [{ key: 'loss', value: 0, step: 10_000 }] })
      .catch((e) => e);
    expect(late).toBeInstanceOf(PlumbError);
    expect(late).toMatchObject({ code: 'failed_precondition' });
    expect((await client.runs.list({ status: 'failed' })).items.map((r) => r.id)).toEqual([b.id]);
  });

  it('names non-finite values before sending them, since JSON cannot carry them', async () => {
    const run = await client.runs.create({ name: 'nan' });
    for (const [value, shown] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      const error = await client.runs
        .logMetrics(run.id, {
          points: [
            { key: 'loss', value: 1, step: 0 },
            { key: 'loss', value, step: 1 },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'invalid_argument',
        message: `invalid body: points.1.value: must be a finite number, got ${shown}`,
        details: { issues: [{ field: 'points.1.value' }] },
      });
    }
    expect((await client.runs.get(run.id)).metrics).toEqual([]);
  });
});
