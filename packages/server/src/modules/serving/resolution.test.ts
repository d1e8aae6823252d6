import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createPlumb, type Plumb } from '../../main.js';
import { type Db, openDatabase } from '../../storage/database.js';
import { type Backend, describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registerOnnx, setAlias } from '../evals/evals.test-kit.js';
import { createEndpoint, MODELS, registerWeather, rowInput } from './serving.test-kit.js';

/** A second connection to the instance's own database, as another replica would open it. */
async function sameDatabase(t: TestPlumb, backend: Backend): Promise<Db> {
  if (backend === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
      t.plumb.db.kysely,
    );
    return openDatabase(process.env.PLUMB_TEST_DATABASE_URL!, { schema: rows[0]!.schema, poolSize: 2 });
  }
  const { rows } = await sql<{
    file: string;
  }>`select file from pragma_database_list where name = 'main'`.execute(t.plumb.db.kysely);
  return openDatabase(`sqlite:${rows[0]!.file}`);
}

describeEachBackend('serving follows changes on the next request', (backend) => {
  let t: TestPlumb;
  let versions: Awaited<ReturnType<typeof registerWeather>>;
  let replica: Plumb;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    versions = await registerWeather(t);
    // Same database and blob folder, its own connection and caches: another process's view.
    replica = await createPlumb(loadConfig({ PLUMB_HOME: t.home }), {
      db: await sameDatabase(t, backend),
      logger: false,
    });
  });
  afterEach(async () => {
    await replica.close();
    await replica.db.close();
    await t.dispose();
  });

  const predictOn = async (plumb: Plumb, endpoint = 'forecast') => {
    const response = await plumb.app.inject({
      method: 'POST',
      url: `/api/v1/endpoints/${endpoint}/predict`,
      headers: { authorization: `Bearer ${t.adminSecret}` },
      payload: { inputs: [rowInput(0)] },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().predictions[0] as { modelVersion: string | null; arm: string };
  };

  it('an alias move, in this process and in another one', async () => {
    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@champion', weight: 1 }] });
    // Both have looked the alias up and keep what they found.
    for (let i = 0; i < 3; i++) {
      expect((await predictOn(t.plumb)).modelVersion).toBe('weather@v1');
      expect((await predictOn(replica)).modelVersion).toBe('weather@v1');
    }
    await setAlias(t, versions.v2, 'champion');
    expect((await predictOn(t.plumb)).modelVersion).toBe('weather@v2');
    expect((await predictOn(replica)).modelVersion).toBe('weather@v2');

    // Moved back from the other replica: the first follows just as well.
    await replica.services.registry.promotion.setAlias(t.adminCtx, 'weather', 'champion', {
      version: 1,
      reason: 'back',
    });
    expect((await predictOn(replica)).modelVersion).toBe('weather@v1');
    expect((await predictOn(t.plumb)).modelVersion).toBe('weather@v1');
  });

  it('a prediction looks up under the change stamp its key check read, and reads it once', async () => {
    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@champion', weight: 1 }] });
    await predictOn(t.plumb);
    // Every read of the audit head, on either path: the direct statement or Kysely.
    const db = t.plumb.db;
    const reads: string[] = [];
    const count = (sql: string) => {
      if (/\baudit_head\b/.test(sql) && /^\s*select/i.test(sql)) reads.push(sql);
    };
    const direct = db.direct;
    const get = direct?.get.bind(direct);
    if (direct && get)
      vi.spyOn(direct, 'get').mockImplementation((sql, params) => (count(sql), get(sql, params)));
    const execute = db.kysely.executeQuery.bind(db.kysely);
    vi.spyOn(db.kysely, 'executeQuery').mockImplementation((query, ...rest) => {
      count('sql' in query ? query.sql : query.compile().sql);
      return execute(query, ...rest);
    });
    try {
      expect((await predictOn(t.plumb)).modelVersion).toBe('weather@v1');
      expect(reads).toHaveLength(1);
      // The same stamp still sees a change committed before the request: the next one is served
      // by the moved alias.
      await setAlias(t, versions.v2, 'champion');
      reads.length = 0;
      expect((await predictOn(t.plumb)).modelVersion).toBe('weather@v2');
      expect(reads).toHaveLength(1);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('an endpoint change, a new latest version and a model classed unacceptable', async () => {
    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@latest', weight: 1 }] });
    expect((await predictOn(replica)).modelVersion).toBe('weather@v2');
    const updated = await t.call('PATCH', '/api/v1/endpoints/forecast', {
      body: { routes: [{ target: 'weather@v1', weight: 1 }] },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect((await predictOn(replica)).modelVersion).toBe('weather@v1');

    await t.call('PATCH', '/api/v1/endpoints/forecast', {
      body: { routes: [{ target: 'weather@latest', weight: 1 }] },
    });
    expect((await predictOn(replica)).modelVersion).toBe('weather@v2');
    const v3 = await registerOnnx(t, 'weather', MODELS.baselineBytes);
    expect(v3.version).toBe(3);
    expect((await predictOn(replica)).modelVersion).toBe('weather@v3');

    await t.plumb.services.registry.models.update(t.adminCtx, 'weather', { riskClass: 'unacceptable' });
    const refused = await replica.app.inject({
      method: 'POST',
      url: '/api/v1/endpoints/forecast/predict',
      headers: { authorization: `Bearer ${t.adminSecret}` },
      payload: { inputs: [rowInput(0)] },
    });
    expect(refused.statusCode).toBe(412);
    expect(refused.json().error.details.rule).toBe('unacceptable_risk');
  });
});
