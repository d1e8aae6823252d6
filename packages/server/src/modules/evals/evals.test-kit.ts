import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelVersion } from '@plumb/sdk';
import { systemClock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { exportLogisticRegression } from '../../testing/logistic-onnx.js';
import type { TestPlumb } from '../../testing/test-plumb.js';
import { LogisticRegression } from '../../testing/train-logistic.js';
import { EvalsService } from './evals.service.js';

// Test support for the evaluations module: real data, real trained models, registered in the
// instance's real model registry. Test-only: the build leaves *.test-kit.ts out.

export const WEATHER_CSV = fileURLToPath(
  new URL('../../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url),
);
export const WEATHER_FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const;

export interface WeatherRow {
  date: string;
  precipitation: number;
  temp_max: number;
  temp_min: number;
  wind: number;
  weather: string;
}

/** date,precipitation,temp_max,temp_min,wind,weather — the file has no quoting. */
export function loadWeather(): WeatherRow[] {
  const [, ...lines] = readFileSync(WEATHER_CSV, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [date, precipitation, tempMax, tempMin, wind, weather] = line.split(',');
    return {
      date: date!,
      precipitation: Number(precipitation),
      temp_max: Number(tempMax),
      temp_min: Number(tempMin),
      wind: Number(wind),
      weather: weather!,
    };
  });
}

export function featuresOf(row: WeatherRow, columns: readonly string[] = WEATHER_FEATURES): number[] {
  return columns.map((c) => row[c as keyof WeatherRow] as number);
}

/**
 * Two weather classifiers that differ: the baseline learns from 120 days for 40 steps, the
 * candidate from 1,000 days for 400 steps. Both are deterministic.
 */
export function trainWeatherModels(rows = loadWeather()) {
  const fit = (subset: WeatherRow[], epochs: number) =>
    LogisticRegression.fit(
      subset.map((r) => featuresOf(r)),
      subset.map((r) => r.weather),
      { epochs, learningRate: 0.5, seed: 7 },
    );
  const baseline = fit(
    rows.filter((_, i) => i % 12 === 0),
    40,
  );
  const candidate = fit(rows.slice(0, 1000), 400);
  return {
    baseline,
    candidate,
    baselineBytes: exportLogisticRegression(baseline, [...WEATHER_FEATURES]),
    candidateBytes: exportLogisticRegression(candidate, [...WEATHER_FEATURES]),
  };
}

/**
 * Registers ONNX bytes as the next version of `model` in the instance's real registry: uploaded
 * into the project, inspected, recorded and audited as `plumb model register` does. A model
 * registered for the first time is created with limited risk and a gated champion.
 */
export async function registerOnnx(
  t: TestPlumb,
  model: string,
  bytes: Uint8Array,
  ctx: RequestContext = t.adminCtx,
): Promise<ModelVersion> {
  const { ref } = await t.plumb.services.blobService.upload(ctx, bytes);
  return t.plumb.services.registry.registration.register(ctx, model, {
    artifact: { kind: 'onnx', blobRef: ref },
    description: '',
    model: { riskClass: 'limited' },
  });
}

/**
 * Creates `model` with no gated alias and no approval, so a test may point `champion` at any
 * version with `setAlias` instead of earning it through an evaluation gate first.
 */
export async function createUngatedModel(
  t: TestPlumb,
  model: string,
  ctx: RequestContext = t.adminCtx,
): Promise<void> {
  await t.plumb.services.registry.models.create(ctx, {
    name: model,
    description: '',
    riskClass: 'limited',
    policy: { gatedAliases: [], approvalRequired: false },
  });
}

/** Points an ungated alias at a version through the registry's promotion service. */
export async function setAlias(
  t: TestPlumb,
  version: ModelVersion,
  alias: string,
  ctx: RequestContext = t.adminCtx,
): Promise<void> {
  await t.plumb.services.registry.promotion.setAlias(ctx, version.model, alias, {
    version: version.version,
    reason: 'chosen by the test',
  });
}

/**
 * An evaluations service wired as the evals module wires it (the instance's registry, datasets,
 * blobs and queue), except for its batch size, which the module leaves at the default. `close`
 * releases the service's sessions and its engine.
 */
export async function evalsWithBatchSize(t: TestPlumb, batchSize: number) {
  const s = t.plumb.services;
  const blobs = s.blobs as FileBlobStore;
  const engine = await AnalyticsEngine.open({ allowedDirectories: [blobs.root] });
  const evals = new EvalsService({
    db: t.plumb.db,
    audit: s.audit,
    clock: systemClock,
    models: s.registry.models,
    datasets: s.datasets,
    engine,
    blobs,
    jobs: s.jobs,
    batchSize,
  });
  return {
    evals,
    async close() {
      await evals.close();
      engine.close();
    },
  };
}
