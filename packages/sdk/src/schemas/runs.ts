import { z } from 'zod';
import { Id, type PageParams, PageQuery, Timestamp } from './common.js';

export const RunStatus = z.enum(['running', 'finished', 'failed', 'killed']);
export type RunStatus = z.infer<typeof RunStatus>;

/** The statuses a run can end with; any of them makes the run immutable. */
export const FinalRunStatus = z.enum(['finished', 'failed', 'killed']);
export type FinalRunStatus = z.infer<typeof FinalRunStatus>;

/** Most metric points one request may carry: the batch is one transaction, holding the write lock. */
export const MAX_RUN_METRIC_BATCH = 10_000;

const describeInput = (input: unknown) =>
  typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : String(input);

/** Rejects NaN and ±Infinity too (JSON turns them into null), with the offending value named. */
const FiniteNumber = z.number({
  error: (issue) => `must be a finite number, got ${describeInput(issue.input)}`,
});

export const RunMetricKey = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(250, 'must be at most 250 characters');

export const RunParamValue = z.union([z.string().max(6000), FiniteNumber, z.boolean()]);
export type RunParamValue = z.infer<typeof RunParamValue>;

const ParamKey = z.string().min(1).max(250);
// "=" separates key from value in the `tag` list filter.
const TagKey = z
  .string()
  .min(1)
  .max(250)
  .refine((k) => !k.includes('='), 'must not contain "="');

export const CreateRun = z
  .object({
    name: z.string().min(1).max(200),
    params: z.record(ParamKey, RunParamValue).default({}),
    tags: z.record(TagKey, z.string().max(5000)).default({}),
    /** Free text naming the code that ran, e.g. a git commit. */
    codeVersion: z.string().max(200).nullable().default(null),
    /** Dataset versions the run read: `name@v3` or a `dsv_…` id. */
    inputs: z.array(z.string().min(1).max(300)).max(100).default([]),
  })
  .strict();
export type CreateRun = z.input<typeof CreateRun>;

export const RunMetricPointInput = z
  .object({
    key: RunMetricKey,
    value: FiniteNumber,
    step: z
      .number({ error: (issue) => `must be a non-negative integer, got ${describeInput(issue.input)}` })
      .int('must be a non-negative integer')
      .min(0, 'must be a non-negative integer')
      .max(Number.MAX_SAFE_INTEGER),
    /**
     * Milliseconds since the epoch or an ISO-8601 time; defaults to when the server receives it.
     * Omitted or in milliseconds, 10,000 points fit the default 1 MiB request body.
     */
    time: z.union([z.number().int().min(0).max(8.64e15), Timestamp]).optional(),
  })
  .strict();
export type RunMetricPointInput = z.input<typeof RunMetricPointInput>;

export const LogRunMetrics = z
  .object({ points: z.array(RunMetricPointInput).min(1).max(MAX_RUN_METRIC_BATCH) })
  .strict();
export type LogRunMetrics = z.input<typeof LogRunMetrics>;

export const LoggedRunMetrics = z.object({ runId: Id, accepted: z.number().int() });
export type LoggedRunMetrics = z.infer<typeof LoggedRunMetrics>;

export const RunMetricPoint = z.object({
  key: z.string(),
  value: z.number(),
  step: z.number().int(),
  time: Timestamp,
});
export type RunMetricPoint = z.infer<typeof RunMetricPoint>;

export const RunInput = z.object({ datasetVersionId: Id, ref: z.string() });
export type RunInput = z.infer<typeof RunInput>;

const BlobRef = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lowercase hex digits');

/** A relative, normalized path such as `model/model.onnx`. */
const ArtifactPath = z
  .string()
  .min(1)
  .max(500)
  .refine(
    (p) =>
      !p.startsWith('/') &&
      !p.endsWith('/') &&
      p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'must be a relative path without empty, "." or ".." segments',
  );

export const LogRunArtifact = z.object({ path: ArtifactPath, blobRef: BlobRef }).strict();
export type LogRunArtifact = z.input<typeof LogRunArtifact>;

export const RunArtifact = z.object({
  path: z.string(),
  blobRef: z.string(),
  size: z.number().int(),
  createdAt: Timestamp,
});
export type RunArtifact = z.infer<typeof RunArtifact>;

export const RunSummary = z.object({
  id: Id,
  projectId: Id,
  name: z.string(),
  status: RunStatus,
  codeVersion: z.string().nullable(),
  params: z.record(z.string(), RunParamValue),
  tags: z.record(z.string(), z.string()),
  createdAt: Timestamp,
  createdBy: z.string(),
  finishedAt: Timestamp.nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const Run = RunSummary.extend({
  inputs: z.array(RunInput),
  /** The latest point of each metric: highest step, then latest time, then last logged. */
  metrics: z.array(RunMetricPoint),
  artifacts: z.array(RunArtifact),
});
export type Run = z.infer<typeof Run>;

export const FinishRun = z.object({ status: FinalRunStatus.default('finished') }).strict();
export type FinishRun = z.input<typeof FinishRun>;

export const RunIdParams = z.object({ id: Id }).strict();

export const ListRuns = PageQuery.extend({
  name: z.string().min(1).max(200).optional(),
  status: RunStatus.optional(),
  /** `key=value` for runs with that tag value, or `key` for runs that have the tag. */
  tag: z.string().min(1).max(5300).optional(),
}).strict();
export type ListRuns = PageParams & { name?: string; status?: RunStatus; tag?: string };

export const RunMetricHistoryQuery = z
  .object({
    key: RunMetricKey,
    limit: z.coerce.number().int().min(1).max(MAX_RUN_METRIC_BATCH).default(1000),
    cursor: z.string().max(512).optional(),
  })
  .strict();
export type RunMetricHistoryQuery = PageParams & { key: string };

export const CompareRunsQuery = z
  .object({
    /** Comma-separated run ids, in the order the columns should appear. */
    ids: z
      .string()
      .transform((s) => s.split(',').map((id) => id.trim()))
      .pipe(
        z
          .array(Id)
          .min(2, 'name at least two runs')
          .max(50, 'compare at most 50 runs')
          .refine((ids) => new Set(ids).size === ids.length, 'name each run once'),
      ),
  })
  .strict();

export const RunComparison = z.object({
  runs: z.array(RunSummary),
  /** One row per parameter key; `values` line up with `runs`, null where a run lacks the key. */
  params: z.array(
    z.object({ key: z.string(), values: z.array(RunParamValue.nullable()), differs: z.boolean() }),
  ),
  /** One row per metric key with each run's latest point, null where a run never logged it. */
  metrics: z.array(
    z.object({
      key: z.string(),
      values: z.array(z.object({ value: z.number(), step: z.number().int() }).nullable()),
      differs: z.boolean(),
    }),
  ),
});
export type RunComparison = z.infer<typeof RunComparison>;
