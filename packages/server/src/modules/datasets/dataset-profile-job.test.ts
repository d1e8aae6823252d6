import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { PROFILE_QUEUE } from './datasets.module.js';
import { INLINE_PROFILE_CELLS } from './datasets.service.js';

/** Just past what is profiled while `add` waits, so the profile is left to the job. */
function largeCsv(): { text: string; rows: number } {
  const rows = INLINE_PROFILE_CELLS / 2 + 1;
  const lines = Array.from({ length: rows }, (_, i) => `${i},${i % 97}`);
  return { text: `id,bucket\n${lines.join('\n')}\n`, rows };
}

describeEachBackend('dataset profile jobs', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  it("records a large version's profile job and shows its state and progress until it is done", async () => {
    const { text, rows } = largeCsv();
    const blob = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from(text),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const added = await t.call('POST', '/api/v1/datasets/big/versions', {
      body: { files: [{ path: 'big.csv', ref: blob.json().ref }] },
    });
    expect(added.statusCode, added.body).toBe(201);
    const [job] = await t.plumb.services.jobs.list({ queue: PROFILE_QUEUE });
    expect(added.json().version).toMatchObject({
      profileStatus: 'pending',
      profileJob: { id: job!.id, state: 'queued', progress: { rows: 0, total: rows } },
    });

    // A worker takes the job and reports how far it got.
    const jobs = t.plumb.services.jobs;
    expect((await jobs.claim([PROFILE_QUEUE], 'worker-1', 60_000))?.id).toBe(job!.id);
    await jobs.heartbeat(job!.id, 'worker-1', 60_000, { rows: 123_456 });
    const show = async () => (await t.call('GET', '/api/v1/datasets/big/versions/1')).json();
    expect((await show()).profileJob).toEqual({
      id: job!.id,
      state: 'running',
      progress: { rows: 123_456, total: rows },
    });

    await t.plumb.services.datasets.profileVersion(added.json().version.id);
    await jobs.complete(job!.id, 'worker-1', {});
    const done = await show();
    expect(done).toMatchObject({
      profileStatus: 'ready',
      profileJob: { id: job!.id, state: 'succeeded', progress: { rows, total: rows } },
    });
    expect(done.profile.bucket).toMatchObject({ count: rows, distinct: 97, distinctExact: true });
    const listed = (await t.call('GET', '/api/v1/datasets/big/versions')).json();
    expect(listed.items[0].profileJob.state).toBe('succeeded');
  });

  it("stores a failed profile's reason naming the user's file, never the blob path", async () => {
    const { text } = largeCsv();
    const blob = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from(text),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const ref: string = blob.json().ref;
    const added = await t.call('POST', '/api/v1/datasets/big/versions', {
      body: { files: [{ path: 'exports/big.csv', ref }] },
    });
    // The stored file goes missing before the job runs.
    const hex = ref.slice('sha256:'.length);
    rmSync(join(t.home, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex));
    await expect(t.plumb.services.datasets.profileVersion(added.json().version.id)).rejects.toThrow();
    const failed = (await t.call('GET', '/api/v1/datasets/big/versions/1')).json();
    expect(failed.profileStatus).toBe('failed');
    expect(failed.profileError).toMatch(/^exports\/big\.csv: /);
    for (const leak of ['/blobs/', 'sha256', t.home, 'read_csv', 'SELECT']) {
      expect(failed.profileError).not.toContain(leak);
    }
  });

  it('records no job for a version profiled as it is added', async () => {
    const blob = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from('a,b\n1,2\n'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const added = await t.call('POST', '/api/v1/datasets/small/versions', {
      body: { files: [{ path: 's.csv', ref: blob.json().ref }] },
    });
    expect(added.json().version).toMatchObject({ profileStatus: 'ready', profileJob: null });
  });
});
