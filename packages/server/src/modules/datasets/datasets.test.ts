import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { vegaData } from '../../testing/data.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

const WEATHER = readFileSync(vegaData('seattle-weather.csv'));

/** Independent reading of the CSV (it has no quoting) to check what Plumb computes. */
function weatherRows(text = WEATHER.toString('utf8')): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

describeEachBackend('datasets', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  async function upload(bytes: Buffer | string): Promise<string> {
    const response = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from(bytes),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().ref;
  }

  async function add(
    name: string,
    files: Record<string, Buffer | string>,
    extra: Record<string, unknown> = {},
  ) {
    const refs = [];
    for (const [path, bytes] of Object.entries(files)) refs.push({ path, ref: await upload(bytes) });
    return t.call('POST', `/api/v1/datasets/${name}/versions`, { body: { files: refs, ...extra } });
  }

  it('versions a real CSV with schema, row count, profile and slice coverage', async () => {
    const response = await add(
      'weather',
      { 'seattle-weather.csv': WEATHER },
      { message: 'first cut', sliceColumn: 'weather', timeColumn: 'date', tags: { source: 'vega' } },
    );
    expect(response.statusCode, response.body).toBe(201);
    const { version, created } = response.json();
    expect(created).toBe(true);
    const rows = weatherRows();
    expect(version).toMatchObject({
      ref: 'weather@v1',
      version: 1,
      format: 'csv',
      rowCount: rows.length,
      message: 'first cut',
      tags: { source: 'vega' },
      profileStatus: 'ready',
      validationStatus: 'unvalidated',
    });
    expect(version.schema).toEqual([
      { name: 'date', type: 'DATE' },
      { name: 'precipitation', type: 'DOUBLE' },
      { name: 'temp_max', type: 'DOUBLE' },
      { name: 'temp_min', type: 'DOUBLE' },
      { name: 'wind', type: 'DOUBLE' },
      { name: 'weather', type: 'VARCHAR' },
    ]);
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r[5]!] = (counts[r[5]!] ?? 0) + 1;
    expect(version.sliceCounts).toEqual(counts);

    const temps = rows.map((r) => Number(r[2]));
    const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
    expect(version.profile.temp_max.count).toBe(rows.length);
    expect(version.profile.temp_max.mean).toBeCloseTo(mean, 9);
    expect(version.profile.temp_max.min).toBe(Math.min(...temps));
    expect(version.profile.temp_max.max).toBe(Math.max(...temps));

    const again = await add('weather', { 'seattle-weather.csv': WEATHER });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, version: { ref: 'weather@v1' } });
    const listed = (await t.call('GET', '/api/v1/datasets')).json();
    expect(listed.items).toMatchObject([{ name: 'weather', latestVersion: 1, versionCount: 1 }]);
  });

  it('stores identical files once across versions and resolves latest', async () => {
    const first = (await add('w', { 'a.csv': WEATHER })).json().version;
    const second = (await add('w', { 'a.csv': WEATHER, 'b.csv': WEATHER })).json().version;
    expect(second.ref).toBe('w@v2');
    expect(second.rowCount).toBe(first.rowCount * 2);
    expect(new Set(second.files.map((f: { ref: string }) => f.ref)).size).toBe(1);
    expect((await t.call('GET', '/api/v1/datasets/w/versions/latest')).json().ref).toBe('w@v2');
    expect((await t.call('GET', '/api/v1/datasets/w/versions/v1')).json().id).toBe(first.id);
    expect((await t.call('GET', '/api/v1/datasets/w/versions/9')).statusCode).toBe(404);
    const page = (await t.call('GET', '/api/v1/datasets/w/versions?limit=1')).json();
    expect(page.items.map((v: { ref: string }) => v.ref)).toEqual(['w@v2']);
    const next = (
      await t.call('GET', `/api/v1/datasets/w/versions?limit=1&cursor=${page.nextCursor}`)
    ).json();
    expect(next.items.map((v: { ref: string }) => v.ref)).toEqual(['w@v1']);
  });

  it('pages rows in file order', async () => {
    await add('weather', { 'w.csv': WEATHER });
    const page = (await t.call('GET', '/api/v1/datasets/weather/versions/1/rows?offset=10&limit=3')).json();
    const rows = weatherRows();
    expect(page.total).toBe(rows.length);
    expect(page.rows.map((r: unknown[]) => r[0])).toEqual(rows.slice(10, 13).map((r) => r[0]));
    expect(page.rows[0][2]).toBe(Number(rows[10]![2]));
  });

  it('diffs two versions: rows added and removed, shift by column', async () => {
    await add('weather', { 'w.csv': WEATHER });
    const lines = WEATHER.toString('utf8').trim().split('\n');
    // Drop 10 rows, change 3, and shift temp_max up in the last 300 rows.
    const kept = [lines[0]!, ...lines.slice(11)];
    for (const i of [1, 2, 3]) kept[i] = kept[i]!.replace(/,(sun|rain|fog|drizzle|snow)$/, ',hail');
    const changed = kept.map((l, i) => {
      if (i < kept.length - 300 || i === 0) return l;
      const c = l.split(',');
      c[2] = String(Number(c[2]) + 8);
      return c.join(',');
    });
    const v2 = await add('weather', { 'w.csv': `${changed.join('\n')}\n` }, { parents: ['weather@v1'] });
    expect(v2.statusCode, v2.body).toBe(201);
    const diff = (await t.call('GET', '/api/v1/datasets/weather/versions/2/diff?against=weather@v1')).json();
    expect(diff.rows).toMatchObject({ from: 1461, to: 1451, removed: 313, added: 303, unchanged: 1148 });
    expect(diff.schema).toEqual({ added: [], removed: [], retyped: [] });
    expect(diff.shift[0].column).toBe('temp_max');
    const unchanged = diff.shift.find((x: { column: string }) => x.column === 'wind');
    expect(diff.shift[0].psi).toBeGreaterThan(10 * unchanged.psi);
    expect(diff.shift[0].ks).toBeGreaterThan(0.05);
  });

  it('records lineage: parents upstream, derived versions and consumers downstream', async () => {
    await add('raw', { 'w.csv': WEATHER });
    const clean = (
      await add(
        'clean',
        { 'w.csv': `${WEATHER.toString().trim()}\n2099-01-01,0,1,0,1,sun\n` },
        { parents: ['raw@v1'] },
      )
    ).json().version;
    const raw = (await t.call('GET', '/api/v1/datasets/raw/versions/1')).json();
    await t.plumb.db.kysely
      .transaction()
      .execute((trx) =>
        t.plumb.services.datasets.recordConsumer(trx, clean.id, { kind: 'run', id: 'run_TEST' }),
      );
    const down = (await t.call('GET', '/api/v1/datasets/raw/versions/1/lineage')).json();
    expect(down.edges).toEqual(
      expect.arrayContaining([
        { from: raw.id, to: clean.id, relation: 'parent_of' },
        { from: clean.id, to: 'run_TEST', relation: 'consumed_by' },
      ]),
    );
    const up = (await t.call('GET', '/api/v1/datasets/clean/versions/1/lineage')).json();
    expect(up.nodes.map((n: { label: string }) => n.label)).toEqual(
      expect.arrayContaining(['clean@v1', 'raw@v1']),
    );
    expect(clean.parents).toEqual(['raw@v1']);
  });

  it('rejects a parent that does not exist, and a file that was never uploaded', async () => {
    const badParent = await add('x', { 'w.csv': WEATHER }, { parents: ['nothing@v1'] });
    expect(badParent.statusCode).toBe(404);
    const missing = await t.call('POST', '/api/v1/datasets/x/versions', {
      body: { files: [{ path: 'w.csv', ref: `sha256:${'a'.repeat(64)}` }] },
    });
    expect(missing.statusCode).toBe(412);
    expect(missing.json().error.message).toContain('has not been uploaded');
  });

  const BAD: [string, string | Buffer, RegExp][] = [
    ['ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n', /ragged\.csv: line 3 has 2 fields but the header has 3/],
    ['quote.csv', 'a,b\n1,"open\n2,y\n', /quote\.csv: the quote opened on line 2 is never closed/],
    [
      'utf8.csv',
      Buffer.concat([Buffer.from('a,b\n1,caf'), Buffer.from([0xe9]), Buffer.from('\n2,ok\n')]),
      /utf8\.csv: .*(UTF-8|unicode)/i,
    ],
    ['empty.csv', '', /empty\.csv: the file is empty/],
    ['header-only.csv', 'a,b\n', /header-only\.csv: the file has no rows/],
    ['dup.csv', 'a,a,b\n1,2,3\n', /dup\.csv: the header names column "a" twice/],
    [
      'mixed.csv',
      'id,amount\n1,10\n2,20\n3,N/A\n4,40\n',
      /mixed\.csv: column "amount" mixes numbers and text: line 4 has "N\/A"/,
    ],
    [
      'mixed.jsonl',
      '{"a":1,"b":"x"}\n{"a":"two","b":"y"}\n',
      /mixed\.jsonl: field "a" holds number values and, from line 2, varchar values/,
    ],
    ['bad.jsonl', '{"a":1}\n{"a":2\n', /bad\.jsonl: .*Malformed JSON/],
    ['fake.parquet', 'not parquet at all', /fake\.parquet: .*not a Parquet file/],
    ['notes.txt', 'hello', /unsupported file type/],
    [
      'late-text.csv',
      `id,amount\n${Array.from({ length: 150_000 }, (_, i) => `${i},${i === 149_999 ? 'oops' : i * 2}`).join('\n')}\n`,
      /late-text\.csv: .*Line: 150001.*oops/s,
    ],
  ];

  it.each(BAD)('rejects %s with a clear error and records nothing', async (path, content, message) => {
    const response = await add('bad', { [path]: content });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.message).toMatch(message);
    expect(await t.plumb.db.kysely.selectFrom('dataset_versions').selectAll().execute()).toEqual([]);
    expect(await t.plumb.db.kysely.selectFrom('datasets').selectAll().execute()).toEqual([]);
    expect((await t.call('GET', '/api/v1/audit?resource=dataset:*')).json().items).toEqual([]);
  });

  it('rejects files whose columns differ, and paths that climb out of the version', async () => {
    const differ = await add('d', { 'a.csv': 'x,y\n1,2\n', 'b.csv': 'x,z\n1,2\n' });
    expect(differ.statusCode).toBe(400);
    expect(differ.json().error.message).toMatch(/b\.csv: its columns .* differ from a\.csv/);
    const ref = await upload('x\n1\n');
    const climb = await t.call('POST', '/api/v1/datasets/d/versions', {
      body: { files: [{ path: '../../etc/x.csv', ref }] },
    });
    expect(climb.statusCode).toBe(400);
  });

  it('reads Parquet: flights-3m with its real schema, profiled in the background', async () => {
    const response = await add('flights', {
      'flights-3m.parquet': readFileSync(vegaData('flights-3m.parquet')),
    });
    expect(response.statusCode, response.body).toBe(201);
    const { version } = response.json();
    expect(version).toMatchObject({ format: 'parquet', rowCount: 3_000_000, profileStatus: 'pending' });
    expect(version.schema.map((c: { name: string }) => c.name)).toEqual([
      'date',
      'delay',
      'distance',
      'origin',
      'destination',
    ]);
    const jobs = await t.plumb.services.jobs.list({ queue: 'dataset.profile' });
    expect(jobs.map((j) => j.payload)).toEqual([{ versionId: version.id }]);
    // The in-process worker picks the job up, as under `plumb serve`.
    t.plumb.worker.start();
    let done = version;
    for (let i = 0; i < 240 && done.profileStatus === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      done = (await t.call('GET', '/api/v1/datasets/flights/versions/1')).json();
    }
    expect(done.profileStatus).toBe('ready');
    expect(done.profile.delay.count).toBe(3_000_000);
    expect(done.profile.origin.kind).toBe('categorical');
  }, 120_000);

  it('refuses an upload whose bytes do not match the announced hash, storing nothing', async () => {
    const response = await t.call('POST', `/api/v1/blobs?sha256=${'0'.repeat(64)}`, {
      body: Buffer.from('some bytes'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_argument');
    // The ref the refused bytes would have been stored under, had they been kept.
    const ref = `sha256:${createHash('sha256').update('some bytes').digest('hex')}`;
    expect((await t.call('GET', `/api/v1/blobs/${ref}/stat`)).statusCode).toBe(404);
    const store = t.plumb.services.blobs as FileBlobStore;
    expect(await store.exists(ref)).toBe(false);
    const stored: string[] = [];
    for await (const blob of store.list()) stored.push(blob.ref);
    expect(stored).toEqual([]);
    expect(await t.plumb.db.kysely.selectFrom('blob_owners').selectAll().execute()).toEqual([]);
    expect(await t.plumb.db.kysely.selectFrom('datasets').selectAll().execute()).toEqual([]);
    expect(await t.plumb.db.kysely.selectFrom('dataset_versions').selectAll().execute()).toEqual([]);
    const trail = (await t.call('GET', '/api/v1/audit')).json().items as { action: string }[];
    expect(trail.filter((r) => r.action.startsWith('blob.') || r.action.startsWith('dataset'))).toEqual([]);
    // The same bytes sent without a wrong hash are stored under that very ref.
    expect(await upload('some bytes')).toBe(ref);
    expect(await store.exists(ref)).toBe(true);
  });

  it('validates a version, stores the report on it, and shows failing rows', async () => {
    await add('weather', { 'w.csv': WEATHER }, { timeColumn: 'date' });
    const text = WEATHER.toString('utf8').replace(/,sun\n/g, ',sunny\n');
    await add('weather', { 'w.csv': text }, { timeColumn: 'date' });
    const suite = [
      'name: weather-quality',
      'reference: weather@v1',
      'expectations:',
      '  - { expect: row_count, min: 1000 }',
      '  - { expect: in_set, column: weather, values: [drizzle, rain, sun, snow, fog] }',
      '  - { expect: drift, column: temp_max, test: psi, max: 0.2 }',
    ].join('\n');
    const passed = (
      await t.call('POST', '/api/v1/datasets/weather/versions/1/validations', { body: { suite } })
    ).json();
    expect(passed).toMatchObject({
      version: 'weather@v1',
      suite: 'weather-quality',
      reference: 'weather@v1',
      passed: true,
    });
    const failed = await t.call('POST', '/api/v1/datasets/weather/versions/2/validations', {
      body: { suite },
    });
    expect(failed.statusCode).toBe(201);
    const report = failed.json();
    expect(report.passed).toBe(false);
    const inSet = report.results.find((r: { expect: string }) => r.expect === 'in_set');
    const sunny = weatherRows(text).filter((r) => r[5] === 'sunny').length;
    expect(inSet).toMatchObject({ passed: false, failingRows: { count: sunny } });
    expect(inSet.failingRows.sample[0].weather).toBe('sunny');
    const version = (await t.call('GET', '/api/v1/datasets/weather/versions/2')).json();
    expect(version).toMatchObject({ validationStatus: 'failed', validationReportId: report.id });
    expect((await t.call('GET', `/api/v1/validation-reports/${report.id}`)).json()).toEqual(report);
    const bad = await t.call('POST', '/api/v1/datasets/weather/versions/2/validations', {
      body: { suite: 'name: x\nexpectations:\n  - { expect: nope }' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('downloads a blob byte for byte', async () => {
    const ref = await upload(WEATHER);
    const response = await t.call('GET', `/api/v1/blobs/${ref}`);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(WEATHER)).toBe(true);
  });
});
