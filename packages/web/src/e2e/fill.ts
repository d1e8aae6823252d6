import { readFileSync } from 'node:fs';
import type { PlumbClient, PostEvents } from '@plumb/sdk';
import {
  featuresOf,
  loadWeather,
  trainWeatherModels,
  WEATHER_CSV,
} from '../../../server/src/modules/evals/evals.test-kit.js';
import type { LogisticRegression } from '../../../server/src/testing/train-logistic.js';

// Fills a Plumb server through the SDK, as a team would: data, a training run, two model
// versions judged by an evaluation gate, a promotion through approval, an endpoint with a canary
// and a shadow, predictions and their ground truth.

const CARD = `---
intended_use: Next-day weather category for Seattle dashboards.
out_of_scope_use: Severe-weather warnings; any other city.
limitations: Trained on four years of one station's daily records.
ethical_considerations: None known; no personal data.
---
Logistic regression on precipitation, temperatures and wind.
`;

const SUITE = `
name: weather-gate
datasets: [weather@v1]
label: weather
task: classification
positive_label: rain
features: [precipitation, temp_max, temp_min, wind]
slices:
  - { name: rain, column: weather, equals: rain }
  - { name: warm, where: "temp_max > 20" }
metrics: [accuracy, f1]
gate:
  thresholds: { accuracy: { min: 0.3 } }
`;

const VALIDATION = `
name: weather-quality
expectations:
  - { expect: not_null, column: weather }
  - { expect: between, column: temp_max, min: -20, max: 45 }
  - { expect: unique, column: date }
`;

export interface Filled {
  model: string;
  endpoint: string;
  dataset: string;
  /** The promotion of v2 to champion, waiting for an approver. */
  pendingRequest: string;
  bigModel: string;
}

async function upload(client: PlumbClient, text: string) {
  return (await client.blobs.upload(new TextEncoder().encode(text))).ref;
}

/** How much history: model versions of the large model, and hours of logged traffic. */
export interface Scale {
  versions: number;
  hours: number;
}

export async function fill(admin: PlumbClient, approver: PlumbClient, scale: Scale): Promise<Filled> {
  const { versions } = scale;
  const csv = readFileSync(WEATHER_CSV, 'utf8');
  const lines = csv.trim().split('\n');
  const full = await upload(admin, csv);
  const early = await upload(admin, `${lines.slice(0, 1001).join('\n')}\n`);
  await admin.datasets.addVersion('weather', {
    files: [{ path: 'seattle-weather.csv', ref: full }],
    message: 'four years of daily weather',
    description: 'Seattle daily weather, 2012-2015',
    sliceColumn: 'weather',
  });
  const v2 = await admin.datasets.addVersion('weather', {
    files: [{ path: 'seattle-weather.csv', ref: early }],
    message: 'the first 1,000 days',
    parents: ['weather@v1'],
    sliceColumn: 'weather',
  });
  await admin.datasets.validate(v2.version.ref, { suite: VALIDATION });

  const models = trainWeatherModels();
  await admin.models.create({
    name: 'weather',
    owner: 'forecasting',
    description: 'Classifies the day: rain, sun, drizzle, snow or fog',
    riskClass: 'limited',
    policy: { gatedAliases: ['champion'], approvalRequired: true },
  });
  const weather = loadWeather();
  const accuracy = (model: LogisticRegression) =>
    weather.filter((r) => model.predict(featuresOf(r)) === r.weather).length / weather.length;
  const register = async (bytes: Uint8Array, trained: LogisticRegression, epochs: number) => {
    const run = await admin.runs.create({
      name: `logistic-${epochs}`,
      params: { epochs },
      inputs: ['weather@v1'],
    });
    await admin.runs.logMetrics(run.id, {
      points: [{ key: 'accuracy', value: accuracy(trained), step: epochs }],
    });
    await admin.runs.finish(run.id);
    const { ref } = await admin.blobs.upload(bytes);
    return admin.models.register('weather', {
      artifact: { kind: 'onnx', blobRef: ref },
      runId: run.id,
      card: CARD,
    });
  };
  const mv1 = await register(models.baselineBytes, models.baseline, 40);
  const mv2 = await register(models.candidateBytes, models.candidate, 400);

  await admin.evals.createSuite(SUITE);
  const gate = async (candidate: string) => {
    const run = await admin.evals.run({ suite: 'weather-gate', candidate, baseline: 'weather@champion' });
    const done = await admin.evals.waitForRun(run.id, { intervalMs: 100 });
    if (!done.decision?.passed)
      throw new Error(`gate did not pass for ${candidate}: ${JSON.stringify(done)}`);
  };
  await gate(mv1.ref);
  const first = await admin.models.promote(mv1.ref, { alias: 'champion', reason: 'first release' });
  if (first.outcome !== 'pending_approval') throw new Error('expected the champion to need approval');
  await approver.models.approve(first.request.id, { comment: 'gate passed, card complete' });
  await gate(mv2.ref);
  const second = await admin.models.promote(mv2.ref, { alias: 'champion', reason: 'trained on 1,000 days' });
  if (second.outcome !== 'pending_approval') throw new Error('expected the champion to need approval');

  await admin.endpoints.create({
    name: 'weather-api',
    description: 'Daily weather category for the dashboards',
    routes: [
      { target: 'weather@champion', weight: 9 },
      { target: 'weather@v2', weight: 1 },
    ],
    shadows: ['weather@v2'],
    reviewThreshold: 0.5,
    features: ['precipitation', 'temp_max', 'temp_min', 'wind'],
  });
  const header = lines[0]!.split(',');
  const rows = lines.slice(1, 121).map((line) => {
    const cells = line.split(',');
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i]!]));
    return {
      input: {
        precipitation: Number(row.precipitation),
        temp_max: Number(row.temp_max),
        temp_min: Number(row.temp_min),
        wind: Number(row.wind),
      },
      truth: row.weather!,
    };
  });
  const feedback: { predictionId: string; label: string }[] = [];
  for (let i = 0; i < rows.length; i += 10) {
    const batch = rows.slice(i, i + 10);
    const answer = await admin.endpoints.predict('weather-api', {
      inputs: batch.map((r) => r.input),
      routeKey: `user-${i}`,
    });
    answer.predictions.forEach((p, j) => {
      if (j % 2 === 0) feedback.push({ predictionId: p.predictionId, label: batch[j]!.truth });
    });
  }
  await admin.events.feedback({ feedback });

  await fillHours(admin, models.baseline, scale.hours);

  const bigModel = 'ranker';
  await admin.models.create({
    name: bigModel,
    owner: 'search',
    description: 'Ranks search results; retrained hourly',
    riskClass: 'minimal',
    policy: { gatedAliases: [], approvalRequired: false },
  });
  let next = 0;
  const worker = async () => {
    while (next < versions) {
      next += 1;
      await admin.models.register(bigModel, {
        artifact: { kind: 'oip', url: 'http://127.0.0.1:9/v2/models/ranker' },
        description: `hourly retrain ${next}`,
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await admin.models.setAlias(bigModel, 'champion', { version: versions, reason: 'latest retrain' });

  return {
    model: 'weather',
    endpoint: 'weather-api',
    dataset: 'weather',
    pendingRequest: second.request.id,
    bigModel,
  };
}

const HOUR = 3_600_000;
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const;

/**
 * Hourly traffic on the endpoint up to the last hour, as an application serving the champion
 * itself would log it: one event an hour with that day's real weather (the last year of the
 * data, a day per 24 hours), the model's real answer, and the true label a day later. The
 * seasons drift against the four-year reference; a rule on the monitor's verdict alerts.
 */
async function fillHours(admin: PlumbClient, model: LogisticRegression, hours: number): Promise<void> {
  await admin.monitors.create({
    endpoint: 'weather-api',
    reference: 'weather@v1',
    window: '1h',
    features: [...FEATURES],
  });
  const days = loadWeather().slice(-365);
  const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const start = end - hours * HOUR;
  const events: PostEvents['events'] = [];
  const feedback: { predictionId: string; label: string; time: string }[] = [];
  for (let hour = 0; hour < hours; hour++) {
    const day = days[Math.floor(hour / 24) % days.length]!;
    const probabilities = model.predictProbabilities(featuresOf(day));
    const best = probabilities.indexOf(Math.max(...probabilities));
    const id = `prd_year${hour}`;
    const time = start + hour * HOUR + 30 * 60_000;
    events.push({
      id,
      time: new Date(time).toISOString(),
      endpoint: 'weather-api',
      modelVersion: 'weather@v1',
      inputs: Object.fromEntries(FEATURES.map((f) => [f, day[f]])),
      label: model.classes[best]!,
      confidence: probabilities[best]!,
    });
    feedback.push({
      predictionId: id,
      label: day.weather,
      time: new Date(Math.min(time + 24 * HOUR, Date.now())).toISOString(),
    });
  }
  for (let i = 0; i < events.length; i += 1000)
    await admin.events.record({ events: events.slice(i, i + 1000) });
  for (let i = 0; i < feedback.length; i += 5000)
    await admin.events.feedback({ feedback: feedback.slice(i, i + 5000) });
  await admin.alerts.createRule({ name: 'weather-drift', endpoint: 'weather-api', metric: 'share_drifted' });
}
