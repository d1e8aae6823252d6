import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

const EVENTS = [
  { id: 1, tags: ['a', 'b'], user: { name: 'ada', age: 36 } },
  { id: 2, tags: [], user: { name: 'bob', age: null } },
  { id: 3, tags: ['a'], user: null },
];

async function nestedParquet(): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-nested-'));
  const path = join(dir, 'n.parquet');
  const writer = await DuckDBInstance.create(':memory:');
  const connection = await writer.connect();
  await connection.run(
    `COPY (SELECT i AS id, [i, i * 10] AS l, {'x': i, 'y': 'v' || i} AS s, MAP {'k': i} AS m FROM range(1, 4) t(i)) TO '${path}' (FORMAT parquet)`,
  );
  connection.closeSync();
  writer.closeSync();
  const bytes = readFileSync(path);
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

describeEachBackend('nested columns', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  async function add(name: string, path: string, bytes: Buffer | string) {
    const blob = await t.call('POST', '/api/v1/blobs', {
      body: Buffer.from(bytes),
      headers: { 'content-type': 'application/octet-stream' },
    });
    return t.call('POST', `/api/v1/datasets/${name}/versions`, {
      body: { files: [{ path, ref: blob.json().ref }] },
    });
  }

  it('versions JSONL with lists and objects, and pages them back as JSON values', async () => {
    const response = await add(
      'events',
      'events.jsonl',
      `${EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
    expect(response.statusCode, response.body).toBe(201);
    const { version } = response.json();
    expect(version.schema).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'tags', type: 'VARCHAR[]', nested: 'list' },
      { name: 'user', type: 'STRUCT("name" VARCHAR, age BIGINT)', nested: 'struct' },
    ]);
    expect(version.profileStatus).toBe('ready');
    expect(version.profile.tags).toMatchObject({ kind: 'categorical', distinct: 3, distinctExact: true });
    expect(version.profile.user).toMatchObject({ kind: 'categorical', nulls: 1 });

    const page = (await t.call('GET', '/api/v1/datasets/events/versions/1/rows')).json();
    expect(page.rows).toEqual(EVENTS.map((e) => [e.id, e.tags, e.user]));

    const suite = [
      'name: shape',
      'expectations:',
      '  - { expect: type, column: tags, type: list }',
      '  - { expect: type, column: user, type: struct }',
      '  - { expect: unique, column: tags }',
      '  - { expect: between, column: user, min: 1 }',
    ].join('\n');
    const report = (
      await t.call('POST', '/api/v1/datasets/events/versions/1/validations', { body: { suite } })
    ).json();
    expect(report.results.map((r: { passed: boolean }) => r.passed)).toEqual([true, true, true, false]);
    expect(report.results[3].message).toBe(
      '"user" holds STRUCT("name" VARCHAR, age BIGINT), a struct: between compares single values',
    );
  });

  it('versions Parquet with lists, structs and maps, and diffs two of them', async () => {
    const response = await add('p', 'n.parquet', await nestedParquet());
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().version.schema.map((c: { nested?: string }) => c.nested ?? null)).toEqual([
      null,
      'list',
      'struct',
      'map',
    ]);
    const page = (await t.call('GET', '/api/v1/datasets/p/versions/1/rows?limit=1')).json();
    expect(page.rows).toEqual([[1, [1, 10], { x: 1, y: 'v1' }, { k: 1 }]]);

    const jsonl = `${[1, 2].map((i) => JSON.stringify({ id: i, l: [`t${i}`] })).join('\n')}\n`;
    await add('q', 'a.jsonl', jsonl);
    await add('q', 'a.jsonl', `${jsonl}{"id":9,"l":["a, b","c"]}\n`);
    const diff = (await t.call('GET', '/api/v1/datasets/q/versions/2/diff?against=q@v1')).json();
    expect(diff.rows).toMatchObject({ added: 1, removed: 0, unchanged: 2 });
    // Samples hold nested values as JSON text, which keeps the comma inside the first string.
    expect(diff.rows.sampleAdded).toEqual([{ id: 9, l: '["a, b","c"]' }]);
  });
});
