import { z } from 'zod';
import { Id, Name, PageQuery, Timestamp } from './common.js';

export const CreateEvalSuite = z
  .object({
    /** The suite's YAML text; its `name` names the suite, and each new text is a new version. */
    yaml: z.string().min(1).max(1_000_000),
  })
  .strict();
export type CreateEvalSuite = z.input<typeof CreateEvalSuite>;

export const EvalSuite = z.object({
  id: Id,
  name: Name,
  version: z.number().int().positive(),
  /** `name@vN` */
  ref: z.string(),
  yaml: z.string(),
  /** The suite as parsed and checked: the YAML's keys, defaults filled in. */
  spec: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type EvalSuite = z.infer<typeof EvalSuite>;

export const CreatedEvalSuite = z.object({
  suite: EvalSuite,
  /** False when the latest version already had this exact text; `suite` is that version. */
  created: z.boolean(),
});
export type CreatedEvalSuite = z.infer<typeof CreatedEvalSuite>;

export const EvalSuiteParams = z.object({ name: Name }).strict();
export const EvalSuiteVersionParams = z
  .object({ name: Name, v: z.string().regex(/^(v?\d+|latest)$/, 'expected a version number, vN or latest') })
  .strict();
export const ListEvalSuites = PageQuery;

export const EvalRunStatus = z.enum(['queued', 'running', 'succeeded', 'failed']);
export type EvalRunStatus = z.infer<typeof EvalRunStatus>;

export const StartEvalRun = z
  .object({
    /** `name`, `name@vN` or `name@latest` of a stored suite. */
    suite: z.string().min(1).max(200),
    /** The model version evaluated: `name@vN`, `name@alias` or `mv_…`. */
    candidate: z.string().min(1).max(300),
    /** What it is compared with, e.g. `name@champion`; an alias that points nowhere means none. */
    baseline: z.string().min(1).max(300).nullable().default(null),
  })
  .strict();
export type StartEvalRun = z.input<typeof StartEvalRun>;

export const ListEvalRuns = PageQuery.extend({
  suite: Name.optional(),
  /** Only runs whose candidate is this model version id. */
  candidate: z.string().max(64).optional(),
  status: EvalRunStatus.optional(),
}).strict();
export type ListEvalRuns = z.input<typeof ListEvalRuns>;

export const EvalRunParams = z.object({ id: Id }).strict();

const MetricValues = z.record(z.string(), z.number().nullable());

export const EvalSliceResult = z.object({
  /** `overall`, a suite slice's name, or `red_team:<ref>`. */
  name: z.string(),
  kind: z.enum(['overall', 'slice', 'red_team']),
  rows: z.number().int(),
  candidate: MetricValues,
  /** Null when there is no baseline. */
  baseline: MetricValues.nullable(),
  /** Why a metric is null (e.g. one class only), by metric name. */
  notes: z.record(z.string(), z.string()),
});
export type EvalSliceResult = z.infer<typeof EvalSliceResult>;

export const FairnessResult = z.object({
  groupColumn: z.string(),
  metric: z.enum(['demographic_parity', 'equalized_odds']),
  max: z.number(),
  groups: z.number().int(),
  candidate: z.number().nullable(),
  baseline: z.number().nullable(),
  note: z.string().nullable(),
});
export type FairnessResult = z.infer<typeof FairnessResult>;

export const SignificanceResult = z.object({
  test: z.enum(['mcnemar', 'paired_bootstrap']),
  metric: z.string(),
  alpha: z.number(),
  /** Candidate minus baseline on the tested metric, over the overall rows. */
  delta: z.number().nullable(),
  /** McNemar: the exact test's p-value and its 2x2 table [[both right, only baseline right], [only candidate right, both wrong]]. */
  pValue: z.number().nullable(),
  table: z.array(z.array(z.number().int())).nullable(),
  /** Paired bootstrap: the (1 - alpha) percentile interval of the delta, the seed and resamples. */
  low: z.number().nullable(),
  high: z.number().nullable(),
  seed: z.number().int().nullable(),
  iterations: z.number().int().nullable(),
  verdict: z.enum(['better', 'worse', 'no_significant_difference', 'not_computed']),
  note: z.string().nullable(),
});
export type SignificanceResult = z.infer<typeof SignificanceResult>;

export const EvalResult = z.object({
  task: z.enum(['classification', 'regression']),
  metrics: z.array(z.string()),
  /** `overall` first, then the suite's slices in order, then one per red-team dataset. */
  slices: z.array(EvalSliceResult),
  /** Rows left out of every slice, by reason (null label, null or non-finite feature). */
  skippedRows: z.object({ nullLabel: z.number().int(), badFeature: z.number().int() }),
  fairness: z.array(FairnessResult),
  significance: SignificanceResult.nullable(),
  batchSize: z.number().int(),
  timings: z.object({ scanMs: z.number(), inferenceMs: z.number(), metricsMs: z.number() }),
});
export type EvalResult = z.infer<typeof EvalResult>;

export const GateCheck = z.object({
  rule: z.enum(['threshold', 'max_regression', 'max_slice_regression', 'fairness', 'significance']),
  /** The slice the check is about (`overall`, a slice name, `red_team:<ref>`), or null. */
  slice: z.string().nullable(),
  metric: z.string().nullable(),
  status: z.enum(['pass', 'fail', 'skip']),
  message: z.string(),
});
export type GateCheck = z.infer<typeof GateCheck>;

export const GateDecision = z.object({
  id: Id,
  evalRunId: Id,
  suite: z.string(),
  candidateVersionId: z.string(),
  baselineVersionId: z.string().nullable(),
  passed: z.boolean(),
  /** One per failed check; empty when passed. */
  reasons: z.array(z.string()),
  checks: z.array(GateCheck),
  decidedAt: Timestamp,
});
export type GateDecision = z.infer<typeof GateDecision>;

export const EvalModelRef = z.object({ versionId: z.string(), ref: z.string() });

export const EvalRun = z.object({
  id: Id,
  projectId: Id,
  suite: z.object({ id: Id, name: z.string(), version: z.number().int(), ref: z.string() }),
  candidate: EvalModelRef,
  baseline: EvalModelRef.nullable(),
  /** The baseline as asked for (e.g. `weather@champion`), even when it resolved to nothing. */
  baselineRequested: z.string().nullable(),
  datasets: z.array(z.object({ versionId: z.string(), ref: z.string(), role: z.enum(['data', 'red_team']) })),
  status: EvalRunStatus,
  rowsDone: z.number().int(),
  rowsTotal: z.number().int(),
  result: EvalResult.nullable(),
  decision: GateDecision.nullable(),
  error: z.string().nullable(),
  createdAt: Timestamp,
  createdBy: z.string(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  durationMs: z.number().int().nullable(),
});
export type EvalRun = z.infer<typeof EvalRun>;

export const EvalRunSummary = EvalRun.omit({ result: true });
export type EvalRunSummary = z.infer<typeof EvalRunSummary>;
