// The serving benches' model and endpoint: the example trainer's logistic regression on
// `seattle-weather.csv` (4 features, 4 classes), registered as `weather` v1 and served by an
// endpoint `weather` with no cache, shadow or fallback, so every request runs the model.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportLogisticRegression } from '../../examples/dist/logistic-onnx.js';
import { LogisticRegression } from '../../examples/dist/train-logistic.js';

export const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];

/** The weather rows (`x` the four features, `y` the label) and the trained model's ONNX bytes. */
export function weatherModel() {
  const csv = fileURLToPath(
    new URL('../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url),
  );
  const [, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
  const rows = lines.map((line) => {
    const [, precipitation, tempMax, tempMin, wind, weather] = line.split(',');
    return { x: [precipitation, tempMax, tempMin, wind].map(Number), y: weather };
  });
  const model = LogisticRegression.fit(
    rows.map((r) => r.x),
    rows.map((r) => r.y),
    { epochs: 400, learningRate: 0.5, seed: 7 },
  );
  return { rows, bytes: exportLogisticRegression(model, FEATURES) };
}

/** Registers the model, creates the endpoint and a `service` key; answers the key's secret. */
export async function createWeatherEndpoint(services, adminSecret, bytes) {
  const s = services;
  const admin = { principal: await s.keys.authenticate(adminSecret), requestId: 'bench' };
  const { ref } = await s.blobService.upload(admin, bytes);
  await s.registry.models.create(admin, {
    name: 'weather',
    description: '',
    riskClass: 'limited',
    policy: { gatedAliases: [], approvalRequired: false },
  });
  await s.registry.registration.register(admin, 'weather', {
    artifact: { kind: 'onnx', blobRef: ref },
    description: '',
  });
  await s.endpoints.create(admin, {
    name: 'weather',
    description: '',
    routes: [{ target: 'weather@v1', weight: 1 }],
    shadows: [],
    fallback: { versions: [], defaultResponse: null },
    timeoutMs: 5000,
    cacheTtlMs: 0,
    reviewThreshold: null,
    redact: {},
    features: null,
  });
  return (await s.keys.create(admin, { name: 'bench', role: 'service' })).secret;
}

/** REST predict bodies of one row of named features each. */
export const restBodies = (rows) =>
  rows.map((r) => JSON.stringify({ inputs: [Object.fromEntries(FEATURES.map((f, i) => [f, r.x[i]]))] }));
