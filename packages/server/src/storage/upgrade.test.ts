import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { createPlumb, type Plumb } from '../main.js';
import { type Backend, describeEachBackend } from '../testing/test-database.js';
import { type Db, dropPostgresSchema, ensurePostgresSchema, openDatabase } from './database.js';

// One fixture per release: a database its own code wrote (scripts/make-release-fixture.sh),
// with datasets, validation, models, an evaluation gate, a promotion and a rollback in it.
// Every later release must open it, apply its own migrations and keep the data.
const FIXTURES = fileURLToPath(new URL('../../fixtures/releases/', import.meta.url));
const releases = existsSync(FIXTURES) ? readdirSync(FIXTURES).sort() : [];

interface Release {
  commit: string;
  schemaPlaceholder: string;
  adminKeys: Record<Backend, string>;
}

interface Opened {
  db: Db;
  home: string;
  dispose(): Promise<void>;
}

let counter = 0;

async function openRelease(name: string, backend: Backend, release: Release): Promise<Opened> {
  const home = mkdtempSync(join(tmpdir(), 'plumb-upgrade-'));
  cpSync(join(FIXTURES, name, 'blobs'), join(home, 'blobs'), { recursive: true });
  if (backend === 'sqlite') {
    const path = join(home, 'plumb.db');
    const raw = new SQLite(path);
    raw.exec(readFileSync(join(FIXTURES, name, 'sqlite.sql'), 'utf8'));
    raw.close();
    const db = openDatabase(`sqlite:${path}`);
    return {
      db,
      home,
      dispose: async () => {
        await db.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.PLUMB_TEST_DATABASE_URL!;
  const schema = `plumb_upgrade_${process.pid}_${counter++}`;
  await ensurePostgresSchema(url, schema);
  const dump = readFileSync(join(FIXTURES, name, 'postgres.sql'), 'utf8')
    .split(release.schemaPlaceholder)
    .join(schema)
    // The schema already exists; the dump would create it.
    .replace(new RegExp(`^CREATE SCHEMA ${schema};$`, 'm'), '');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(dump);
  } finally {
    await client.end();
  }
  const db = openDatabase(url, { schema, poolSize: 3 });
  return {
    db,
    home,
    dispose: async () => {
      await db.close();
      await dropPostgresSchema(url, schema);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

describe.each(releases)('a database written by release %s', (name) => {
  const release = JSON.parse(readFileSync(join(FIXTURES, name, 'release.json'), 'utf8')) as Release;
  let opened: Opened | undefined;
  let plumb: Plumb | undefined;
  afterEach(async () => {
    await plumb?.close();
    await opened?.dispose();
    plumb = undefined;
    opened = undefined;
  });

  describeEachBackend('on', (backend) => {
    it('opens on the current code, migrates, and keeps its data', async () => {
      opened = await openRelease(name, backend, release);
      plumb = await createPlumb(loadConfig({ PLUMB_HOME: opened.home }), { db: opened.db, logger: false });
      const key = release.adminKeys[backend];
      const get = async (url: string, method: 'GET' | 'POST' = 'GET') => {
        const response = await plumb!.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${key}` },
        });
        expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
        return response.json();
      };

      // The release's own admin key still works, and so does its audit chain.
      expect((await get('/api/v1/whoami')).role).toBe('admin');
      expect((await get('/api/v1/audit/verify', 'POST')).ok).toBe(true);
      expect((await get('/api/v1/projects')).items.map((p: { name: string }) => p.name)).toContain('fraud');

      const versions = (await get('/api/v1/datasets/weather/versions')).items;
      expect(versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2]);
      const v1 = await get('/api/v1/datasets/weather/versions/1');
      expect(v1.rowCount).toBe(1461);
      expect(v1.profileStatus).toBe('ready');
      expect(v1.profile).toBeTruthy();
      // The files are still where the release put them.
      const rows = await get('/api/v1/datasets/weather/versions/2/rows?limit=3');
      expect(rows.rows).toHaveLength(3);

      const model = await get('/api/v1/models/weather-model');
      expect(model.aliases?.champion ?? model.champion).toBeDefined();
      const modelVersions = (await get('/api/v1/models/weather-model/versions')).items;
      expect(modelVersions).toHaveLength(2);

      // And it takes new writes under the new code.
      const suites = await get('/api/v1/eval-suites');
      expect(suites.items.map((s: { name: string }) => s.name)).toContain('weather-gate');
    });
  });
});

it('has a fixture for at least one release', () => {
  expect(releases.length).toBeGreaterThan(0);
});
