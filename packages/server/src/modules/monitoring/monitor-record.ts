import type { Alert, PerformanceWindow } from '@plumb/sdk';
import type { DatasetSource } from '../datasets/dataset-source.js';
import { BinIndex } from './feature-window.js';
import { type MonitorModel, referenceSide } from './monitor-drift.js';
import type { DriftTest, FeatureReference, FeatureTest, MonitorSpec } from './monitor-spec.js';
import type { MonitorRow, WindowResultRow } from './monitors.repo.js';
import type { WindowKey } from './profiles.repo.js';
import { decodeFeatures } from './result-codec.js';

/** What monitoring takes from other modules. */
export interface MonitoringPorts {
  /** A dataset version by `name@vN` or id: its id, ref, schema and scannable files. */
  dataset(
    projectId: string,
    ref: string,
  ): Promise<{ id: string; ref: string; columns: { name: string; type: string }[]; source: DatasetSource }>;
  /** The model version an endpoint serves most of its traffic with, and its training data. */
  servedVersion(
    projectId: string,
    endpoint: string,
  ): Promise<{ id: string; ref: string; datasetVersionIds: string[] }>;
  /** Ids of the dataset versions a model version's succeeded evaluation runs read, red-team sets aside. */
  evaluationData(projectId: string, versionId: string): Promise<string[]>;
  /** An endpoint's realised and estimated performance per window of [fromMs, toMs). */
  performance(
    projectId: string,
    endpoint: string,
    range: { fromMs: number; toMs: number; windowMs: number },
  ): Promise<{ positiveClass: string | null; series: PerformanceWindow[] }>;
  /** An endpoint's alerts not resolved yet, newest first. */
  openAlerts(projectId: string, endpoint: string): Promise<Alert[]>;
}

export interface CreateMonitorInput {
  endpoint: string;
  reference?: string | undefined;
  windowMs: number;
  features?: string[] | undefined;
  overrides?: Record<string, { test?: DriftTest | undefined; threshold?: number | undefined }> | undefined;
}

export interface Monitor {
  id: string;
  endpoint: string;
  reference: string;
  referenceVersionId: string;
  windowMs: number;
  features: (FeatureTest & { kind: string; referenceCount: number; distinct: number })[];
  datasetShare: number;
  createdAt: string;
  createdBy: string;
}

export interface WindowSignal {
  windowStart: number;
  windowEnd: number;
  shareDrifted: number;
  datasetDrifted: boolean;
  features: Array<{
    feature: string;
    test: string;
    statistic: number;
    threshold: number;
    drifted: boolean;
    verdict: 'drift' | 'no_drift' | 'indeterminate';
  }>;
}

/** A monitor as stored, with its reference ready for tests and its frozen bins. */
export interface Loaded {
  row: MonitorRow;
  model: MonitorModel;
  specs: Map<string, BinIndex>;
}

export function load(row: MonitorRow): Loaded {
  const spec = JSON.parse(row.spec) as MonitorSpec;
  const refs = JSON.parse(row.reference_data) as FeatureReference[];
  const specs = new Map<string, BinIndex>();
  for (const r of refs) if (r.bins) specs.set(r.bins.id, new BinIndex(r.bins));
  return {
    row,
    specs,
    model: {
      tests: spec.features,
      refs: new Map(refs.map((r) => [r.feature, r])),
      sides: new Map(refs.map((r) => [r.feature, referenceSide(r)])),
      datasetShare: spec.datasetShare,
    },
  };
}

export function present(row: MonitorRow, l: Loaded): Monitor {
  return {
    id: row.id,
    endpoint: row.endpoint,
    reference: row.reference,
    referenceVersionId: row.reference_version_id,
    windowMs: row.window_ms,
    features: l.model.tests.map((t) => {
      const ref = l.model.refs.get(t.feature)!;
      return { ...t, kind: ref.kind, referenceCount: ref.count, distinct: ref.distinct };
    }),
    datasetShare: l.model.datasetShare,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export function keyOf(row: MonitorRow): WindowKey {
  return { projectId: row.project_id, endpoint: row.endpoint };
}

export function signalOf(r: WindowResultRow): WindowSignal {
  const features = decodeFeatures(r.features);
  return {
    windowStart: r.window_start,
    windowEnd: r.window_end,
    shareDrifted: r.share_drifted,
    datasetDrifted: r.dataset_drifted === 1,
    features: features.map((f) => ({
      feature: f.feature,
      test: f.test,
      statistic: f.statistic,
      threshold: f.threshold,
      drifted: f.drifted,
      verdict: f.verdict,
    })),
  };
}
