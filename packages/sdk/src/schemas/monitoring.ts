import { z } from 'zod';
import { Alert } from './alerts.js';
import { Id, Timestamp } from './common.js';
import { PerformanceWindow } from './performance.js';

export const DriftTest = z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi']);
export type DriftTest = z.infer<typeof DriftTest>;
export const DriftVerdict = z.enum(['drift', 'no_drift', 'indeterminate']);
export type DriftVerdict = z.infer<typeof DriftVerdict>;

const HOUR_MS = 3_600_000;
const UNITS: Record<string, number> = { h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS };

/** `1h`, `6h`, `1d`, `1w`: a whole number of hours, at most 30 days. */
export const MonitorWindow = z
  .string()
  .regex(/^[1-9][0-9]{0,3}[hdw]$/, 'must be a number of hours, days or weeks, as 1h, 6h, 1d, 1w')
  .transform((s) => Number(s.slice(0, -1)) * UNITS[s.slice(-1)]!)
  .refine((ms) => ms <= 30 * 24 * HOUR_MS, 'must be at most 30 days');

export const FeatureOverride = z
  .object({ test: DriftTest.optional(), threshold: z.number().min(0).max(1e6).optional() })
  .strict();

export const CreateMonitor = z
  .object({
    endpoint: z.string().min(1).max(200),
    /** `name@vN` of a dataset version; default: the training data of the version the endpoint serves. */
    reference: z.string().min(1).max(300).optional(),
    window: MonitorWindow.default(HOUR_MS),
    /** Input fields (and `output.label`, `output.score`, `output.confidence`); default: every reference column. */
    features: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
    overrides: z.record(z.string(), FeatureOverride).optional(),
  })
  .strict();
export type CreateMonitor = z.input<typeof CreateMonitor>;

export const MonitorFeature = z.object({
  feature: z.string(),
  test: DriftTest,
  threshold: z.number(),
  /** Picked by the defaults (Evidently's), not overridden. */
  chosen: z.boolean(),
  kind: z.string(),
  referenceCount: z.number().int(),
  distinct: z.number().int(),
});

export const Monitor = z.object({
  id: Id,
  endpoint: z.string(),
  reference: z.string(),
  referenceVersionId: z.string(),
  windowMs: z.number().int(),
  features: z.array(MonitorFeature),
  datasetShare: z.number(),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type Monitor = z.infer<typeof Monitor>;
export const MonitorList = z.object({ items: z.array(Monitor) });
export type MonitorList = z.infer<typeof MonitorList>;

/** JSON has no Infinity: an infinite distance comes back as null. */
const Stat = z.number().nullable();

export const FeatureDrift = z.object({
  feature: z.string(),
  test: DriftTest,
  /** The p-value (ks, chisquare, z) or the distance (wasserstein, jensenshannon, psi). */
  statistic: Stat,
  threshold: z.number(),
  drifted: z.boolean(),
  verdict: DriftVerdict,
  /** The exact statistic lies in [low, high], from the sketches' error bounds. */
  low: Stat,
  high: Stat,
  exact: z.boolean(),
  count: z.number().int(),
  nullFraction: z.number(),
  referenceCount: z.number().int(),
});
export type FeatureDrift = z.infer<typeof FeatureDrift>;

export const DriftQuery = z
  .object({
    from: Timestamp,
    to: Timestamp,
    /** Only events of this model version (`name@vN`). */
    version: z.string().min(1).max(300).optional(),
    /** `exact` tests the merged per-window reservoir samples instead, to check the estimates. */
    mode: z.enum(['profile', 'exact']).default('profile'),
  })
  .strict();
export type DriftQuery = z.input<typeof DriftQuery>;

export const DriftReport = z.object({
  monitorId: Id,
  endpoint: z.string(),
  reference: z.string(),
  from: Timestamp,
  to: Timestamp,
  mode: z.enum(['profile', 'exact']),
  /** Stored window profiles merged. */
  windows: z.number().int(),
  features: z.array(FeatureDrift),
  shareDrifted: z.number(),
  datasetDrifted: z.boolean(),
});
export type DriftReport = z.infer<typeof DriftReport>;

export const SeriesQuery = z
  .object({
    from: Timestamp,
    to: Timestamp,
    /** Buckets wanted at most; windows are grouped so that there are no more. */
    buckets: z.coerce.number().int().min(1).max(5000).default(500),
  })
  .strict();
export type SeriesQuery = z.input<typeof SeriesQuery>;

const Summary = z.object({ min: Stat, max: Stat, last: Stat });
export const SeriesBucket = z.object({
  start: Timestamp,
  windows: z.number().int(),
  shareDrifted: Summary,
  datasetDrifted: z.number().int(),
  features: z.record(
    z.string(),
    Summary.extend({ drifted: z.number().int(), indeterminate: z.number().int() }),
  ),
});
export const DriftSeries = z.object({
  monitorId: Id,
  windowMs: z.number().int(),
  bucketMs: z.number().int(),
  buckets: z.array(SeriesBucket),
});
export type DriftSeries = z.infer<typeof DriftSeries>;

export const StatusQuery = z.object({ from: Timestamp.optional(), to: Timestamp.optional() }).strict();
export type StatusQuery = z.input<typeof StatusQuery>;
export const MonitorStatus = z.object({
  endpoint: z.string(),
  from: Timestamp,
  to: Timestamp,
  monitors: z.array(DriftReport.extend({ skew: z.array(z.lazy(() => VersionSkew)) })),
  /** The endpoint's realised and estimated performance per window of the range, oldest first. */
  performance: z.object({
    /** The trend's window: the monitors' own, longer when the range would hold more than 48. */
    window: z.string(),
    positiveClass: z.string().nullable(),
    series: z.array(PerformanceWindow),
  }),
  /** The endpoint's alerts not resolved yet (open or acknowledged), newest first. */
  alerts: z.array(Alert),
});
export type MonitorStatus = z.infer<typeof MonitorStatus>;

/** A model version's first window in service against the reference: skew, not drift, when it fails. */
export const VersionSkew = z.object({
  modelVersion: z.string(),
  windowStart: Timestamp,
  skewed: z.array(z.string()),
  features: z.array(FeatureDrift),
});
export type VersionSkew = z.infer<typeof VersionSkew>;

export const CoverageQuery = z
  .object({ field: z.string().min(1).max(200), from: Timestamp.optional(), to: Timestamp.optional() })
  .strict();
export type CoverageQuery = z.input<typeof CoverageQuery>;
export const Coverage = z.object({
  endpoint: z.string(),
  field: z.string(),
  /** The dataset versions the served version was trained on. */
  training: z.array(z.string()),
  /** The dataset versions its succeeded evaluation runs read (red-team sets left out). */
  evaluation: z.array(z.string()),
  productionCount: z.number().int(),
  rows: z.array(
    z.object({
      value: z.union([z.string(), z.number(), z.boolean()]),
      productionShare: z.number(),
      trainingShare: z.number(),
      /** Null when no evaluation data holds the field. */
      evaluationShare: z.number().nullable(),
      /** Production share minus training share; rows are sorted by its size. */
      gap: z.number(),
      /** Production share minus evaluation share; null without evaluation data. */
      evaluationGap: z.number().nullable(),
      /** Production sees it; training never did. */
      unseenInTraining: z.boolean(),
    }),
  ),
});
export type Coverage = z.infer<typeof Coverage>;
