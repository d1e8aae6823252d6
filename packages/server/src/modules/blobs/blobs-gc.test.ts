import { unlinkSync, utimesSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from '../registry/registry.test-kit.js';

const DAY_MS = 86_400_000;

describeEachBackend('blob garbage collection', (backend) => {
  let t: TestPlumb;
  let store: FileBlobStore;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
    store = t.plumb.services.blobs as FileBlobStore;
  });
  afterEach(() => t.dispose());

  const upload = async (bytes: string | Buffer, key?: string) => {
    const response = await t.call('POST', '/api/v1/blobs', {
      ...(key ? { key } : {}),
      body: Buffer.from(bytes),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().ref as string;
  };

  /** Everything stored so far looks `days` old: its file and its ownership rows. */
  const ageEverything = async (days: number) => {
    const then = new Date(Date.now() - days * DAY_MS);
    for await (const blob of store.list()) utimesSync(store.localPath(blob.ref), then, then);
    await t.plumb.db.kysely.updateTable('blob_owners').set({ created_at: then.toISOString() }).execute();
  };

  const gc = (body: Record<string, unknown>, key?: string) =>
    t.call('POST', '/api/v1/blobs/gc', { body, ...(key ? { key } : {}) });

  const owners = async (ref: string) =>
    (await t.plumb.db.kysely.selectFrom('blob_owners').select('project_id').where('ref', '=', ref).execute())
      .length;

  it('removes only unreferenced blobs older than the grace period, with their ownership rows', async () => {
    expect((await t.call('POST', '/api/v1/projects', { body: { name: 'beta' } })).statusCode).toBe(201);
    const beta = await t.keyFor('maintainer', 'beta');

    const csv = 'city,temp\nseattle,11\n';
    const datasetRef = await upload(csv);
    const added = await t.call('POST', '/api/v1/datasets/cities/versions', {
      body: { files: [{ path: 'cities.csv', ref: datasetRef }], message: 'm' },
    });
    expect(added.statusCode, added.body).toBe(201);
    const artifactRef = await upload('weights');
    const run = (await t.call('POST', '/api/v1/runs', { body: { name: 'r' } })).json();
    expect(
      (
        await t.call('POST', `/api/v1/runs/${run.id}/artifacts`, {
          body: { path: 'weights.bin', blobRef: artifactRef },
        })
      ).statusCode,
    ).toBe(201);
    const modelRef = await upload(Buffer.from(registryKit.weatherModel().bytes));
    await t.call('POST', '/api/v1/models', { body: { name: 'clf', riskClass: 'limited', owner: 'ml' } });
    expect(
      (
        await t.call('POST', '/api/v1/models/clf/versions', {
          body: { artifact: { kind: 'onnx', blobRef: modelRef } },
        })
      ).statusCode,
    ).toBe(201);
    const garbage = 'uploaded and never used';
    const garbageRef = await upload(garbage);
    await upload(garbage, beta);
    const reuploaded = await upload('uploaded long ago, sent again just now');
    const used = await upload('about to be listed by a version');
    await ageEverything(3);
    // A concurrent upload of old content, and a module checking a blob it is about to reference,
    // both start the grace period over.
    expect(await upload('uploaded long ago, sent again just now', beta)).toBe(reuploaded);
    expect(
      await t.plumb.services.blobService.statForUse(t.adminCtx.principal.projectId, used),
    ).not.toBeNull();
    const fresh = await upload('uploaded a moment ago');

    const dry = await gc({ dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toEqual({
      dryRun: true,
      graceSeconds: 86_400,
      removed: 1,
      bytes: garbage.length,
      refs: [garbageRef],
    });
    expect(await store.exists(garbageRef)).toBe(true);
    expect(await owners(garbageRef)).toBe(2);

    const real = await gc({});
    expect(real.json()).toEqual({
      dryRun: false,
      graceSeconds: 86_400,
      removed: 1,
      bytes: garbage.length,
      refs: [garbageRef],
    });
    expect(await store.exists(garbageRef)).toBe(false);
    expect(await owners(garbageRef)).toBe(0);
    for (const kept of [datasetRef, artifactRef, modelRef, reuploaded, used, fresh]) {
      expect(await store.exists(kept), kept).toBe(true);
    }
    // Beta's upload of the removed content is gone for beta too; it may upload it again.
    expect((await t.call('GET', `/api/v1/blobs/${garbageRef}/stat`, { key: beta })).statusCode).toBe(404);
    expect(await upload(garbage, beta)).toBe(garbageRef);

    const audit = (await t.call('GET', '/api/v1/audit?action=blob.gc')).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: t.adminCtx.principal.keyId, resource: 'blobs:*' });

    // A shorter grace period reaches what a day spared.
    const hour = (await gc({ graceSeconds: 3600 })).json();
    expect(hour.refs).toEqual([]);
    await ageEverything(0.5);
    const halfDay = (await gc({ graceSeconds: 3600 })).json();
    expect(halfDay.refs.sort()).toEqual([reuploaded, used, fresh, garbageRef].sort());
    expect(await store.exists(datasetRef)).toBe(true);
  });

  it('drops ownership rows whose bytes are gone, so they no longer count', async () => {
    const ref = await upload('lost at rest');
    await ageEverything(2);
    unlinkSync(store.localPath(ref));
    const result = (await gc({})).json();
    expect(result).toMatchObject({ removed: 0, bytes: 0 });
    expect(await owners(ref)).toBe(0);
  });

  it('is for admin keys only and refuses a grace period under a minute', async () => {
    for (const role of ['maintainer', 'viewer', 'approver'] as const) {
      const response = await gc({ dryRun: true }, await t.keyFor(role));
      expect(response.statusCode, role).toBe(403);
    }
    const short = await gc({ graceSeconds: 5 });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.message).toMatch(/graceSeconds.*60 seconds/);
  });
});
