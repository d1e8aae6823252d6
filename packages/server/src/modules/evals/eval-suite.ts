import { z } from 'zod';
import { PlumbError } from '../../core/errors.js';
import { readYaml } from '../../core/yaml-input.js';
import { METRIC_NAMES, METRICS } from './metric-catalog.js';
import { parseWhere, type SliceCondition } from './slice-expression.js';

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be a string, a number or true/false',
});
const column = z.string({ error: 'must name a column' }).min(1, 'must name a column').max(200);
const datasetRef = z
  .string({ error: 'must be a dataset version such as weather@v3' })
  .regex(/^[^@\s]+(@[^@\s]+)?$/, 'must be a dataset version such as weather@v3');
const metricName = z.string().refine((m) => m in METRICS, {
  error: (issue) => `unknown metric '${String(issue.input)}'; expected one of ${METRIC_NAMES.join(', ')}`,
});
const sliceName = z
  .string({ error: 'must be a name' })
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'use letters, digits, spaces, ".", "_" and "-"')
  .refine((n) => n !== 'overall', "'overall' is the whole data; choose another name");

function boundsOk(value: { min?: number | undefined; max?: number | undefined }, ctx: z.RefinementCtx) {
  if (value.min === undefined && value.max === undefined) {
    ctx.addIssue({ code: 'custom', message: 'give min, max or both' });
  } else if (value.min !== undefined && value.max !== undefined && value.min > value.max) {
    ctx.addIssue({
      code: 'custom',
      path: ['max'],
      message: `max (${value.max}) is below min (${value.min})`,
    });
  }
}

const Bound = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .superRefine(boundsOk);
const Threshold = z
  .strictObject({
    min: z.number().optional(),
    max: z.number().optional(),
    /** Also check these slices (or every suite slice with `all`), not only the overall data. */
    slices: z.union([z.literal('all'), z.array(sliceName).min(1)]).optional(),
  })
  .superRefine(boundsOk);

const Slice = z
  .strictObject({
    name: sliceName,
    column: column.optional(),
    equals: scalar.optional(),
    where: z.string().min(1).optional(),
  })
  .superRefine((s, ctx) => {
    const byColumn = s.column !== undefined || s.equals !== undefined;
    if (byColumn && s.where !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'give either column and equals, or where, not both' });
    } else if (s.where !== undefined) {
      try {
        parseWhere(s.where);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['where'], message: (error as Error).message });
      }
    } else if (s.column === undefined || s.equals === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give column and equals, or where: "<column> <op> <value>"' });
    }
  });

const Fairness = z.strictObject({
  group_column: column,
  metric: z.enum(['demographic_parity', 'equalized_odds']),
  max: z.number().min(0).max(1),
});

const Significance = z.strictObject({
  test: z.enum(['mcnemar', 'paired_bootstrap']),
  alpha: z.number().gt(0).max(0.5).default(0.05),
  /** paired_bootstrap only; default the suite's first metric. McNemar always tests accuracy. */
  metric: metricName.optional(),
  iterations: z.number().int().min(100).max(100_000).default(1000),
  /** The bootstrap's seed, recorded in the result so the run can be repeated exactly. */
  seed: z.number().int().min(0).max(0xffffffff).default(20_240_601),
});

const RedTeam = z.union(
  [datasetRef, z.strictObject({ dataset: datasetRef, thresholds: z.record(metricName, Bound).default({}) })],
  { error: 'must be a dataset version, or { dataset, thresholds }' },
);

const Features = z.union(
  [z.array(column).min(1), z.record(z.string().min(1).max(200), z.array(column).min(1, 'must list columns'))],
  { error: 'must be a list of columns, or a mapping from model input name to a list of columns' },
);

export const EvalSuiteYaml = z.strictObject({
  name: z
    .string({ error: 'is required (a name)' })
    .min(1)
    .max(100)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" and "-"'),
  datasets: z.array(datasetRef).min(1, 'must list at least one dataset version'),
  label: column,
  features: Features,
  task: z.enum(['classification', 'regression']),
  positive_label: scalar.optional(),
  slices: z.array(Slice).default([]),
  metrics: z.array(metricName).min(1, 'must list at least one metric'),
  red_team: z.array(RedTeam).default([]),
  gate: z
    .strictObject({
      thresholds: z.record(metricName, Threshold).default({}),
      max_regression: z.record(metricName, z.number().min(0)).default({}),
      max_slice_regression: z.record(metricName, z.number().min(0)).default({}),
      fairness: z.union([Fairness, z.array(Fairness)]).optional(),
      significance: Significance.optional(),
    })
    .default({ thresholds: {}, max_regression: {}, max_slice_regression: {} }),
});
export type EvalSuiteYaml = z.output<typeof EvalSuiteYaml>;

export interface SliceSpec {
  name: string;
  condition: SliceCondition;
}

export interface ThresholdSpec {
  min?: number | undefined;
  max?: number | undefined;
}

export interface FairnessSpec {
  groupColumn: string;
  metric: 'demographic_parity' | 'equalized_odds';
  max: number;
}

export interface SignificanceSpec {
  test: 'mcnemar' | 'paired_bootstrap';
  alpha: number;
  metric: string;
  iterations: number;
  seed: number;
}

/** A suite as the runner and the gate use it. */
export interface EvalSuiteSpec {
  name: string;
  datasets: string[];
  label: string;
  task: 'classification' | 'regression';
  /** As text: labels are compared as text, so `1`, `"1"` and a class 1 are the same. */
  positiveLabel: string | null;
  /** `input` null: the columns feed a single-input model whatever its input is called. */
  features: { input: string | null; columns: string[] }[];
  slices: SliceSpec[];
  metrics: string[];
  redTeam: { dataset: string; thresholds: Record<string, ThresholdSpec> }[];
  gate: {
    thresholds: Record<string, ThresholdSpec & { slices: string[] }>;
    maxRegression: Record<string, number>;
    maxSliceRegression: Record<string, number>;
    fairness: FairnessSpec[];
    significance: SignificanceSpec | null;
  };
}

/**
 * Parses and checks a suite at the edge. Every problem is reported at once, each with its place
 * (`gate.thresholds.accuracy.min`) and line, so a suite can be fixed in one pass.
 */
export function parseEvalSuite(yamlText: string): { yaml: EvalSuiteYaml; spec: EvalSuiteSpec } {
  const input = readYaml(yamlText);
  const data = input.data;
  const parsed = EvalSuiteYaml.safeParse(data ?? {});
  const problems = parsed.success
    ? crossChecks(parsed.data)
    : parsed.error.issues.map((issue) => ({
        path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
        message: describeIssue(issue),
      }));
  if (problems.length > 0 || !parsed.success) {
    const lines = problems.map((p) => {
      const line = input.lineOf(p.path);
      return `${formatPath(p.path)}: ${p.message}${line === null ? '' : ` (line ${line})`}`;
    });
    throw new PlumbError('invalid_argument', `the suite is invalid: ${lines.join('; ')}`, {
      details: { problems: lines },
    });
  }
  return { yaml: parsed.data, spec: toSpec(parsed.data) };
}

type Problem = { path: (string | number)[]; message: string };

/** What one field's schema cannot see: how the parts of a suite fit together. */
function crossChecks(s: EvalSuiteYaml): Problem[] {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const inMetrics = (metric: string, path: (string | number)[]) => {
    if (!s.metrics.includes(metric))
      add(path, `${metric} is not among the suite's metrics; add it to metrics`);
  };
  s.metrics.forEach((m, i) => {
    const info = METRICS[m]!;
    if (info.task !== s.task) add(['metrics', i], `${m} is a ${info.task} metric but the task is ${s.task}`);
    if (info.binary && s.positive_label === undefined) {
      add(['metrics', i], `${m} scores one class against the rest; set positive_label`);
    }
  });
  if (new Set(s.metrics).size !== s.metrics.length) add(['metrics'], 'names a metric twice');
  if (s.task === 'regression' && s.positive_label !== undefined) {
    add(['positive_label'], 'applies to classification only');
  }

  const featureLists = Array.isArray(s.features) ? [s.features] : Object.values(s.features);
  const featureKeys = Array.isArray(s.features) ? [] : Object.keys(s.features);
  featureLists.forEach((columns, i) => {
    const path = Array.isArray(s.features) ? ['features'] : ['features', featureKeys[i]!];
    if (new Set(columns).size !== columns.length) add(path, 'names a column twice');
    if (columns.includes(s.label)) add(path, `the label ${s.label} must not be a feature`);
  });
  if (featureKeys.length === 0 && !Array.isArray(s.features))
    add(['features'], 'must map at least one input');

  const sliceNames = new Set<string>();
  s.slices.forEach((slice, i) => {
    if (sliceNames.has(slice.name)) add(['slices', i, 'name'], `slice ${slice.name} is defined twice`);
    sliceNames.add(slice.name);
  });
  const datasets = new Set(s.datasets);
  if (datasets.size !== s.datasets.length) add(['datasets'], 'names a dataset version twice');
  const redTeamRefs = new Set<string>();
  s.red_team.forEach((r, i) => {
    const ref = typeof r === 'string' ? r : r.dataset;
    if (datasets.has(ref) || redTeamRefs.has(ref)) add(['red_team', i], `${ref} is already in the suite`);
    redTeamRefs.add(ref);
    if (typeof r !== 'string') {
      for (const m of Object.keys(r.thresholds)) inMetrics(m, ['red_team', i, 'thresholds', m]);
    }
  });

  const gate = s.gate;
  for (const [m, t] of Object.entries(gate.thresholds)) {
    inMetrics(m, ['gate', 'thresholds', m]);
    if (Array.isArray(t.slices)) {
      for (const name of t.slices) {
        if (!sliceNames.has(name)) add(['gate', 'thresholds', m, 'slices'], `no slice is named ${name}`);
      }
    }
  }
  for (const m of Object.keys(gate.max_regression)) inMetrics(m, ['gate', 'max_regression', m]);
  for (const m of Object.keys(gate.max_slice_regression)) {
    inMetrics(m, ['gate', 'max_slice_regression', m]);
    if (s.slices.length === 0 && s.red_team.length === 0) {
      add(['gate', 'max_slice_regression'], 'the suite has no slices or red-team sets to check');
    }
  }
  const fairness =
    gate.fairness === undefined ? [] : Array.isArray(gate.fairness) ? gate.fairness : [gate.fairness];
  if (fairness.length > 0 && (s.task !== 'classification' || s.positive_label === undefined)) {
    add(['gate', 'fairness'], 'needs a classification task and positive_label (the selected class)');
  }
  const sig = gate.significance;
  if (sig) {
    if (sig.test === 'mcnemar' && s.task !== 'classification') {
      add(['gate', 'significance', 'test'], 'mcnemar compares right and wrong answers; use paired_bootstrap');
    }
    if (sig.test === 'mcnemar' && sig.metric !== undefined && sig.metric !== 'accuracy') {
      add(['gate', 'significance', 'metric'], 'mcnemar tests accuracy (right or wrong per row); omit metric');
    }
    if (sig.metric !== undefined) inMetrics(sig.metric, ['gate', 'significance', 'metric']);
    if (sig.test === 'mcnemar' && sig.metric === undefined && s.task === 'classification') {
      inMetrics('accuracy', ['gate', 'significance', 'test']);
    }
  }
  return problems;
}

function toSpec(s: EvalSuiteYaml): EvalSuiteSpec {
  const fairness = s.gate.fairness === undefined ? [] : [s.gate.fairness].flat();
  const sig = s.gate.significance;
  return {
    name: s.name,
    datasets: s.datasets,
    label: s.label,
    task: s.task,
    positiveLabel: s.positive_label === undefined ? null : String(s.positive_label),
    features: Array.isArray(s.features)
      ? [{ input: null, columns: s.features }]
      : Object.entries(s.features).map(([input, columns]) => ({ input, columns })),
    slices: s.slices.map((slice) => ({
      name: slice.name,
      condition:
        slice.where !== undefined
          ? parseWhere(slice.where)
          : { column: slice.column!, op: '=' as const, value: slice.equals! },
    })),
    metrics: s.metrics,
    redTeam: s.red_team.map((r) =>
      typeof r === 'string'
        ? { dataset: r, thresholds: {} }
        : { dataset: r.dataset, thresholds: r.thresholds },
    ),
    gate: {
      thresholds: Object.fromEntries(
        Object.entries(s.gate.thresholds).map(([m, t]) => [
          m,
          {
            min: t.min,
            max: t.max,
            slices: t.slices === 'all' ? s.slices.map((x) => x.name) : (t.slices ?? []),
          },
        ]),
      ),
      maxRegression: s.gate.max_regression,
      maxSliceRegression: s.gate.max_slice_regression,
      fairness: fairness.map((f) => ({ groupColumn: f.group_column, metric: f.metric, max: f.max })),
      significance: sig
        ? {
            test: sig.test,
            alpha: sig.alpha,
            metric: sig.test === 'mcnemar' ? 'accuracy' : (sig.metric ?? s.metrics[0]!),
            iterations: sig.iterations,
            seed: sig.seed,
          }
        : null,
    },
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return `is required (${issue.expected})`;
  }
  return issue.message;
}

function formatPath(path: (string | number)[]): string {
  if (path.length === 0) return 'suite';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
