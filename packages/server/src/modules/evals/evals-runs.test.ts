import type { EvalRun } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RequestContext } from '../../core/context.js';
import { encodeOnnxModel } from '../../testing/onnx-writer.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { EvalsService } from './evals.service.js';
import {
  createUngatedModel,
  featuresOf,
  loadWeather,
  registerOnnx,
  setAlias,
  trainWeatherModels,
  type WeatherRow,
} from './evals.test-kit.js';

const ROWS = loadWeather();
const MODELS = trainWeatherModels(ROWS);
const fmt = (x: number) => String(Number(x.toFixed(4)));

const season = (date: string) =>
  [
    'winter',
    'winter',
    'spring',
    'spring',
    'spring',
    'summer',
    'summer',
    'summer',
    'autumn',
    'autumn',
    'autumn',
    'winter',
  ][Number(date.slice(5, 7)) - 1]!;

function csv(rows: WeatherRow[], extra: string[] = []): string {
  const lines = rows.map(
    (r) =>
      `${r.date},${r.precipitation},${r.temp_max},${r.temp_min},${r.wind},${r.weather},${season(r.date)}`,
  );
  return `date,precipitation,temp_max,temp_min,wind,weather,season\n${[...lines, ...extra].join('\n')}\n`;
}

/** y = x · w + b with input `input` [N, k] and output `y` [N, 1]: a regressor for the tests. */
function linearOnnx(input: string, weights: number[], bias: number): Uint8Array {
  return encodeOnnxModel({
    opsets: { '': 17 },
    graph: {
      name: 'linear',
      initializers: [
        { name: 'w', type: 'float', dims: [weights.length, 1], values: weights },
        { name: 'b', type: 'float', dims: [1], values: [bias] },
      ],
      nodes: [
        { opType: 'MatMul', inputs: [input, 'w'], outputs: ['xw'] },
        { opType: 'Add', inputs: ['xw', 'b'], outputs: ['y'] },
      ],
      inputs: [{ name: input, type: { tensor: 'float', shape: ['N', weights.length] } }],
      outputs: [{ name: 'y', type: { tensor: 'float', shape: ['N', 1] } }],
    },
  });
}

/** Least squares of temp_max on [temp_min, precipitation] with an intercept, by the normal equations. */
function fitLinear(rows: WeatherRow[]): { w: number[]; b: number } {
  const x = rows.map((r) => [1, r.temp_min, r.precipitation]);
  const y = rows.map((r) => r.temp_max);
  const a = [0, 1, 2].map((i) => [0, 1, 2].map((j) => x.reduce((s, row) => s + row[i]! * row[j]!, 0)));
  const v = [0, 1, 2].map((i) => x.reduce((s, row, k) => s + row[i]! * y[k]!, 0));
  // Gaussian elimination on the 3x3 system.
  for (let c = 0; c < 3; c++) {
    for (let r = c + 1; r < 3; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < 3; k++) a[r]![k]! -= f * a[c]![k]!;
      v[r]! -= f * v[c]!;
    }
  }
  const beta = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = v[r]!;
    for (let k = r + 1; k < 3; k++) s -= a[r]![k]! * beta[k]!;
    beta[r] = s / a[r]![r]!;
  }
  return { w: [beta[1]!, beta[2]!], b: beta[0]! };
}

describeEachBackend('evaluation runs: regression, red team, fairness, probabilities, failures', (backend) => {
  let t: TestPlumb;
  let ctx: RequestContext;
  let evals: EvalsService;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    ctx = t.adminCtx;
    evals = t.plumb.services.evals;
  });
  afterEach(() => t.dispose());

  async function addCsv(name: string, text: string) {
    const { ref } = await t.plumb.services.blobService.upload(t.adminCtx, Buffer.from(text));
    await t.plumb.services.datasets.addVersion(ctx, name, {
      files: [{ path: `${name}.csv`, ref }],
      message: '',
      parents: [],
      tags: {},
    });
  }

  async function evaluate(yaml: string, candidate: string, baseline: string | null = null): Promise<EvalRun> {
    const { suite } = await evals.createSuite(ctx, yaml);
    const run = await evals.startRun(ctx, { suite: suite.ref, candidate, baseline });
    await evals.execute(run.id);
    return evals.getRun(ctx, run.id);
  }

  it('regression: mae, rmse and r2 per slice, with the model chosen by its input name', async () => {
    await addCsv('weather', csv(ROWS));
    const fit = fitLinear(ROWS);
    await registerOnnx(t, 'temps', linearOnnx('x', fit.w, fit.b));
    await registerOnnx(t, 'temps', linearOnnx('z', fit.w, fit.b));
    const yaml = `
name: temps
datasets: [weather@v1]
label: temp_max
task: regression
features:
  features: [precipitation, temp_min, wind]
  x: [temp_min, precipitation]
slices:
  - { name: summer, column: season, equals: summer }
  - { name: wet, where: "precipitation >= 1" }
metrics: [mae, rmse, r2]
gate:
  thresholds: { mae: { max: 1 }, r2: { min: 0.5, slices: all } }
`;
    const run = await evaluate(yaml, 'temps@v1');
    expect(run.status, run.error ?? '').toBe('succeeded');
    const slices: Record<string, (r: WeatherRow) => boolean> = {
      overall: () => true,
      summer: (r) => season(r.date) === 'summer',
      wet: (r) => r.precipitation >= 1,
    };
    for (const slice of run.result!.slices) {
      const rows = ROWS.filter(slices[slice.name]!);
      const pred = rows.map((r) => r.temp_min * fit.w[0]! + r.precipitation * fit.w[1]! + fit.b);
      const err = rows.map((r, i) => r.temp_max - pred[i]!);
      const mean = rows.reduce((s, r) => s + r.temp_max, 0) / rows.length;
      const mae = err.reduce((s, e) => s + Math.abs(e), 0) / rows.length;
      const rmse = Math.sqrt(err.reduce((s, e) => s + e * e, 0) / rows.length);
      const r2 =
        1 - err.reduce((s, e) => s + e * e, 0) / rows.reduce((s, r) => s + (r.temp_max - mean) ** 2, 0);
      expect(slice.rows).toBe(rows.length);
      // The ONNX model computes in float32; the reference in float64.
      expect(slice.candidate.mae!).toBeCloseTo(mae, 4);
      expect(slice.candidate.rmse!).toBeCloseTo(rmse, 4);
      expect(slice.candidate.r2!).toBeCloseTo(r2, 4);
    }
    const overall = run.result!.slices[0]!.candidate;
    expect(run.decision!.reasons).toContain(`overall: mae ${fmt(overall.mae!)} is above the maximum 1`);

    const wrongInput = await evaluate(yaml, 'temps@v2');
    expect(wrongInput).toMatchObject({
      status: 'failed',
      decision: null,
      error: "temps@v2 takes input z, which the suite's features do not map (they map features, x)",
    });
  });

  it('red-team sets are their own slices with their own thresholds; fairness and probability metrics', async () => {
    await addCsv(
      'weather',
      csv(ROWS, ['2016-01-01,0.0,5.0,1.0,2.0,,winter', '2016-01-02,,5.0,1.0,2.0,sun,winter']),
    );
    const cold = ROWS.filter((r) => r.temp_min <= 0);
    await addCsv('cold-days', csv(cold));
    await createUngatedModel(t, 'weather');
    const base = await registerOnnx(t, 'weather', MODELS.baselineBytes);
    await registerOnnx(t, 'weather', MODELS.candidateBytes);
    await setAlias(t, base, 'champion');

    // Independent: the trainer's predictions and probabilities, counted per season.
    const model = MODELS.candidate;
    const rain = model.classes.indexOf('rain');
    const probs = ROWS.map((r) => model.predictProbabilities(featuresOf(r)));
    const pred = ROWS.map((r) => model.predict(featuresOf(r)));
    const y = ROWS.map((r) => (r.weather === 'rain' ? 1 : 0));
    const selected = new Map<string, [number, number, number, number, number, number]>();
    ROWS.forEach((r, i) => {
      const s = selected.get(season(r.date)) ?? [0, 0, 0, 0, 0, 0];
      const p = pred[i] === 'rain' ? 1 : 0;
      s[0] += p;
      s[1] += 1;
      if (y[i]) {
        s[2] += p;
        s[3] += 1;
      } else {
        s[4] += p;
        s[5] += 1;
      }
      selected.set(season(r.date), s);
    });
    const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
    const groups = [...selected.values()];
    const dp = spread(groups.map((g) => g[0] / g[1]));
    const eo = Math.max(spread(groups.map((g) => g[2] / g[3])), spread(groups.map((g) => g[4] / g[5])));
    let pairs = 0;
    let wins = 0;
    ROWS.forEach((_, i) => {
      if (!y[i]) return;
      ROWS.forEach((__, j) => {
        if (y[j]) return;
        pairs++;
        const pi = probs[i]![rain]!;
        const pj = probs[j]![rain]!;
        wins += pi > pj ? 1 : pi === pj ? 0.5 : 0;
      });
    });
    const auc = wins / pairs;
    const logLoss =
      -ROWS.reduce((s, r, i) => s + Math.log(probs[i]![model.classes.indexOf(r.weather)]!), 0) / ROWS.length;
    const brier = ROWS.reduce((s, _, i) => s + (y[i]! - probs[i]![rain]!) ** 2, 0) / ROWS.length;
    const coldAccuracy = cold.filter((r) => model.predict(featuresOf(r)) === r.weather).length / cold.length;

    const yaml = `
name: fair
datasets: [weather@v1]
label: weather
task: classification
positive_label: rain
features: [precipitation, temp_max, temp_min, wind]
metrics: [accuracy, roc_auc, log_loss, brier_score]
red_team:
  - dataset: cold-days@v1
    thresholds: { accuracy: { min: 0.9 } }
gate:
  fairness:
    - { group_column: season, metric: demographic_parity, max: ${(dp + 0.001).toFixed(4)} }
    - { group_column: season, metric: equalized_odds, max: ${(eo - 0.001).toFixed(4)} }
`;
    const run = await evaluate(yaml, 'weather@v2', 'weather@champion');
    expect(run.status, run.error ?? '').toBe('succeeded');
    const result = run.result!;
    expect(result.skippedRows).toEqual({ nullLabel: 1, badFeature: 1 });
    expect(run.datasets.map((d) => [d.ref, d.role])).toEqual([
      ['weather@v1', 'data'],
      ['cold-days@v1', 'red_team'],
    ]);
    const [overall, redTeam] = result.slices;
    expect(overall).toMatchObject({ name: 'overall', kind: 'overall', rows: ROWS.length });
    expect(redTeam).toMatchObject({ name: 'red_team:cold-days@v1', kind: 'red_team', rows: cold.length });
    expect(overall!.candidate.roc_auc!).toBeCloseTo(auc, 5);
    expect(overall!.candidate.log_loss!).toBeCloseTo(logLoss, 5);
    expect(overall!.candidate.brier_score!).toBeCloseTo(brier, 5);
    expect(redTeam!.candidate.accuracy!).toBeCloseTo(coldAccuracy, 12);

    expect(result.fairness.map((f) => [f.metric, f.groups])).toEqual([
      ['demographic_parity', 4],
      ['equalized_odds', 4],
    ]);
    expect(result.fairness[0]!.candidate!).toBeCloseTo(dp, 12);
    expect(result.fairness[1]!.candidate!).toBeCloseTo(eo, 12);
    expect(result.fairness[0]!.baseline).not.toBeNull();
    expect(run.decision!.reasons).toEqual([
      `slice red_team:cold-days@v1: accuracy ${fmt(coldAccuracy)} is below the minimum 0.9`,
      `fairness: the equalized odds difference across season is ${fmt(eo)}, above the maximum ${fmt(Number((eo - 0.001).toFixed(4)))}`,
    ]);
    expect(run.decision!.checks.find((c) => c.metric === 'demographic_parity')!.status).toBe('pass');
  });

  it('a finished run is left alone when its job is delivered again', async () => {
    await addCsv('weather', csv(ROWS));
    await registerOnnx(t, 'weather', MODELS.candidateBytes);
    const yaml = `
name: again
datasets: [weather@v1]
label: weather
task: classification
features: [precipitation, temp_max, temp_min, wind]
metrics: [accuracy]
`;
    const run = await evaluate(yaml, 'weather@v1');
    const audit = (await t.call('GET', `/api/v1/audit?resource=eval_run:${run.id}`)).json().items.length;
    await evals.execute(run.id);
    expect(await evals.getRun(ctx, run.id)).toEqual(run);
    expect((await t.call('GET', `/api/v1/audit?resource=eval_run:${run.id}`)).json().items).toHaveLength(
      audit,
    );
  });
});
