import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import type { BlobStore } from '../../storage/blob/blob-store.js';
import type { FileBlobStore } from '../../storage/blob/file-blob-store.js';
import { exportLogisticRegression } from '../../testing/logistic-onnx.js';
import type { TestPlumb } from '../../testing/test-plumb.js';
import { LogisticRegression } from '../../testing/train-logistic.js';
import type {
  ModelArtifact,
  ModelVersionInfo,
  ModelVersionResolver,
} from '../registry/registry.contracts.js';
import { EvalsService } from './evals.service.js';

// Test support for the evaluations module: real data, real trained models, and a small model
// registry that serves them from a blob store. Test-only: the build leaves *.test-kit.ts out.

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

/** A model registry in memory: versions `name@vN`, ids, aliases; ONNX bytes live in a blob store. */
export class InTestRegistry implements ModelVersionResolver {
  private readonly versions: ModelVersionInfo[] = [];
  private readonly aliases = new Map<string, string>();

  constructor(private readonly blobs: BlobStore) {}

  async addOnnx(projectId: string, model: string, bytes: Uint8Array): Promise<ModelVersionInfo> {
    const stored = await this.blobs.put(bytes);
    return this.add(projectId, model, { kind: 'onnx', blobRef: stored.ref, size: stored.size });
  }

  add(projectId: string, model: string, artifact: ModelArtifact): ModelVersionInfo {
    const version = this.versions.filter((v) => v.model === model && v.projectId === projectId).length + 1;
    const info: ModelVersionInfo = {
      id: newId('mv'),
      model,
      version,
      ref: `${model}@v${version}`,
      projectId,
      artifact,
      signature: null,
      runId: null,
      datasetVersionIds: [],
    };
    this.versions.push(info);
    return info;
  }

  setAlias(info: ModelVersionInfo, alias: string): void {
    this.aliases.set(`${info.projectId}/${info.model}@${alias}`, info.id);
  }

  async resolve(projectId: string, ref: string): Promise<ModelVersionInfo> {
    const found = this.versions.find(
      (v) =>
        v.projectId === projectId &&
        (v.id === ref || v.ref === ref || this.aliases.get(`${projectId}/${ref}`) === v.id),
    );
    if (!found) throw new PlumbError('not_found', `model version ${ref} does not exist`);
    return found;
  }

  async aliasTarget(projectId: string, model: string, alias: string): Promise<ModelVersionInfo | null> {
    if (!this.versions.some((v) => v.projectId === projectId && v.model === model)) {
      throw new PlumbError('not_found', `model ${model} does not exist`);
    }
    const id = this.aliases.get(`${projectId}/${model}@${alias}`);
    return this.versions.find((v) => v.id === id) ?? null;
  }
}

/**
 * An evaluations service wired as `main.ts` wires it, except that models come from an
 * InTestRegistry the test fills. `close` releases the service's sessions and its engine.
 */
export async function inTestEvals(t: TestPlumb, options: { batchSize?: number } = {}) {
  const blobs = t.plumb.services.blobs as FileBlobStore;
  const engine = await AnalyticsEngine.open({ allowedDirectories: [blobs.root] });
  const registry = new InTestRegistry(blobs);
  const evals = new EvalsService({
    db: t.plumb.db,
    audit: t.plumb.services.audit,
    clock: systemClock,
    models: registry,
    datasets: t.plumb.services.datasets,
    engine,
    blobs,
    jobs: t.plumb.services.jobs,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  return {
    blobs,
    registry,
    evals,
    async close() {
      await evals.close();
      engine.close();
    },
  };
}
