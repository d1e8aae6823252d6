import type { DatasetVersion } from '@plumb/sdk';
import { DEFAULT_HLL_PRECISION } from '@plumb/stats';
import { hllRelativeError } from './dataset-profiler.js';
import type { VersionRow } from './datasets.repo.js';
import type { ProfileJobState } from './datasets.service.js';
import type { DatasetFilesTable } from './datasets.tables.js';

export function toDatasetVersion(
  row: VersionRow,
  files: DatasetFilesTable[],
  parents: { ref: string }[],
  job: ProfileJobState | null = null,
): DatasetVersion {
  return {
    id: row.id,
    dataset: row.dataset_name,
    version: row.version,
    ref: `${row.dataset_name}@v${row.version}`,
    contentHash: row.content_hash,
    format: row.format as DatasetVersion['format'],
    schema: JSON.parse(row.schema),
    rowCount: Number(row.row_count),
    byteSize: Number(row.byte_size),
    files: files.map((f) => ({ path: f.path, ref: f.blob_ref, size: Number(f.size) })),
    parents: parents.map((p) => p.ref),
    producedByRun: row.produced_by_run,
    message: row.message,
    tags: JSON.parse(row.tags),
    timeColumn: row.time_column,
    sliceColumn: row.slice_column,
    sliceCounts: row.slice_counts === null ? null : JSON.parse(row.slice_counts),
    profileStatus: row.profile_status as DatasetVersion['profileStatus'],
    profileError: row.profile_error,
    profileJob: row.profile_job_id === null ? null : profileJob(row, job),
    profile: row.profile_summary === null ? null : labelEstimates(JSON.parse(row.profile_summary)),
    validationStatus: row.validation_status as DatasetVersion['validationStatus'],
    validationReportId: row.validation_report_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/**
 * Summaries stored before exact distinct counts carry a HyperLogLog estimate at the default
 * precision: say so, as newer ones do.
 */
function labelEstimates(summary: Record<string, Record<string, unknown>>): DatasetVersion['profile'] {
  for (const column of Object.values(summary)) {
    if (column.distinctExact === undefined) {
      column.distinctExact = false;
      column.distinctRelativeError = hllRelativeError(DEFAULT_HLL_PRECISION);
    }
  }
  return summary;
}

/** The job's state, and rows profiled of the version's rows as the job last reported them. */
function profileJob(row: VersionRow, job: ProfileJobState | null): DatasetVersion['profileJob'] {
  const total = Number(row.row_count);
  const reported = (job?.progress as { rows?: unknown } | null)?.rows;
  const rows =
    row.profile_status === 'ready' ? total : typeof reported === 'number' ? Math.min(reported, total) : 0;
  return { id: row.profile_job_id!, state: job?.status ?? 'unknown', progress: { rows, total } };
}
