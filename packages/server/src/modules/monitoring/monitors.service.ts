import type { AuditService } from '../../core/audit/audit.service.js';
import type { Clock } from '../../core/clock.js';
import { actorOf, type RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import type { Db } from '../../storage/database.js';
import type { JobQueue } from '../../storage/queue/job-queue.js';
import type { BinIndex } from './feature-window.js';
import { type DriftSummary, driftOf } from './monitor-drift.js';
import {
  type CreateMonitorInput,
  keyOf,
  type Loaded,
  load,
  type Monitor,
  type MonitoringPorts,
  present,
  signalOf,
  type WindowSignal,
} from './monitor-record.js';
import { DEFAULT_THRESHOLDS, type FeatureTest, type MonitorSpec } from './monitor-spec.js';
import { type MonitorRow, MonitorsRepo, type WindowResultRow } from './monitors.repo.js';
import { type ProductionValues, productionValues } from './production-values.js';
import { ProfileStore } from './profile-store.js';
import { BASE_WINDOW_MS, type ProfileWriter } from './profile-writer.js';
import { ProfilesRepo, type WindowKey } from './profiles.repo.js';

export type { CreateMonitorInput, Monitor, MonitoringPorts, WindowSignal };

import { enqueueAndWait } from './job-wait.js';
import { buildReference, type ReferenceColumn } from './reference-builder.js';
import { decodeFeatures, encodeFeatures, encodeSeries } from './result-codec.js';
import { defaultTest } from './test-choice.js';

/** Reference columns the outputs are compared with, when the reference has them. */
const OUTPUT_COLUMNS: Record<string, string[]> = {
  'output.label': ['output.label', 'label'],
  'output.score': ['output.score', 'score'],
  'output.confidence': ['output.confidence', 'confidence'],
};
/** Windows computed in one call at most; the evaluation job catches up on the rest. */
const MAX_WINDOWS_PER_CALL = 2_000;
/** Queues of the work a request hands to the job worker and waits for. */
export const WINDOWS_QUEUE = 'monitoring.windows';
export const REFERENCE_QUEUE = 'monitoring.reference';
/** How long a read waits for its missing windows before answering with the stored ones. */
const READ_WAIT_MS = 10_000;
/** How long creation waits for the reference scan before answering `unavailable`. */
const CREATE_WAIT_MS = 120_000;
export const DRIFT_QUEUE = 'monitoring.drift';
export const VALUES_QUEUE = 'monitoring.values';
/**
 * Stored profiles a drift merges on the request's own loop at most; more go to a job. Merging
 * one costs 0.1–1 ms (numeric profiles of 2,000 to 20,000 values, 2-core machine under load,
 * bench/monitoring), so 16 keep the loop's share under about 15 ms; a day of hourly windows of
 * 5 features before its roll-up is already 120.
 */
export const INLINE_PROFILES = 16;
/** How long a read waits for its merge job before answering `unavailable`. */
const DRIFT_WAIT_MS = 60_000;

export interface WindowsJob {
  projectId: string;
  monitorId: string;
  start: number;
  end: number;
}
export interface DriftJob {
  projectId: string;
  monitorId: string;
  from: number;
  to: number;
  modelVersion?: string | undefined;
  exact: boolean;
}
/** A merged drift as a job returns it: features encoded so infinite statistics survive JSON. */
interface DriftResult {
  windows: number;
  features: string;
  shareDrifted: number;
  datasetDrifted: boolean;
}
export interface ValuesJob {
  projectId: string;
  endpoint: string;
  field: string;
  from: number;
  to: number;
}
export interface ReferenceJob {
  projectId: string;
  reference: string;
  columns: ReferenceColumn[];
}

/** Monitors: a reference frozen at creation, drift of any range from stored profiles. */
export class MonitorsService {
  readonly repo: MonitorsRepo;
  readonly profiles: ProfilesRepo;
  readonly store: ProfileStore;
  private readonly loaded = new Map<string, Loaded>();

  constructor(
    private readonly deps: {
      db: Db;
      audit: AuditService;
      clock: Clock;
      engine: AnalyticsEngine;
      writer: ProfileWriter;
      ports: MonitoringPorts;
      jobs: JobQueue;
      /**
       * Jobs run off this event loop (`plumb serve`): reference scans and missing windows are
       * handed to them and awaited; otherwise (tests, in-memory) they run here.
       */
      inJobs: boolean;
      /** A window is closed (its result final) this long after its end: two profile flushes. */
      graceMs: number;
    },
  ) {
    this.repo = new MonitorsRepo(deps.db);
    this.profiles = new ProfilesRepo(deps.db);
    this.store = new ProfileStore(this.profiles);
  }

  /** Loads every monitor's frozen bins into the profile writer (at start and on each flush tick). */
  async refresh(): Promise<void> {
    const rows = await this.repo.list();
    const seen = new Set(rows.map((r) => r.id));
    for (const id of this.loaded.keys()) if (!seen.has(id)) this.loaded.delete(id);
    for (const r of rows) if (!this.loaded.has(r.id)) this.loaded.set(r.id, load(r));
    this.pushBins();
  }

  async create(ctx: RequestContext, input: CreateMonitorInput): Promise<Monitor> {
    const projectId = ctx.principal.projectId;
    if (input.windowMs < BASE_WINDOW_MS || input.windowMs % BASE_WINDOW_MS !== 0) {
      throw new PlumbError(
        'invalid_argument',
        `the window must be a whole number of hours, got ${input.windowMs} ms`,
      );
    }
    let referenceRef = input.reference;
    if (referenceRef === undefined) {
      const served = await this.deps.ports.servedVersion(projectId, input.endpoint);
      const first = served.datasetVersionIds[0];
      if (!first) {
        throw new PlumbError(
          'failed_precondition',
          `${served.ref}, which endpoint ${input.endpoint} serves, records no training data: pass --reference NAME@vN`,
        );
      }
      referenceRef = first;
    }
    const dataset = await this.deps.ports.dataset(projectId, referenceRef);
    const names = new Set(dataset.columns.map((c) => c.name));
    // Every reference column by default; outputs when asked for (`output.score` reads the
    // reference's `output.score` column, else its `score`) or when a column is named so.
    const wanted = input.features ?? dataset.columns.map((c) => c.name);
    const columns: ReferenceColumn[] = wanted.map((feature) => {
      const column = OUTPUT_COLUMNS[feature]?.find((c) => names.has(c)) ?? feature;
      const schema = dataset.columns.find((c) => c.name === column);
      if (!schema) {
        throw new PlumbError('invalid_argument', `feature ${feature} is not a column of ${dataset.ref}`, {
          details: { feature, columns: [...names] },
        });
      }
      return { feature, column, type: schema.type };
    });
    for (const name of Object.keys(input.overrides ?? {})) {
      if (!wanted.includes(name))
        throw new PlumbError('invalid_argument', `override for ${name}, which is not monitored`);
    }
    const refs = await this.reference(projectId, dataset.ref, columns);
    const id = newId('mon');
    const tests: FeatureTest[] = refs.map((ref) => {
      if (ref.bins) ref.bins.id = `${id}:${ref.feature}`;
      const override = input.overrides?.[ref.feature];
      const test = override?.test ?? defaultTest(ref);
      if ((test === 'ks' || test === 'wasserstein') && ref.kind !== 'numeric') {
        throw new PlumbError(
          'invalid_argument',
          `${test} needs a numeric feature; ${ref.feature} is categorical`,
        );
      }
      return {
        feature: ref.feature,
        test,
        threshold: override?.threshold ?? DEFAULT_THRESHOLDS[test],
        chosen: override?.test === undefined,
      };
    });
    const spec: MonitorSpec = { features: tests, datasetShare: 0.5 };
    const row: MonitorRow = {
      id,
      project_id: projectId,
      endpoint: input.endpoint,
      reference: dataset.ref,
      reference_version_id: dataset.id,
      window_ms: input.windowMs,
      spec: JSON.stringify(spec),
      reference_data: JSON.stringify(refs),
      created_at: this.deps.clock.now().toISOString(),
      created_by: actorOf(ctx),
    };
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.repo.insert(trx, row);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId,
        action: 'monitor.create',
        resource: `monitor:${id}`,
        change: {
          endpoint: input.endpoint,
          reference: dataset.ref,
          windowMs: input.windowMs,
          features: tests,
        },
      });
    });
    this.loaded.set(id, load(row));
    this.pushBins();
    return present(row, this.loaded.get(id)!);
  }

  async delete(ctx: RequestContext, id: string): Promise<Monitor> {
    const l = await this.require(ctx.principal.projectId, id);
    await this.deps.db.kysely.transaction().execute(async (trx) => {
      await this.repo.delete(trx, id);
      await this.deps.audit.append(trx, {
        actor: actorOf(ctx),
        projectId: ctx.principal.projectId,
        action: 'monitor.delete',
        resource: `monitor:${id}`,
        change: { endpoint: l.row.endpoint },
      });
    });
    this.loaded.delete(id);
    this.pushBins();
    return present(l.row, l);
  }

  async get(ctx: RequestContext, id: string): Promise<Monitor> {
    const l = await this.require(ctx.principal.projectId, id);
    return present(l.row, l);
  }

  async list(ctx: RequestContext, endpoint?: string): Promise<Monitor[]> {
    return this.listMonitors(ctx.principal.projectId, endpoint);
  }

  /** Every monitor of a project (what the alerts module evaluates). */
  async listMonitors(projectId: string, endpoint?: string): Promise<Monitor[]> {
    const rows = await this.repo.list(projectId, endpoint);
    return rows.map((r) => present(r, this.model(r)));
  }

  /**
   * Drift of [from, to) as one merged current against the reference, from stored profiles (or,
   * with `exact`, from their merged reservoir samples).
   */
  async drift(
    projectId: string,
    id: string,
    range: { from: number; to: number; modelVersion?: string | undefined; exact?: boolean | undefined },
  ): Promise<DriftSummary & { monitor: Monitor; from: number; to: number; windows: number }> {
    const l = await this.require(projectId, id);
    const job: DriftJob = {
      projectId,
      monitorId: id,
      from: range.from,
      to: range.to,
      modelVersion: range.modelVersion,
      exact: range.exact ?? false,
    };
    const large =
      this.deps.inJobs && (await this.store.size(keyOf(l.row), this.rangeOf(l, job))) > INLINE_PROFILES;
    const r = large ? await this.driftInJob(job) : await this.computeDrift(job);
    return {
      monitor: present(l.row, l),
      from: range.from,
      to: range.to,
      windows: r.windows,
      features: decodeFeatures(r.features),
      shareDrifted: r.shareDrifted,
      datasetDrifted: r.datasetDrifted,
    };
  }

  /** The merge and tests of a drift read (the drift job, or inline when small). */
  async computeDrift(job: DriftJob): Promise<DriftResult> {
    const l = await this.require(job.projectId, job.monitorId);
    const key = keyOf(l.row);
    const { features, windows } = await this.store.merged(key, this.rangeOf(l, job), this.specsOf(key));
    const d = driftOf(l.model, features, job.exact);
    return {
      windows,
      features: encodeFeatures(d.features),
      shareDrifted: d.shareDrifted,
      datasetDrifted: d.datasetDrifted,
    };
  }

  private rangeOf(l: Loaded, job: DriftJob) {
    return {
      from: job.from,
      to: job.to,
      features: l.model.tests.map((t) => t.feature),
      ...(job.modelVersion === undefined ? {} : { modelVersion: job.modelVersion }),
    };
  }

  /** A field's production values over a range (coverage), merged in a job when large. */
  async productionValues(
    projectId: string,
    endpoint: string,
    field: string,
    from: number,
    to: number,
  ): Promise<ProductionValues> {
    const job: ValuesJob = { projectId, endpoint, field, from, to };
    const key = { projectId, endpoint };
    if (this.deps.inJobs && (await this.store.size(key, { from, to, features: [field] })) > INLINE_PROFILES)
      return this.inJob(VALUES_QUEUE, job, `values:${projectId}:${endpoint}:${field}:${from}:${to}`);
    return this.computeValues(job);
  }

  /** The merge of productionValues (the values job, or inline when small). */
  computeValues(job: ValuesJob): Promise<ProductionValues> {
    return productionValues(
      this.store,
      { projectId: job.projectId, endpoint: job.endpoint },
      job.field,
      job.from,
      job.to,
    );
  }

  private driftInJob(job: DriftJob): Promise<DriftResult> {
    const key = `drift:${job.monitorId}:${job.from}:${job.to}:${job.modelVersion ?? ''}:${job.exact}`;
    return this.inJob(DRIFT_QUEUE, job, key);
  }

  private async inJob<R>(queue: string, payload: unknown, key: string): Promise<R> {
    const ended = await enqueueAndWait(this.deps.jobs, queue, payload, key, DRIFT_WAIT_MS);
    if (ended.status === 'succeeded') return ended.result as R;
    if (ended.status === 'queued' || ended.status === 'running') {
      throw new PlumbError(
        'unavailable',
        `the merge of this range (job ${ended.id}) is still ${ended.status}; try again when it has finished`,
      );
    }
    throw new PlumbError('internal', `the merge of this range failed: ${ended.lastError ?? ended.status}`);
  }

  /**
   * Per-window verdicts of the monitor's closed windows starting in [from, to): stored ones as
   * they are, missing ones computed from the profiles and stored (at most MAX_WINDOWS_PER_CALL).
   */
  async windowSignals(
    projectId: string,
    monitorId: string,
    from: number,
    to: number,
  ): Promise<WindowSignal[]> {
    return (await this.windowResults(projectId, monitorId, from, to)).map(signalOf);
  }

  /** The stored rows behind windowSignals. */
  async windowResults(
    projectId: string,
    monitorId: string,
    from: number,
    to: number,
  ): Promise<WindowResultRow[]> {
    const r = await this.ensureResults(projectId, monitorId, from, to);
    return r ? this.repo.results(monitorId, r.start, r.end) : [];
  }

  /** What series fold: each window's numbers, not its JSON. */
  async seriesResults(projectId: string, monitorId: string, from: number, to: number) {
    const r = await this.ensureResults(projectId, monitorId, from, to);
    return r ? this.repo.seriesRows(monitorId, r.start, r.end) : [];
  }

  /**
   * Computes the closed windows of the range that have no stored result: in a job the request
   * waits for when jobs run elsewhere (answering with what is stored after READ_WAIT_MS), here
   * otherwise. Null when the range has no closed window.
   */
  private async ensureResults(projectId: string, monitorId: string, from: number, to: number) {
    const l = await this.require(projectId, monitorId);
    const w = l.row.window_ms;
    const start = Math.floor(from / w) * w;
    const closedBefore = Math.floor((this.deps.clock.now().getTime() - this.deps.graceMs) / w) * w;
    const end = Math.min(Math.ceil(to / w) * w, closedBefore);
    if (end <= start) return null;
    const have = await this.repo.resultStarts(monitorId, start, end);
    if (have.size >= (end - start) / w) return { start, end };
    if (this.deps.inJobs) {
      const payload: WindowsJob = { projectId, monitorId, start, end };
      const key = `windows:${monitorId}:${start}:${end}`;
      await enqueueAndWait(this.deps.jobs, WINDOWS_QUEUE, payload, key, READ_WAIT_MS);
    } else await this.computeMissing(l, start, end, have);
    return { start, end };
  }

  /** Computes every missing window of [start, end) (the windows job a read waits for). */
  async computeWindows(job: WindowsJob): Promise<number> {
    const l = await this.require(job.projectId, job.monitorId);
    let computed = 0;
    for (;;) {
      const stored = await this.repo.results(job.monitorId, job.start, job.end);
      const rows = await this.computeMissing(
        l,
        job.start,
        job.end,
        new Set(stored.map((r) => r.window_start)),
      );
      computed += rows.length;
      if (rows.length < MAX_WINDOWS_PER_CALL) return computed;
    }
  }

  /** A reference's columns as frozen for a monitor: a DuckDB scan, in a job when jobs run elsewhere. */
  private async reference(projectId: string, reference: string, columns: ReferenceColumn[]) {
    if (!this.deps.inJobs) return this.buildReference({ projectId, reference, columns });
    const payload: ReferenceJob = { projectId, reference, columns };
    const key = `reference:${projectId}:${reference}:${columns.map((c) => c.feature).join(',')}`;
    const job = await enqueueAndWait(this.deps.jobs, REFERENCE_QUEUE, payload, key, CREATE_WAIT_MS);
    if (job.status === 'succeeded') return job.result as Awaited<ReturnType<typeof buildReference>>;
    if (job.status === 'queued' || job.status === 'running') {
      throw new PlumbError(
        'unavailable',
        `the scan of ${reference} (job ${job.id}) is still ${job.status}; try again when it has finished`,
      );
    }
    throw new PlumbError(
      'failed_precondition',
      `the scan of ${reference} failed: ${job.lastError ?? job.status}`,
    );
  }

  /** The reference scan itself (the reference job). */
  async buildReference(job: ReferenceJob) {
    const dataset = await this.deps.ports.dataset(job.projectId, job.reference);
    return buildReference(this.deps.engine, dataset.source, job.columns);
  }

  /** Catches every monitor up on its closed windows (the evaluation job). */
  async evaluate(): Promise<number> {
    await this.refresh();
    let computed = 0;
    const now = this.deps.clock.now().getTime();
    for (const l of this.loaded.values()) {
      const w = l.row.window_ms;
      const span = await this.profiles.span(keyOf(l.row), BASE_WINDOW_MS);
      if (!span) continue;
      const last = await this.repo.lastResult(l.row.id);
      const first = Math.floor(span.first / w) * w;
      const start = last === null ? first : Math.max(first, last + w);
      const end = Math.floor((now - this.deps.graceMs) / w) * w;
      if (end > start) computed += (await this.computeMissing(l, start, end, new Set())).length;
    }
    return computed;
  }

  /** Rolls closed hours into days and days into 30-day blocks (the roll-up job). */
  rollUp(): Promise<number> {
    return this.store.rollUp(this.deps.clock.now().getTime() - this.deps.graceMs, (key) => this.specsOf(key));
  }

  private async computeMissing(
    l: Loaded,
    start: number,
    end: number,
    have: Set<number>,
  ): Promise<WindowResultRow[]> {
    const w = l.row.window_ms;
    const todo: number[] = [];
    for (let s = start; s < end && todo.length < MAX_WINDOWS_PER_CALL; s += w) if (!have.has(s)) todo.push(s);
    if (todo.length === 0) return [];
    const key = keyOf(l.row);
    const windows = await this.store.perWindow(
      key,
      { from: todo[0]!, to: todo[todo.length - 1]! + w, features: l.model.tests.map((t) => t.feature) },
      w,
      this.specsOf(key),
    );
    const now = this.deps.clock.now().getTime();
    const rows: WindowResultRow[] = [];
    for (const [s, features] of windows) {
      if (have.has(s)) continue;
      const d = driftOf(l.model, features);
      rows.push({
        monitor_id: l.row.id,
        window_start: s,
        window_end: s + w,
        share_drifted: d.shareDrifted,
        dataset_drifted: d.datasetDrifted ? 1 : 0,
        features: encodeFeatures(d.features),
        series: encodeSeries(
          d.features,
          l.model.tests.map((t) => t.feature),
        ),
        computed_at: now,
      });
    }
    await this.repo.saveResults(rows);
    return rows;
  }

  async require(projectId: string, id: string): Promise<Loaded> {
    const cached = this.loaded.get(id);
    if (cached && cached.row.project_id === projectId) return cached;
    const row = await this.repo.find(projectId, id);
    if (!row) throw new PlumbError('not_found', `monitor ${id} does not exist`);
    const l = load(row);
    this.loaded.set(id, l);
    return l;
  }

  private model(row: MonitorRow): Loaded {
    return this.loaded.get(row.id) ?? load(row);
  }

  specsOf(key: WindowKey): Map<string, BinIndex> {
    const out = new Map<string, BinIndex>();
    for (const l of this.loaded.values()) {
      if (l.row.project_id !== key.projectId || l.row.endpoint !== key.endpoint) continue;
      for (const [id, index] of l.specs) out.set(id, index);
    }
    return out;
  }

  private pushBins(): void {
    const byEndpoint = new Map<string, Map<string, BinIndex[]>>();
    for (const l of this.loaded.values()) {
      const k = `${l.row.project_id}\u0000${l.row.endpoint}`;
      let features = byEndpoint.get(k);
      if (!features) {
        features = new Map();
        byEndpoint.set(k, features);
      }
      for (const index of l.specs.values()) {
        const feature = index.spec.id.slice(l.row.id.length + 1);
        features.set(feature, [...(features.get(feature) ?? []), index]);
      }
    }
    for (const [k, features] of byEndpoint) {
      const [projectId, endpoint] = k.split('\u0000') as [string, string];
      this.deps.writer.setBins(projectId, endpoint, features);
    }
  }
}
