import type { TestPlumb } from '../../testing/test-plumb.js';
import { createUngatedModel, loadWeather, type WeatherRow } from '../evals/evals.test-kit.js';
import { FEATURES, registryKit } from '../registry/registry.test-kit.js';

// Test support for monitoring's views: Seattle weather with a season column, trained on
// 2012–2014, evaluated on the winter and spring of 2015, served on `weather`, and traffic of the
// summer of 2015 logged with labels, scores, latencies and (for two of its three hours) feedback.
// Test-only: the build leaves *.test-kit.ts out.

export const HOUR = 3_600_000;
export const MONITORED = [...FEATURES, 'season'];
/** A season production sees and the training data never had. */
export const UNSEEN = 'monsoon';

export function seasonOf(date: string): string {
  const month = Number(date.slice(5, 7));
  if (month === 12 || month <= 2) return 'winter';
  if (month <= 5) return 'spring';
  if (month <= 8) return 'summer';
  return 'autumn';
}

export type SeasonRow = WeatherRow & { season: string };

const all = (): SeasonRow[] => loadWeather().map((r) => ({ ...r, season: seasonOf(r.date) }));
export const TRAINING = all().filter((r) => r.date < '2015');
export const HOLDOUT = all().filter(
  (r) => r.date >= '2015' && (r.season === 'winter' || r.season === 'spring'),
);
const SUMMER = all().filter((r) => r.date >= '2015' && r.season === 'summer');

function csv(rows: SeasonRow[]): Buffer {
  const columns = ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather', 'season'] as const;
  return Buffer.from(
    `${columns.join(',')}\n${rows.map((r) => columns.map((c) => r[c]).join(',')).join('\n')}\n`,
  );
}

async function addDataset(t: TestPlumb, name: string, rows: SeasonRow[]) {
  const ref = await registryKit.upload(t, csv(rows));
  const added = await t.call('POST', `/api/v1/datasets/${name}/versions`, {
    body: { files: [{ path: `${name}.csv`, ref }] },
  });
  if (added.statusCode !== 201) throw new Error(added.body);
}

/** weather@v1 trained on weather@v1, evaluated on weather-holdout@v1, served on endpoint `weather`. */
export async function seasonWorld(t: TestPlumb): Promise<void> {
  await addDataset(t, 'weather', TRAINING);
  await addDataset(t, 'weather-holdout', HOLDOUT);
  const run = (
    await t.call('POST', '/api/v1/runs', { body: { name: 'weather-logreg', inputs: ['weather@v1'] } })
  ).json();
  await t.call('POST', `/api/v1/runs/${run.id}/finish`, { body: {} });
  await createUngatedModel(t, 'weather');
  await t.plumb.services.registry.registration.register(t.adminCtx, 'weather', {
    artifact: { kind: 'onnx', blobRef: await registryKit.upload(t, registryKit.weatherModel().bytes) },
    description: '',
    runId: run.id,
  });
  const endpoint = await t.call('POST', '/api/v1/endpoints', {
    body: { name: 'weather', routes: [{ target: 'weather@v1', weight: 100 }] },
  });
  if (endpoint.statusCode !== 201) throw new Error(endpoint.body);
  const evals = t.plumb.services.evals;
  const { suite } = await evals.createSuite(
    t.adminCtx,
    `name: holdout
datasets: [weather-holdout@v1]
label: weather
task: classification
features: [${FEATURES.join(', ')}]
metrics: [accuracy]
`,
  );
  const started = await evals.startRun(t.adminCtx, { suite: suite.ref, candidate: 'weather@v1' });
  await evals.execute(started.id);
  const ended = await evals.getRun(t.adminCtx, started.id);
  if (ended.status !== 'succeeded') throw new Error(`evaluation ${ended.status}: ${ended.error}`);
}

export interface TrafficEvent {
  id: string;
  time: string;
  hour: number;
  inputs: Record<string, number | string>;
  label: string;
  score: number;
  latencyMs: number;
  /** The truth, sent as feedback for the first two hours only. */
  actual: string | null;
}

/** The summer of 2015 over the three hours from `start`; a quarter of it in the unseen season. */
export function traffic(start: number): TrafficEvent[] {
  return SUMMER.map((r, i) => {
    const hour = i % 3;
    // A rule that is often right and sometimes not: windy dry days are called rain.
    const rain = r.precipitation > 0 || r.wind > 4;
    return {
      id: `prd_season${i}`,
      time: new Date(start + hour * HOUR + Math.floor(i / 3) * 1000).toISOString(),
      hour,
      inputs: {
        precipitation: r.precipitation,
        temp_max: r.temp_max,
        temp_min: r.temp_min,
        wind: r.wind,
        season: i % 4 === 3 ? UNSEEN : r.season,
      },
      label: rain ? 'rain' : 'sun',
      score: rain ? 0.8 : 0.25,
      latencyMs: i === 5 ? 480 : 100,
      actual: hour === 2 ? null : r.weather === 'rain' ? 'rain' : 'sun',
    };
  });
}

/** Logs the traffic on `weather` with its feedback and writes the profiles. */
export async function sendTraffic(t: TestPlumb, events: TrafficEvent[]): Promise<void> {
  const logged = await t.call('POST', '/api/v1/events', {
    body: {
      events: events.map((e) => ({
        id: e.id,
        time: e.time,
        endpoint: 'weather',
        modelVersion: 'weather@v1',
        inputs: e.inputs,
        label: e.label,
        score: e.score,
        latencyMs: e.latencyMs,
      })),
    },
  });
  if (logged.statusCode !== 201) throw new Error(logged.body);
  const feedback = events
    .filter((e) => e.actual !== null)
    .map((e) => ({ predictionId: e.id, label: e.actual }));
  const sent = await t.call('POST', '/api/v1/feedback', { body: { feedback } });
  if (sent.statusCode !== 200 && sent.statusCode !== 201) throw new Error(sent.body);
  await t.plumb.services.profileWriter.flush();
}

/** Shares of each value of `key` among rows. */
export function shares<T>(rows: T[], key: (r: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + 1 / rows.length);
  return out;
}

/** Realised accuracy of an hour's labelled events. */
export function accuracyOf(events: TrafficEvent[], hour: number): number {
  const labelled = events.filter((e) => e.hour === hour && e.actual !== null);
  return labelled.filter((e) => e.label === e.actual).length / labelled.length;
}

/** scipy.spatial.distance.jensenshannon(p, q) with base e, on counts. */
export function jensenShannonDistance(p: number[], q: number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let js = 0;
  p.forEach((pi, i) => {
    const a = pi / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log(a / m);
    if (b > 0) js += 0.5 * b * Math.log(b / m);
  });
  return Math.sqrt(js);
}
