import { readFileSync } from 'node:fs';
import type { DatasetVersion, EvalRun, ModelVersion, ValidationReport } from '@plumb/sdk';
import type { DemoContext } from './demo-context.js';

/**
 * Versions a file as a dataset through the API. Identical bytes answer with the version that
 * already holds them, which is what makes a second run of the demo reuse the first one's data.
 */
export async function addDataset(
  ctx: DemoContext,
  name: string,
  file: string,
  options: { message: string; parents?: string[]; producedByRun?: string; tags?: Record<string, string> },
): Promise<{ version: DatasetVersion; created: boolean }> {
  const blob = await ctx.client.blobs.upload(readFileSync(file));
  return ctx.client.datasets.addVersion(name, {
    files: [{ path: `${name}.csv`, ref: blob.ref }],
    message: options.message,
    parents: options.parents ?? [],
    ...(options.producedByRun ? { producedByRun: options.producedByRun } : {}),
    tags: options.tags ?? {},
    timeColumn: 'time',
    sliceColumn: 'origin',
  });
}

/** The validation every demo dataset must pass before anything trains on it. */
export function flightsSuite(minRows: number, labels: string[] = ['0', '1']): string {
  return `name: flights-quality
expectations:
  - { expect: row_count, min: ${minRows} }
  - { expect: not_null, column: origin }
  - { expect: not_null, column: destination }
  - { expect: in_set, column: delayed, values: [${labels.join(', ')}] }
  - { expect: between, column: distance, min: 1, max: 6000 }
  - { expect: between, column: hour, min: 0, max: 23 }
  - { expect: between, column: weekday, min: 1, max: 7 }
  - { expect: between, column: origin_rate, min: 0, max: 1 }
`;
}

export async function validate(
  ctx: DemoContext,
  ref: string,
  suite: string,
  reference?: string,
): Promise<ValidationReport> {
  return ctx.client.datasets.validate(ref, { suite, ...(reference ? { reference } : {}) });
}

/** One line per failed expectation, with what was observed. */
export function failedLines(report: ValidationReport): string[] {
  return report.results
    .filter((r) => !r.passed)
    .map((r) => `      failed ${r.expect}${r.column ? ` ${r.column}` : ''}: ${r.message}`);
}

export async function register(
  ctx: DemoContext,
  model: string,
  onnxFile: string,
  runId: string,
  description: string,
): Promise<ModelVersion> {
  const blob = await ctx.client.blobs.upload(readFileSync(onnxFile));
  return ctx.client.models.register(model, {
    artifact: { kind: 'onnx', blobRef: blob.ref },
    runId,
    description,
    model: { owner: 'flight-ops', riskClass: 'limited', description: 'departure delay > 15 min' },
  });
}

/** The model version with this description, if an earlier run of the demo registered it. */
export async function findVersion(
  ctx: DemoContext,
  model: string,
  description: string,
): Promise<ModelVersion | null> {
  const exists = await ctx.client.models.get(model).then(
    () => true,
    () => false,
  );
  if (!exists) return null;
  for await (const v of ctx.client.paginate((q) => ctx.client.models.versions(model, q))) {
    if (v.description === description) return v;
  }
  return null;
}

/** The evaluation suite of a gate on `dataset`, with the slices every report shows. */
export function gateSuite(name: string, dataset: string): string {
  return `name: ${name}
datasets: [${dataset}]
label: delayed
task: classification
positive_label: 1
features: [distance, hour, weekday, origin_rate, destination_rate]
slices:
  - { name: evening, where: "hour >= 17" }
  - { name: morning, where: "hour < 10" }
  - { name: long-haul, where: "distance >= 1500" }
  - { name: from ORD, column: origin, equals: ORD }
  - { name: from ATL, column: origin, equals: ATL }
  - { name: weekend, where: "weekday >= 6" }
metrics: [roc_auc, accuracy, brier_score]
gate:
  thresholds: { roc_auc: { min: 0.55 } }
  max_regression: { roc_auc: 0.005 }
  significance: { test: paired_bootstrap, metric: roc_auc, iterations: 200 }
`;
}

/** Stores the suite (identical text reuses its version) and evaluates, waiting for the job. */
export async function evaluate(
  ctx: DemoContext,
  suite: string,
  candidate: string,
  baseline: string | null,
): Promise<EvalRun> {
  const stored = await ctx.client.evals.createSuite(suite);
  const started = await ctx.client.evals.run({ suite: stored.suite.ref, candidate, baseline });
  return ctx.client.evals.waitForRun(started.id, { intervalMs: 200 });
}

/** One line per slice: candidate (and baseline) ROC AUC and accuracy, and the rows. */
export function sliceLines(run: EvalRun): string[] {
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));
  return (run.result?.slices ?? []).map((s) => {
    const base = s.baseline ? `  vs champion ${fmt(s.baseline.roc_auc)} / ${fmt(s.baseline.accuracy)}` : '';
    return `      ${s.name.padEnd(12)} ${String(s.rows).padStart(7)} rows  roc_auc ${fmt(s.candidate.roc_auc)}  accuracy ${fmt(s.candidate.accuracy)}${base}`;
  });
}
