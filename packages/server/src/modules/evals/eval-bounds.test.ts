import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from '../registry/registry.test-kit.js';
import { MAX_BOOTSTRAP_ROW_RESAMPLES } from './eval-bounds.js';
import { trainWeatherModels } from './evals.test-kit.js';

const suite = (dataset: string, iterations: number) => `name: boot
datasets: [${dataset}]
label: weather
task: classification
features: [precipitation, temp_max, temp_min, wind]
metrics: [accuracy]
gate:
  significance: { test: paired_bootstrap, iterations: ${iterations} }
`;

describe('the bound on a paired bootstrap (rows × iterations)', () => {
  let t: TestPlumb;
  let csv: string;

  const addCopies = async (copies: number) => {
    const response = await t.call('POST', '/api/v1/datasets/weather/versions', {
      body: { files: Array.from({ length: copies }, (_, i) => ({ path: `part-${i}.csv`, ref: csv })) },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().version;
  };

  beforeEach(async () => {
    t = await createTestPlumb();
    csv = await registryKit.upload(t, registryKit.weatherCsv());
    const models = trainWeatherModels();
    for (const bytes of [models.baselineBytes, models.candidateBytes]) {
      const blobRef = await registryKit.upload(t, bytes);
      const registered = await t.call('POST', '/api/v1/models/weather-clf/versions', {
        body: { artifact: { kind: 'onnx', blobRef }, model: { riskClass: 'limited' } },
      });
      expect(registered.statusCode, registered.body).toBe(201);
    }
  });
  afterEach(() => t.dispose());

  it('accepts seattle-weather twice at 50,000 iterations and refuses 100,000, naming the limit', async () => {
    expect((await addCopies(2)).rowCount).toBe(2922);
    // 2,922 × 50,000 = 1.46 × 10^8.
    const fits = await t.call('POST', '/api/v1/eval-suites', { body: { yaml: suite('weather@v1', 50_000) } });
    expect(fits.statusCode, fits.body).toBe(201);

    const tooMany = await t.call('POST', '/api/v1/eval-suites', {
      body: { yaml: suite('weather@v1', 100_000) },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatchObject({
      code: 'invalid_argument',
      details: { rows: 2922, iterations: 100_000, limit: MAX_BOOTSTRAP_ROW_RESAMPLES },
    });
    expect(tooMany.json().error.message).toBe(
      'suite boot: a paired bootstrap of 100000 iterations over 2922 rows is 292200000 row resamples, ' +
        'over the limit of 200000000 (rows × iterations); use at most 68446 iterations',
    );
  });

  it('checks again when a run starts, against the dataset version the suite resolves to then', async () => {
    await addCopies(1);
    // 1,461 × 40,000 = 5.8 × 10^7 when stored.
    const stored = await t.call('POST', '/api/v1/eval-suites', {
      body: { yaml: suite('weather@latest', 40_000) },
    });
    expect(stored.statusCode, stored.body).toBe(201);
    // weather@latest becomes 4 × 1,461 = 5,844 rows: 2.3 × 10^8.
    await addCopies(4);
    const run = await t.call('POST', '/api/v1/eval-runs', {
      body: { suite: 'boot', candidate: 'weather-clf@v2', baseline: 'weather-clf@v1' },
    });
    expect(run.statusCode).toBe(400);
    expect(run.json().error).toMatchObject({ code: 'invalid_argument', details: { rows: 5844 } });
    expect((await t.call('GET', '/api/v1/eval-runs')).json().items).toEqual([]);
  });

  it('renews the job lease once the predictions are in, before the bootstrap runs', async () => {
    await addCopies(1);
    expect(
      (await t.call('POST', '/api/v1/eval-suites', { body: { yaml: suite('weather@v1', 200) } })).statusCode,
    ).toBe(201);
    const started = await t.call('POST', '/api/v1/eval-runs', {
      body: { suite: 'boot', candidate: 'weather-clf@v2', baseline: 'weather-clf@v1' },
    });
    const id = started.json().id;
    const seen: string[] = [];
    await t.plumb.services.evals.execute(id, {
      heartbeat: async () => {
        const run = (await t.call('GET', `/api/v1/eval-runs/${id}`)).json();
        seen.push(`${run.status}, result ${run.result === null ? 'none' : 'recorded'}`);
      },
    });
    // Called once, after the predictions and before anything is scored or recorded.
    expect(seen).toEqual(['running, result none']);
    expect((await t.call('GET', `/api/v1/eval-runs/${id}`)).json().status).toBe('succeeded');
  });
});
