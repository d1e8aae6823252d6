import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from '../registry/registry.test-kit.js';
import { blobsMigrations } from './blobs.migrations.js';

const CSV = 'city,temp\nseattle,11\nportland,13\n';

function refOf(bytes: string | Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Two projects on one instance: the default one (admin's) and `beta`, with keys of each role. */
async function twoProjects(t: TestPlumb) {
  expect((await t.call('POST', '/api/v1/projects', { body: { name: 'beta' } })).statusCode).toBe(201);
  return {
    a: { maintainer: await t.keyFor('maintainer'), viewer: await t.keyFor('viewer') },
    b: { maintainer: await t.keyFor('maintainer', 'beta'), viewer: await t.keyFor('viewer', 'beta') },
  };
}

function upload(t: TestPlumb, key: string, bytes: string | Buffer, query = '') {
  return t.call('POST', `/api/v1/blobs${query}`, {
    key,
    body: Buffer.from(bytes),
    headers: { 'content-type': 'application/octet-stream' },
  });
}

describeEachBackend('blobs belong to projects', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  it('hides another project’s blob exactly like one never stored', async () => {
    const keys = await twoProjects(t);
    const secret = 'only beta uploaded this\n';
    const up = await upload(t, keys.b.maintainer, secret);
    expect(up.statusCode, up.body).toBe(201);
    const { ref } = up.json();

    // Beta sees its own blob.
    expect((await t.call('GET', `/api/v1/blobs/${ref}`, { key: keys.b.viewer })).body).toBe(secret);
    expect((await t.call('GET', `/api/v1/blobs/${ref}/stat`, { key: keys.b.viewer })).json()).toEqual({
      ref,
      size: secret.length,
    });

    // The default project gets the answers of a blob nobody stored, message included.
    const absent = refOf('nobody stored this');
    for (const path of ['', '/stat']) {
      const hidden = await t.call('GET', `/api/v1/blobs/${ref}${path}`, { key: keys.a.viewer });
      const missing = await t.call('GET', `/api/v1/blobs/${absent}${path}`, { key: keys.a.viewer });
      expect(hidden.statusCode).toBe(404);
      expect(missing.statusCode).toBe(404);
      expect(hidden.json().error.code).toBe('not_found');
      expect(hidden.json().error.message.replace(ref, 'REF')).toBe(
        missing.json().error.message.replace(absent, 'REF'),
      );
    }
    // The admin key belongs to a project too and sees no more of beta's files.
    expect((await t.call('GET', `/api/v1/blobs/${ref}/stat`)).statusCode).toBe(404);
  });

  it('refuses to build a dataset version, a run artifact or a model version on another project’s blob', async () => {
    const keys = await twoProjects(t);
    const csvRef = (await upload(t, keys.b.maintainer, CSV)).json().ref;
    const onnx = registryKit.weatherModel().bytes;
    const onnxRef = (await upload(t, keys.b.maintainer, Buffer.from(onnx))).json().ref;
    const absentRef = refOf('never uploaded');

    const addVersion = (ref: string) =>
      t.call('POST', '/api/v1/datasets/cities/versions', {
        key: keys.a.maintainer,
        body: { files: [{ path: 'cities.csv', ref }], message: 'from a hash' },
      });
    const hidden = await addVersion(csvRef);
    const missing = await addVersion(absentRef);
    expect(hidden.statusCode).toBe(412);
    expect(hidden.json().error.message.replace(csvRef, 'REF')).toBe(
      missing.json().error.message.replace(absentRef, 'REF'),
    );

    const run = (
      await t.call('POST', '/api/v1/runs', { key: keys.a.maintainer, body: { name: 'r' } })
    ).json();
    const logArtifact = (blobRef: string) =>
      t.call('POST', `/api/v1/runs/${run.id}/artifacts`, {
        key: keys.a.maintainer,
        body: { path: 'model.onnx', blobRef },
      });
    const hiddenArtifact = await logArtifact(onnxRef);
    const missingArtifact = await logArtifact(absentRef);
    expect(hiddenArtifact.statusCode).toBe(412);
    expect(hiddenArtifact.json().error.message.replace(onnxRef, 'REF')).toBe(
      missingArtifact.json().error.message.replace(absentRef, 'REF'),
    );

    expect(
      (
        await t.call('POST', '/api/v1/models', {
          key: keys.a.maintainer,
          body: { name: 'clf', riskClass: 'limited', owner: 'forecasting' },
        })
      ).statusCode,
    ).toBe(201);
    const register = (blobRef: string) =>
      t.call('POST', '/api/v1/models/clf/versions', {
        key: keys.a.maintainer,
        body: { artifact: { kind: 'onnx', blobRef } },
      });
    const hiddenModel = await register(onnxRef);
    const missingModel = await register(absentRef);
    expect(hiddenModel.statusCode).toBe(412);
    expect(hiddenModel.json().error.message.replace(onnxRef, 'REF')).toBe(
      missingModel.json().error.message.replace(absentRef, 'REF'),
    );

    // Once the default project uploads the same bytes, it may use them; they are stored once.
    const again = await upload(t, keys.a.maintainer, CSV);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual({ ref: csvRef, size: CSV.length, existed: false });
    expect((await addVersion(csvRef)).statusCode).toBe(201);
    expect((await upload(t, keys.a.maintainer, Buffer.from(onnx))).statusCode).toBe(201);
    expect((await logArtifact(onnxRef)).statusCode).toBe(201);
    expect((await register(onnxRef)).statusCode, 'registers once uploaded').toBe(201);
    const store = t.plumb.services.blobs as FileBlobStore;
    const stored: string[] = [];
    for await (const b of store.list()) stored.push(b.ref);
    expect(stored.sort()).toEqual([csvRef, onnxRef].sort());
  });

  it('says a re-upload existed only when the same project already holds it', async () => {
    const keys = await twoProjects(t);
    expect((await upload(t, keys.b.maintainer, CSV)).json().existed).toBe(false);
    expect((await upload(t, keys.a.maintainer, CSV)).json().existed).toBe(false);
    expect((await upload(t, keys.a.maintainer, CSV)).json().existed).toBe(true);
  });

  it('writes an audit record for every upload, in the uploading project', async () => {
    const keys = await twoProjects(t);
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    const { ref } = (await upload(t, keys.a.maintainer, bytes)).json();
    await upload(t, keys.a.maintainer, bytes);
    const records = (
      await t.call('GET', `/api/v1/audit?action=blob.upload&resource=${encodeURIComponent(`blob:${ref}`)}`)
    ).json().items;
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ action: 'blob.upload', resource: `blob:${ref}` });
    const me = (await t.call('GET', '/api/v1/whoami', { key: keys.a.maintainer })).json();
    expect(records.every((r: { actor: string }) => r.actor === me.keyId)).toBe(true);
    const record = await t.plumb.db.kysely
      .selectFrom('audit_records')
      .select(['change', 'project_id'])
      .where('action', '=', 'blob.upload')
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(record.change)).toMatchObject({ ref, size: bytes.length });
    expect(record.project_id).toBe(me.projectId);
    expect((await t.call('POST', '/api/v1/audit/verify', {})).json().ok).toBe(true);
  });

  it('keeps the blobs referenced before ownership existed visible to the projects that reference them', async () => {
    const keys = await twoProjects(t);
    const ref = (await upload(t, keys.a.maintainer, CSV)).json().ref;
    const added = await t.call('POST', '/api/v1/datasets/cities/versions', {
      key: keys.a.maintainer,
      body: { files: [{ path: 'cities.csv', ref }], message: 'first' },
    });
    expect(added.statusCode, added.body).toBe(201);
    // As on a database from before ownership: the table is created and filled by the migration.
    await t.plumb.db.kysely.schema.dropTable('blob_owners').execute();
    await blobsMigrations['blobs/0001_blob_owners'].up(t.plumb.db.kysely as unknown as Kysely<unknown>);
    expect((await t.call('GET', `/api/v1/blobs/${ref}`, { key: keys.a.viewer })).body).toBe(CSV);
    expect((await t.call('GET', `/api/v1/blobs/${ref}`, { key: keys.b.viewer })).statusCode).toBe(404);
    const rows = await t.plumb.db.kysely.selectFrom('blob_owners').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ref, created_by: 'system' });
    expect(Number(rows[0]!.size)).toBe(CSV.length);
  });
});

describeEachBackend('per-project storage quota', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend, { PLUMB_PROJECT_QUOTA_BYTES: '100' });
  });
  afterEach(() => t.dispose());

  const store = () => t.plumb.services.blobs as FileBlobStore;

  it('refuses an upload whose announced length would pass the quota, naming quota and usage', async () => {
    const key = await t.keyFor('maintainer');
    expect((await upload(t, key, 'a'.repeat(60))).statusCode).toBe(201);
    const over = await upload(t, key, 'b'.repeat(60));
    expect(over.statusCode).toBe(412);
    expect(over.json().error).toMatchObject({
      code: 'failed_precondition',
      details: { quotaBytes: 100, usedBytes: 60, uploadBytes: 60 },
    });
    expect(over.json().error.message).toMatch(/quota of 100 bytes .* uses 60/);
    expect(await store().exists(refOf('b'.repeat(60)))).toBe(false);
    // Exactly filling the quota is allowed; re-sending what the project holds adds nothing.
    expect((await upload(t, key, 'c'.repeat(40))).statusCode).toBe(201);
    const hex = refOf('a'.repeat(60)).slice(7);
    expect((await upload(t, key, 'a'.repeat(60), `?sha256=${hex}`)).statusCode).toBe(201);
  });

  it('checks after streaming when no length was announced, and removes what it stored', async () => {
    const key = await t.keyFor('maintainer');
    expect((await upload(t, key, 'a'.repeat(60))).statusCode).toBe(201);
    const chunked = await t.call('POST', '/api/v1/blobs', {
      key,
      body: Readable.from([Buffer.from('d'.repeat(30)), Buffer.from('d'.repeat(30))]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(chunked.statusCode).toBe(412);
    expect(chunked.json().error.details).toMatchObject({ quotaBytes: 100, usedBytes: 60, uploadBytes: 60 });
    expect(await store().exists(refOf('d'.repeat(60)))).toBe(false);
    const owners = await t.plumb.db.kysely.selectFrom('blob_owners').select('ref').execute();
    expect(owners.map((o) => o.ref)).toEqual([refOf('a'.repeat(60))]);
  });

  it('lets concurrent uploads fill the quota but not pass it', async () => {
    const key = await t.keyFor('maintainer');
    const results = await Promise.all(
      ['p', 'q', 'r', 's', 'u'].map((c) =>
        t.call('POST', '/api/v1/blobs', {
          key,
          body: Readable.from([Buffer.from(c.repeat(30))]),
          headers: { 'content-type': 'application/octet-stream' },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 201, 201, 412, 412]);
    const owned = await t.plumb.db.kysely.selectFrom('blob_owners').select('size').execute();
    expect(owned.reduce((n, o) => n + Number(o.size), 0)).toBe(90);
    let stored = 0;
    for await (const _ of store().list()) stored++;
    expect(stored).toBe(3);
  });

  it('never removes bytes another project holds when refusing an upload', async () => {
    expect((await t.call('POST', '/api/v1/projects', { body: { name: 'beta' } })).statusCode).toBe(201);
    const a = await t.keyFor('maintainer');
    const b = await t.keyFor('maintainer', 'beta');
    const shared = 's'.repeat(50);
    expect((await upload(t, b, shared)).statusCode).toBe(201);
    expect((await upload(t, a, 'a'.repeat(60))).statusCode).toBe(201);
    const chunked = await t.call('POST', '/api/v1/blobs', {
      key: a,
      body: Readable.from([Buffer.from(shared)]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(chunked.statusCode).toBe(412);
    expect((await t.call('GET', `/api/v1/blobs/${refOf(shared)}`, { key: b })).body).toBe(shared);
  });
});

it('reads the quota and HTTP timeouts from the environment', () => {
  expect(loadConfig({})).toMatchObject({
    projectQuotaBytes: undefined,
    httpIdleTimeoutMs: 30_000,
    httpRequestTimeoutMs: 3_600_000,
  });
  expect(
    loadConfig({
      PLUMB_PROJECT_QUOTA_BYTES: '1073741824',
      PLUMB_HTTP_IDLE_TIMEOUT_MS: '5000',
      PLUMB_HTTP_REQUEST_TIMEOUT_MS: '60000',
    }),
  ).toMatchObject({ projectQuotaBytes: 1073741824, httpIdleTimeoutMs: 5000, httpRequestTimeoutMs: 60000 });
  expect(() => loadConfig({ PLUMB_PROJECT_QUOTA_BYTES: 'lots' })).toThrow(/PLUMB_PROJECT_QUOTA_BYTES/);
  expect(() => loadConfig({ PLUMB_HTTP_IDLE_TIMEOUT_MS: '0' })).toThrow(/PLUMB_HTTP_IDLE_TIMEOUT_MS/);
});
