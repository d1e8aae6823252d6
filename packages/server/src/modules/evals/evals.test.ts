import { readFileSync } from 'node:fs';
import type { EvalRun, ModelVersion } from '@plumb/sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { RequestContext } from '../../core/context.js';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import type { LogisticRegression } from '../../testing/train-logistic.js';
import type { EvalsService } from './evals.service.js';
import {
  createUngatedModel,
  featuresOf,
  loadWeather,
  registerOnnx,
  setAlias,
  trainWeatherModels,
  WEATHER_CSV,
  type WeatherRow,
} from './evals.test-kit.js';
import { EvalGateLookup } from './gate-lookup.js';

const WEATHER = readFileSync(WEATHER_CSV);
const ROWS = loadWeather();
const MODELS = trainWeatherModels(ROWS);

// ---- Independent scoring: the trainer's own TypeScript predictions and plain counting. ----

const fmt = (x: number) => String(Number(x.toFixed(4)));

function predictionsOf(model: LogisticRegression, rows: WeatherRow[]): string[] {
  return rows.map((r) => model.predict(featuresOf(r)));
}

function countAccuracy(truth: string[], pred: string[]): number {
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === pred[i]) right++;
  return right / truth.length;
}

function countF1(truth: string[], pred: string[], positive: string): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (pred[i] === positive && truth[i] === positive) tp++;
    else if (pred[i] === positive) fp++;
    else if (truth[i] === positive) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

function countMacroF1(truth: string[], pred: string[]): number {
  const labels = [...new Set([...truth, ...pred])];
  return labels.reduce((sum, l) => sum + countF1(truth, pred, l), 0) / labels.length;
}

/** Two-sided exact binomial test of b against c with p = 1/2, by summing the pmf in logs. */
function exactMcNemar(b: number, c: number): number {
  const n = b + c;
  const k = Math.min(b, c);
  const logFactorial = (m: number) => {
    let s = 0;
    for (let i = 2; i <= m; i++) s += Math.log(i);
    return s;
  };
  let tail = 0;
  for (let i = 0; i <= k; i++)
    tail += Math.exp(logFactorial(n) - logFactorial(i) - logFactorial(n - i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

const SLICES: Record<string, (r: WeatherRow) => boolean> = {
  overall: () => true,
  rain: (r) => r.weather === 'rain',
  sun: (r) => r.weather === 'sun',
  warm: (r) => r.temp_max > 20,
  cold: (r) => r.temp_min <= 0,
};

function independentScores(model: LogisticRegression) {
  return Object.fromEntries(
    Object.entries(SLICES).map(([name, keep]) => {
      const rows = ROWS.filter(keep);
      const truth = rows.map((r) => r.weather);
      const pred = predictionsOf(model, rows);
      return [
        name,
        {
          rows: rows.length,
          accuracy: countAccuracy(truth, pred),
          f1: countF1(truth, pred, 'rain'),
          f1_macro: countMacroF1(truth, pred),
        },
      ];
    }),
  ) as Record<string, { rows: number; accuracy: number; f1: number; f1_macro: number }>;
}

const SUITE = `
name: weather-gate
datasets: [seattle@v1]
label: weather
task: classification
positive_label: rain
features:
  features: [precipitation, temp_max, temp_min, wind]
slices:
  - { name: rain, column: weather, equals: rain }
  - { name: sun, column: weather, equals: sun }
  - { name: warm, where: "temp_max > 20" }
  - { name: cold, where: "temp_min <= 0" }
metrics: [accuracy, f1, f1_macro]
gate:
  thresholds:
    accuracy: { min: 0.75, slices: [warm, cold] }
  max_regression: { accuracy: 0.01 }
  max_slice_regression: { accuracy: 0.02 }
  significance: { test: mcnemar, alpha: 0.05 }
`;

describeEachBackend('evaluations on seattle-weather with two trained classifiers', (backend) => {
  let t: TestPlumb;
  let ctx: RequestContext;
  let evals: EvalsService;
  let v1: ModelVersion;
  let v2: ModelVersion;

  beforeEach(async () => {
    t = await createTestPlumb(backend);
    ctx = t.adminCtx;
    evals = t.plumb.services.evals;
    await createUngatedModel(t, 'weather');
    v1 = await registerOnnx(t, 'weather', MODELS.baselineBytes);
    v2 = await registerOnnx(t, 'weather', MODELS.candidateBytes);
    await setAlias(t, v1, 'champion');
    const { ref } = await t.plumb.services.blobService.upload(ctx, WEATHER);
    await t.plumb.services.datasets.addVersion(ctx, 'seattle', {
      files: [{ path: 'seattle-weather.csv', ref }],
      message: 'vega seattle-weather',
      parents: [],
      tags: {},
    });
  });
  afterEach(() => t.dispose());

  async function evaluate(yaml: string, candidate: string, baseline: string | null): Promise<EvalRun> {
    const { suite } = await evals.createSuite(ctx, yaml);
    const started = await evals.startRun(ctx, { suite: suite.ref, candidate, baseline });
    expect(started.status).toBe('queued');
    await evals.execute(started.id);
    return evals.getRun(ctx, started.id);
  }

  it('answers "is the new one better?" with metrics and reasons that match independent counting', async () => {
    const run = await evaluate(SUITE, 'weather@v2', 'weather@champion');
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run).toMatchObject({
      suite: { name: 'weather-gate', version: 1 },
      candidate: { versionId: v2.id, ref: 'weather@v2' },
      baseline: { versionId: v1.id, ref: 'weather@v1' },
      baselineRequested: 'weather@champion',
      datasets: [{ ref: 'seattle@v1', role: 'data' }],
      rowsDone: ROWS.length,
      rowsTotal: ROWS.length,
    });
    const result = run.result!;
    expect(result.skippedRows).toEqual({ nullLabel: 0, badFeature: 0 });
    expect(result.batchSize).toBe(4096);

    const cand = independentScores(MODELS.candidate);
    const base = independentScores(MODELS.baseline);
    expect(result.slices.map((s) => s.name)).toEqual(Object.keys(SLICES));
    for (const slice of result.slices) {
      expect(slice.rows, slice.name).toBe(cand[slice.name]!.rows);
      for (const metric of ['accuracy', 'f1', 'f1_macro'] as const) {
        expect(slice.candidate[metric], `${slice.name} ${metric}`).toBeCloseTo(cand[slice.name]![metric], 12);
        expect(slice.baseline![metric], `${slice.name} ${metric} (baseline)`).toBeCloseTo(
          base[slice.name]![metric],
          12,
        );
      }
    }

    // McNemar from the paired right/wrong counts, with the exact p-value summed here.
    const truth = ROWS.map((r) => r.weather);
    const pc = predictionsOf(MODELS.candidate, ROWS);
    const pb = predictionsOf(MODELS.baseline, ROWS);
    let onlyBaseline = 0;
    let onlyCandidate = 0;
    truth.forEach((y, i) => {
      if (pb[i] === y && pc[i] !== y) onlyBaseline++;
      if (pc[i] === y && pb[i] !== y) onlyCandidate++;
    });
    const sig = result.significance!;
    expect(sig.table![0]![1]).toBe(onlyBaseline);
    expect(sig.table![1]![0]).toBe(onlyCandidate);
    expect(sig.pValue!).toBeCloseTo(exactMcNemar(onlyBaseline, onlyCandidate), 12);
    expect(sig.verdict).toBe(onlyCandidate > onlyBaseline ? 'better' : 'worse');

    // The gate's rules, applied here to the independent numbers.
    const expected: string[] = [];
    for (const name of ['overall', 'warm', 'cold']) {
      const a = cand[name]!.accuracy;
      if (a < 0.75)
        expected.push(
          `${name === 'overall' ? 'overall' : `slice ${name}`}: accuracy ${fmt(a)} is below the minimum 0.75`,
        );
    }
    const overallDrop = base.overall!.accuracy - cand.overall!.accuracy;
    if (overallDrop > 0.01) {
      expected.push(
        `overall: accuracy ${fmt(cand.overall!.accuracy)} is ${fmt(overallDrop)} below the baseline's ${fmt(base.overall!.accuracy)} (max regression 0.01)`,
      );
    }
    for (const name of ['rain', 'sun', 'warm', 'cold']) {
      const drop = base[name]!.accuracy - cand[name]!.accuracy;
      if (drop > 0.02) {
        expected.push(
          `slice ${name}: accuracy ${fmt(cand[name]!.accuracy)} is ${fmt(drop)} below the baseline's ${fmt(base[name]!.accuracy)} (max regression 0.02)`,
        );
      }
    }
    // This pair is chosen so both kinds of failure occur: the candidate is better overall
    // (significantly), worse on rainy days, and below the bar on cold days.
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(run.decision!.reasons).toEqual(expected);
    expect(run.decision!.passed).toBe(false);
    expect(run.decision!.checks.filter((c) => c.status === 'pass').map((c) => c.rule)).toContain(
      'significance',
    );

    // The registry's view: the latest decision and the results for the model card.
    const lookup = new EvalGateLookup(t.plumb.db);
    expect(await lookup.latestDecision(v2.id)).toMatchObject({
      evalRunId: run.id,
      suite: 'weather-gate@v1',
      candidateVersionId: v2.id,
      baselineVersionId: v1.id,
      passed: false,
      reasons: expected,
    });
    expect(await lookup.latestDecision(v1.id)).toBeNull();
    const both = await lookup.latestDecisions([v1.id, v2.id]);
    expect([...both.keys()]).toEqual([v2.id]);
    expect(both.get(v2.id)).toEqual(await lookup.latestDecision(v2.id));
    const [summary] = await lookup.evaluationsOf(v2.id);
    expect(Object.keys(summary!.metrics)[0]).toBe('overall');
    expect(summary!.metrics.overall!.accuracy).toBeCloseTo(cand.overall!.accuracy, 12);
    expect(summary!.datasetVersionIds).toEqual([run.datasets[0]!.versionId]);

    // Lineage: the dataset version records the run as a consumer.
    const lineage = await t.plumb.services.datasetAnalysis.lineage(ctx, 'seattle@v1');
    expect(lineage.nodes).toContainEqual(expect.objectContaining({ id: run.id, kind: 'eval_run' }));

    // Every state change is in the audit chain.
    const trail = (await t.call('GET', `/api/v1/audit?resource=eval_run:${run.id}`)).json().items;
    expect(trail.map((r: { action: string }) => r.action)).toEqual([
      'eval_run.finish',
      'eval_run.start',
      'eval_run.create',
    ]);
    const decided = (await t.call('GET', '/api/v1/audit?resource=model:weather@v2')).json().items;
    expect(decided[0]).toMatchObject({
      action: 'eval.gate_decision',
      change: { passed: false, reasons: expected },
    });
    expect((await t.call('POST', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
  });

  it('passes when every rule holds, and fails the reverse comparison on regression and significance', async () => {
    const lenient = SUITE.replace('min: 0.75, slices: [warm, cold]', 'min: 0.7')
      .replace('max_slice_regression: { accuracy: 0.02 }', 'max_slice_regression: { accuracy: 0.05 }')
      .replace('name: weather-gate', 'name: weather-lenient');
    const forward = await evaluate(lenient, 'weather@v2', 'weather@v1');
    expect(forward.decision).toMatchObject({ passed: true, reasons: [] });

    const cand = independentScores(MODELS.baseline).overall!.accuracy;
    const base = independentScores(MODELS.candidate).overall!.accuracy;
    const reverse = await evaluate(lenient, 'weather@v1', 'weather@v2');
    expect(reverse.decision!.passed).toBe(false);
    expect(reverse.decision!.reasons[0]).toBe(
      `overall: accuracy ${fmt(cand)} is ${fmt(base - cand)} below the baseline's ${fmt(base)} (max regression 0.01)`,
    );
    expect(reverse.decision!.reasons.at(-1)).toMatch(
      /^significance: the candidate is significantly worse than the baseline on accuracy \(McNemar p = [0-9.e-]+, alpha 0\.05\)$/,
    );
    expect(reverse.decision!.reasons.filter((r) => r.startsWith('slice sun: accuracy'))).toHaveLength(1);
    expect(reverse.result!.significance!.verdict).toBe('worse');
  });

  it('without a champion there is no baseline: comparisons are skipped, thresholds still apply', async () => {
    const run = await evaluate(SUITE, 'weather@v2', 'weather@nothere');
    expect(run.baseline).toBeNull();
    expect(run.baselineRequested).toBe('weather@nothere');
    expect(run.result!.slices[0]!.baseline).toBeNull();
    const statuses = Object.fromEntries(run.decision!.checks.map((c) => [`${c.rule}:${c.slice}`, c.status]));
    expect(statuses['max_regression:overall']).toBe('skip');
    expect(statuses['max_slice_regression:rain']).toBe('skip');
    expect(statuses['significance:overall']).toBe('skip');
    expect(run.decision!.reasons).toEqual([
      `slice cold: accuracy ${fmt(independentScores(MODELS.candidate).cold!.accuracy)} is below the minimum 0.75`,
    ]);
    expect(run.result!.significance).toMatchObject({
      verdict: 'not_computed',
      note: 'no baseline to compare with',
    });
  });

  it('paired bootstrap: the seed is recorded and the same run gives the same interval', async () => {
    const yaml = SUITE.replace(
      'significance: { test: mcnemar, alpha: 0.05 }',
      'significance: { test: paired_bootstrap, alpha: 0.05, metric: f1_macro, iterations: 300, seed: 12345 }',
    );
    const a = await evaluate(yaml, 'weather@v2', 'weather@v1');
    const b = await evaluate(yaml, 'weather@v2', 'weather@v1');
    const sa = a.result!.significance!;
    expect(sa).toMatchObject({ test: 'paired_bootstrap', metric: 'f1_macro', seed: 12345, iterations: 300 });
    expect(b.result!.significance).toEqual(sa);
    const cand = independentScores(MODELS.candidate).overall!.f1_macro;
    const base = independentScores(MODELS.baseline).overall!.f1_macro;
    expect(sa.delta!).toBeCloseTo(cand - base, 12);
    expect(sa.low!).toBeLessThanOrEqual(sa.delta!);
    expect(sa.high!).toBeGreaterThanOrEqual(sa.delta!);
    expect(sa.verdict).toBe(sa.low! > 0 ? 'better' : sa.high! < 0 ? 'worse' : 'no_significant_difference');
  });
});
