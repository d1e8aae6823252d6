import { z } from 'zod';
import { Id, Name, type PageParams, PageQuery, Timestamp } from './common.js';

export const DatasetFormat = z.enum(['csv', 'jsonl', 'parquet']);
export type DatasetFormat = z.infer<typeof DatasetFormat>;

export const BlobRef = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lowercase hex>');

export const BlobInfo = z.object({
  ref: BlobRef,
  size: z.number().int().nonnegative(),
  existed: z.boolean().optional(),
});
export type BlobInfo = z.infer<typeof BlobInfo>;
export const BlobRefParams = z.object({ ref: BlobRef }).strict();
export const UploadBlobQuery = z
  .object({
    sha256: z
      .string()
      .regex(/^(sha256:)?[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
      .optional(),
  })
  .strict();

export const NestedKind = z.enum(['list', 'struct', 'map', 'union']);
export type NestedKind = z.infer<typeof NestedKind>;

export const ColumnSchema = z.object({
  name: z.string(),
  /** DuckDB's type text, e.g. `BIGINT`, `VARCHAR[]`, `STRUCT(x BIGINT, y VARCHAR)`. */
  type: z.string(),
  /** Set for list, struct, map and union columns; their values are JSON values in rows. */
  nested: NestedKind.optional(),
});
export type ColumnSchema = z.infer<typeof ColumnSchema>;

/**
 * A column's profile as shown to people; the mergeable sketches behind it stay on the server.
 * `distinct` is exact while a column has few distinct values (`distinctExact`), otherwise a
 * HyperLogLog estimate with relative standard error `distinctRelativeError` (about 0.0081).
 * Servers before these two fields always estimated.
 */
export const ColumnSummary = z.looseObject({
  distinct: z.number().optional(),
  distinctExact: z.boolean().optional(),
  distinctRelativeError: z.number().optional(),
});
export type ColumnSummary = z.infer<typeof ColumnSummary>;

export const DatasetFile = z.object({ path: z.string(), ref: BlobRef, size: z.number().int().nonnegative() });
export type DatasetFile = z.infer<typeof DatasetFile>;

export const ProfileStatus = z.enum(['pending', 'ready', 'failed']);

/** The background job profiling a version too large to profile while it is added. */
export const ProfileJob = z.object({
  id: z.string(),
  /** The job's status (`queued`, `running`, `succeeded`…), or `unknown` once its record is gone. */
  state: z.string(),
  /** Rows profiled so far, of the version's rows, as the job last reported. */
  progress: z.object({ rows: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
});
export type ProfileJob = z.infer<typeof ProfileJob>;
export const ValidationStatus = z.enum(['unvalidated', 'passed', 'failed']);

export const DatasetVersion = z.object({
  id: Id,
  dataset: Name,
  version: z.number().int().positive(),
  /** `name@vN` */
  ref: z.string(),
  contentHash: z.string(),
  format: DatasetFormat,
  schema: z.array(ColumnSchema),
  rowCount: z.number().int().nonnegative(),
  byteSize: z.number().int().nonnegative(),
  files: z.array(DatasetFile),
  parents: z.array(z.string()),
  producedByRun: z.string().nullable(),
  message: z.string(),
  tags: z.record(z.string(), z.string()),
  timeColumn: z.string().nullable(),
  sliceColumn: z.string().nullable(),
  sliceCounts: z.record(z.string(), z.number()).nullable(),
  profileStatus: ProfileStatus,
  profileError: z.string().nullable(),
  /** Null when the version was profiled as it was added (and from servers before this field). */
  profileJob: ProfileJob.nullable().default(null),
  profile: z.record(z.string(), ColumnSummary).nullable(),
  validationStatus: ValidationStatus,
  validationReportId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
});
export type DatasetVersion = z.infer<typeof DatasetVersion>;

export const Dataset = z.object({
  id: Id,
  name: Name,
  description: z.string(),
  latestVersion: z.number().int().nullable(),
  versionCount: z.number().int(),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type Dataset = z.infer<typeof Dataset>;

const TagMap = z.record(z.string().min(1).max(100), z.string().max(500));

export const CreateDatasetVersion = z
  .object({
    files: z
      .array(z.object({ path: z.string().min(1).max(500), ref: BlobRef }).strict())
      .min(1, 'a version needs at least one file')
      .max(10_000),
    message: z.string().max(5000).default(''),
    description: z.string().max(2000).optional(),
    parents: z.array(z.string().min(1).max(200)).max(100).default([]),
    producedByRun: z.string().max(100).optional(),
    tags: TagMap.default({}),
    timeColumn: z.string().min(1).max(200).optional(),
    sliceColumn: z.string().min(1).max(200).optional(),
  })
  .strict();
export type CreateDatasetVersion = z.input<typeof CreateDatasetVersion>;

export const CreatedDatasetVersion = z.object({
  version: DatasetVersion,
  /** False when a version with identical content already existed; `version` is that one. */
  created: z.boolean(),
});
export type CreatedDatasetVersion = z.infer<typeof CreatedDatasetVersion>;

export const DatasetParams = z.object({ name: Name }).strict();
/** `v` is a version number, `vN`, or `latest`. */
export const DatasetVersionParams = z
  .object({ name: Name, v: z.string().regex(/^(v?\d+|latest)$/, 'expected a version number, vN or latest') })
  .strict();

export const ListDatasets = PageQuery;
export const ListDatasetVersions = PageQuery;

export const RowsQuery = z
  .object({
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type RowsQuery = { offset?: number; limit?: number };

export const RowsPage = z.object({
  columns: z.array(ColumnSchema),
  rows: z.array(z.array(z.unknown())),
  offset: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});
export type RowsPage = z.infer<typeof RowsPage>;

export const DiffQuery = z.object({ against: z.string().min(1).max(200) }).strict();

export const ColumnShift = z.object({
  column: z.string(),
  kind: z.string(),
  psi: z.number().nullable(),
  jensenShannon: z.number().nullable(),
  ks: z.number().nullable(),
});

export const DatasetDiff = z.object({
  from: z.string(),
  to: z.string(),
  schema: z.object({
    added: z.array(ColumnSchema),
    removed: z.array(ColumnSchema),
    retyped: z.array(z.object({ name: z.string(), from: z.string(), to: z.string() })),
  }),
  rows: z.object({
    from: z.number().int(),
    to: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
    unchanged: z.number().int(),
    comparedColumns: z.array(z.string()),
    sampleAdded: z.array(z.record(z.string(), z.unknown())),
    sampleRemoved: z.array(z.record(z.string(), z.unknown())),
  }),
  /** Per-column distribution shift from the two profiles, largest first. */
  shift: z.array(ColumnShift),
});
export type DatasetDiff = z.infer<typeof DatasetDiff>;

export const ValidateDatasetVersion = z
  .object({
    /** The suite's YAML text. */
    suite: z.string().min(1).max(1_000_000),
    /** Reference version for drift expectations (overrides the suite's `reference`). */
    reference: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ValidateDatasetVersion = z.input<typeof ValidateDatasetVersion>;

export const ValidationReportParams = z.object({ id: Id }).strict();

export const ValidationResult = z.object({
  index: z.number().int(),
  expect: z.string(),
  column: z.string().optional(),
  passed: z.boolean(),
  observed: z.unknown(),
  message: z.string(),
  failingRows: z
    .object({ count: z.number().int(), sample: z.array(z.record(z.string(), z.unknown())) })
    .optional(),
});
export type ValidationResult = z.infer<typeof ValidationResult>;

export const ValidationReport = z.object({
  id: Id,
  version: z.string(),
  suite: z.string(),
  reference: z.string().nullable(),
  passed: z.boolean(),
  results: z.array(ValidationResult),
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type ValidationReport = z.infer<typeof ValidationReport>;

export const LineageNode = z.object({ id: z.string(), kind: z.string(), label: z.string() });
export const LineageEdge = z.object({ from: z.string(), to: z.string(), relation: z.string() });
export const Lineage = z.object({
  root: z.string(),
  nodes: z.array(LineageNode),
  edges: z.array(LineageEdge),
});
export type Lineage = z.infer<typeof Lineage>;

export type ListParams = PageParams;
