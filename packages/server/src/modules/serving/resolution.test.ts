import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
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
