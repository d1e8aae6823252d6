import type { EndpointPerformance, InferenceEvent, PerformanceQuery, PerformanceWindow } from '@plumb/sdk';
import { fitCalibrator, type IsotonicRegression } from '@plumb/stats';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import type { Db } from '../../storage/database.js';
import type { JobQueue } from '../../storage/queue/job-queue.js';
import { enqueueAndWait } from '../../storage/queue/job-wait.js';
import type { PerformanceEvents, ProjectDirectory } from './performance.ports.js';
import {
  type OutcomeFilter,
  type OutcomeRow,
  PerformanceRepo,
  type ReferenceRow,
} from './performance.repo.js';
import type { PerformanceOutcomesTable, PerformanceTrafficTable } from './performance.tables.js';
import {
  DAY_MS,
  mergeHours,
  planDays,
  readDays,
  rollUpDays,
  type ServedTraffic,
  windowKey,
} from './traffic-days.js';
import { type ScoreCounts, TRAFFIC_WINDOW_MS, TrafficFold } from './traffic-fold.js';
import { estimatedMetrics, positiveClassOf, realisedMetrics, trafficFigures } from './window-metrics.js';

/** Most windows one answer may hold: a year of hours. */
export const MAX_WINDOWS = 8_784;
/** Inputs and tags kept per outcome for segments. */
const MAX_SEGMENT_FIELDS = 64;
const MISSING_SEGMENT = '(none)';
/** Events a read folds at most; the schedule folds the rest. */
const FOLD_ON_READ_MAX = 20_000;

/** The queue (and schedule) of the job that folds new inference events into traffic windows. */
export const FOLD_QUEUE = 'performance.fold';
/** The queue of a large read's merge, which the read waits for. */
export const SERIES_QUEUE = 'performance.series';
/**
 * The cost of a read (see readCost) done on the loop answering HTTP at most; costlier reads go to
 * a job. bench/performance on the 2-core machine (load 1.5–4.5): an outcome read costs 2–3 µs, a
 * stored traffic window merged 8–9 µs; 10,000 (about 30 ms there) keep a year of daily windows
 * of an hourly-labelled endpoint inline once its days are rolled up, and send the year before its
 * roll-up (35,000) or any read over 175,000 labelled predictions to the job.
 */
export const INLINE_COST = 10_000;
/** What a traffic window costs to read and merge, in outcome reads. */
const WINDOW_COST = 3;
/** How long a read waits for its merge job before answering `unavailable`. */
export const SERIES_WAIT_MS = 60_000;
/** Fitted calibrations kept in memory, each checked against its inputs before use. */
const CALIBRATIONS_KEPT = 64;

export interface SeriesJob {
  projectId: string;
  endpoint: string;
  options: SeriesOptions;
}
type SeriesAnswer = Omit<EndpointPerformance, 'window' | 'stale'>;

/** A fold job's payload: one project (a read waiting for it), or every project (the schedule). */
export interface FoldJob {
  projectId?: string;
}

/**
 * How a read brings traffic figures up to date before answering: it folds here, at most
 * FOLD_ON_READ_MAX events; or, where the event loop answering HTTP must not do that work (jobs
 * run in other threads or processes), it enqueues the project's fold job and waits for it up to
 * `waitMs`. Either way the answer says when its traffic figures may lag.
 */
export type ReadFolding =
  | { inline: true }
  | {
      jobs: JobQueue;
      waitMs: number;
      /** Reads costing more than this (default INLINE_COST) are merged in SERIES_QUEUE's job. */
      inlineCost?: number;
      /** How long such a read waits for its job (default SERIES_WAIT_MS) before `unavailable`. */
      seriesWaitMs?: number;
    };

export interface SeriesOptions {
  fromMs: number;
  toMs: number;
  windowMs: number;
  version?: string | undefined;
  segment?: string | undefined;
  positiveClass?: string | undefined;
  referenceFromMs?: number | undefined;
  referenceToMs?: number | undefined;
}

/** `1h`, `6h`, `1d` in milliseconds. */
export function windowMs(text: string): number {
  const m = /^([1-9][0-9]{0,3})([hd])$/.exec(text);
  if (!m)
    throw new PlumbError('invalid_argument', `window ${JSON.stringify(text)} is not whole hours or days`);
  return Number(m[1]) * (m[2] === 'h' ? TRAFFIC_WINDOW_MS : DAY_MS);
}

/**
 * Performance of endpoints per window: realised from feedback (recorded as it arrives),
 * estimated before feedback with CBPE, and traffic figures folded from the inference log.
 */
export class PerformanceService {
  readonly repo: PerformanceRepo;
  readonly fold: TrafficFold;
  private readonly calibrations = new Map<
    string,
    { scores: Float64Array; truth: Uint8Array; fitted: IsotonicRegression }
  >();

  constructor(
    db: Db,
    private readonly clock: Clock,
    events: PerformanceEvents,
    private readonly projects: ProjectDirectory,
    private readonly folding: ReadFolding = { inline: true },
  ) {
    this.repo = new PerformanceRepo(db);
    this.fold = new TrafficFold(db, this.repo, events);
    events.onFeedback(({ projectId, events: labelled }) => this.recordOutcomes(projectId, labelled));
  }

  /** Keeps each labelled prediction of an endpoint with its ground truth. */
  async recordOutcomes(projectId: string, events: InferenceEvent[]): Promise<void> {
    const now = this.clock.now().getTime();
    const rows: PerformanceOutcomesTable[] = [];
    for (const e of events) {
      if (e.endpoint === null || e.feedback === null) continue;
      rows.push({
        prediction_id: e.id,
        project_id: projectId,
        endpoint: e.endpoint,
        model_version: e.modelVersion ?? '',
        time: Date.parse(e.time),
        predicted_label: e.label,
        score: e.score,
        actual_label: e.feedback.label,
        actual_value: e.feedback.value,
        segments: JSON.stringify(segmentsOf(e)),
        received_at: now,
      });
    }
    await this.repo.upsertOutcomes(rows);
  }

  /** The handler of FOLD_QUEUE: folds one project's new traffic, or every project's (the schedule). */
  async foldJob(payload: FoldJob | null): Promise<{ events: number }> {
    if (payload?.projectId !== undefined)
      return { events: await this.fold.catchUp(payload.projectId, Number.POSITIVE_INFINITY) };
    return this.foldAll();
  }

  /** Folds every project's new traffic and rolls its whole days up: the scheduled job. */
  async foldAll(): Promise<{ events: number }> {
    let events = 0;
    for (const id of await this.projects.projectIds()) events += await this.foldProject(id);
    return { events };
  }

  /** Folds the project's pending traffic as `folding` says; null when done, else why figures may lag. */
  private async foldPending(projectId: string): Promise<string | null> {
    if ('inline' in this.folding) {
      const read = await this.fold.catchUp(projectId, FOLD_ON_READ_MAX);
      return read < FOLD_ON_READ_MAX
        ? null
        : `traffic figures may miss recent events: more than ${FOLD_ON_READ_MAX} were waiting to be folded, and the minute job folds the rest`;
    }
    // Nothing past the fold position: every event committed before this read is folded already.
    if (!(await this.fold.hasPending(projectId))) return null;
    // Readers at once share one queued job. One already running when this read arrived may have
    // passed the newest events; those are folded by the next read or the minute schedule.
    const { jobs, waitMs } = this.folding;
    const job = await enqueueAndWait<FoldJob>(jobs, FOLD_QUEUE, { projectId }, `fold:${projectId}`, waitMs);
    if (job.status === 'succeeded') return null;
    if (job.status === 'queued' || job.status === 'running') {
      return `traffic figures may miss recent events: the fold job ${job.id} is still ${job.status} after ${waitMs / 1000} s`;
    }
    return `traffic figures may miss recent events: the fold job ${job.id} ${job.status === 'dead' ? 'failed' : job.status}${job.lastError ? `: ${job.lastError}` : ''}`;
  }

  async endpointPerformance(
    ctx: RequestContext,
    endpoint: string,
    query: z.output<typeof PerformanceQuery>,
  ): Promise<EndpointPerformance> {
    const toMs = query.to === undefined ? this.clock.now().getTime() : Date.parse(query.to);
    const fromMs = query.from === undefined ? toMs - DAY_MS : Date.parse(query.from);
    return this.series(ctx.principal.projectId, endpoint, {
      fromMs,
      toMs,
      windowMs: windowMs(query.window),
      version: query.version,
      segment: query.segment,
      positiveClass: query.positiveClass,
      referenceFromMs: query.referenceFrom === undefined ? undefined : Date.parse(query.referenceFrom),
      referenceToMs: query.referenceTo === undefined ? undefined : Date.parse(query.referenceTo),
    }).then((s) => ({ ...s, window: query.window }));
  }

  /** Windows aligned to multiples of `windowMs` since the epoch (UTC), those with data only. */
  async series(
    projectId: string,
    endpoint: string,
    o: SeriesOptions,
  ): Promise<Omit<EndpointPerformance, 'window'>> {
    if (!(o.toMs > o.fromMs)) throw new PlumbError('invalid_argument', 'to must be after from');
    if (o.windowMs % TRAFFIC_WINDOW_MS !== 0)
      throw new PlumbError('invalid_argument', 'windows are whole hours');
    const start = Math.floor(o.fromMs / o.windowMs) * o.windowMs;
    if ((o.toMs - start) / o.windowMs > MAX_WINDOWS) {
      throw new PlumbError(
        'invalid_argument',
        `at most ${MAX_WINDOWS} windows per answer; choose a longer window`,
      );
    }
    const stale = await this.foldPending(projectId);
    if (
      'jobs' in this.folding &&
      (await this.readCost(projectId, endpoint, o)) > (this.folding.inlineCost ?? INLINE_COST)
    ) {
      const { jobs, seriesWaitMs } = this.folding;
      return {
        ...(await this.seriesInJob(jobs, seriesWaitMs ?? SERIES_WAIT_MS, {
          projectId,
          endpoint,
          options: o,
        })),
        stale,
      };
    }
    return { ...(await this.computeSeries(projectId, endpoint, o)), stale };
  }

  /** The handler of SERIES_QUEUE: a large read's merge, off the loop that answers HTTP. */
  seriesJob(job: SeriesJob): Promise<SeriesAnswer> {
    return this.computeSeries(job.projectId, job.endpoint, job.options);
  }

  /** Folds the project's new traffic, then rolls its whole days up: the scheduled job's step. */
  private async foldProject(projectId: string): Promise<number> {
    const events = await this.fold.catchUp(projectId, Number.POSITIVE_INFINITY);
    await rollUpDays(this.repo, projectId, this.clock.now().getTime());
    return events;
  }

  /**
   * What a read would read and merge, in outcome reads: its outcomes and reference, and its
   * traffic windows (hourly, and day roll-ups that still match their hours) at WINDOW_COST each.
   */
  async readCost(projectId: string, endpoint: string, o: SeriesOptions): Promise<number> {
    const start = Math.floor(o.fromMs / o.windowMs) * o.windowMs;
    const filter = { projectId, endpoint, fromMs: start, toMs: o.toMs, modelVersion: o.version };
    const outcomes = hasReference(o)
      ? (await this.repo.countOutcomes(filter)) +
        (await this.repo.countOutcomes({
          ...filter,
          fromMs: o.referenceFromMs ?? 0,
          toMs: o.referenceToMs ?? o.toMs,
        }))
      : await this.repo.countOutcomes({ ...filter, fromMs: 0 });
    const windows =
      o.windowMs === DAY_MS
        ? await planDays(this.repo, filter).then((plan) => plan.hours + plan.rolled.length)
        : (await this.repo.dayExtents(filter)).reduce((n, e) => n + e.hours, 0);
    return outcomes + WINDOW_COST * windows;
  }

  private async seriesInJob(jobs: JobQueue, waitMs: number, payload: SeriesJob): Promise<SeriesAnswer> {
    const { projectId, endpoint, options: o } = payload;
    const key = `series:${projectId}:${endpoint}:${JSON.stringify([o.fromMs, o.toMs, o.windowMs, o.version, o.segment, o.positiveClass, o.referenceFromMs, o.referenceToMs])}`;
    const ended = await enqueueAndWait(jobs, SERIES_QUEUE, payload, key, waitMs);
    if (ended.status === 'succeeded') return ended.result as SeriesAnswer;
    if (ended.status === 'queued' || ended.status === 'running') {
      throw new PlumbError(
        'unavailable',
        `the performance of this range (job ${ended.id}) is still ${ended.status}; try again when it has finished`,
      );
    }
    throw new PlumbError(
      'internal',
      `the performance of this range failed: ${ended.lastError ?? ended.status}`,
    );
  }

  /**
   * Traffic of the read merged per window: 1d windows from day roll-ups where they match their
   * hours, storing those of the whole past days it had to merge.
   */
  private async servedTraffic(filter: OutcomeFilter, windowMs: number): Promise<ServedTraffic> {
    if (windowMs === DAY_MS) {
      const plan = await planDays(this.repo, filter);
      return readDays(this.repo, filter, plan, this.clock.now().getTime());
    }
    return mergeHours(await this.repo.traffic(filter), windowMs);
  }

  /** The fitted calibration of a version's labelled reference, refitted only when those inputs changed. */
  private calibrator(key: string, labelled: readonly ReferenceRow[], positive: string): IsotonicRegression {
    const hit = this.calibrations.get(key);
    if (hit && sameCalibrationInputs(hit, labelled, positive)) return hit.fitted;
    const scores = Float64Array.from(labelled, (r) => r.score!);
    const truth = Uint8Array.from(labelled, (r) => (r.actual_label === positive ? 1 : 0));
    const fitted = fitCalibrator(scores, truth);
    this.calibrations.delete(key);
    this.calibrations.set(key, { scores, truth, fitted });
    if (this.calibrations.size > CALIBRATIONS_KEPT) {
      const [oldest] = this.calibrations.keys();
      this.calibrations.delete(oldest!);
    }
    return fitted;
  }

  private async computeSeries(projectId: string, endpoint: string, o: SeriesOptions): Promise<SeriesAnswer> {
    const start = Math.floor(o.fromMs / o.windowMs) * o.windowMs;
    const filter = { projectId, endpoint, fromMs: start, toMs: o.toMs, modelVersion: o.version };
    const withSegments = o.segment !== undefined;
    // The default reference is everything labelled before `to`: what precedes the range, then the
    // range's own outcomes, in time order as one read of [0, to) gives them.
    const [reference, outcomes, served] = await Promise.all([
      this.repo.referenceOutcomes(
        hasReference(o)
          ? { ...filter, fromMs: o.referenceFromMs ?? 0, toMs: o.referenceToMs ?? o.toMs }
          : { ...filter, fromMs: 0, toMs: start },
      ),
      this.repo.outcomes(filter, withSegments),
      this.servedTraffic(filter, o.windowMs),
    ]);
    if (!hasReference(o)) for (const r of outcomes) reference.push(r);

    const positive = o.positiveClass ?? positiveClassOf([...reference, ...outcomes], served.counts);
    const calibrators = new Map<string, IsotonicRegression | null>();
    const calibration: EndpointPerformance['calibration'] = [];
    for (const version of served.versions) {
      const labelled =
        positive === null ? [] : reference.filter((r) => r.model_version === version && isBinaryLabelled(r));
      calibrators.set(
        version,
        labelled.length === 0 || positive === null
          ? null
          : this.calibrator(JSON.stringify([projectId, endpoint, version, positive]), labelled, positive),
      );
      calibration.push({ modelVersion: version || null, labelled: labelled.length });
    }

    const windowOf = (t: number) => Math.floor(t / o.windowMs) * o.windowMs;
    const groups = new Map<
      string,
      { version: string; window: number; segment: string | null; rows: OutcomeRow[] }
    >();
    const groupOf = (version: string, window: number, segment: string | null) => {
      const key = windowKey(window, version, segment);
      let g = groups.get(key);
      if (!g) {
        g = { version, window, segment, rows: [] };
        groups.set(key, g);
      }
      return g;
    };
    for (const r of outcomes) {
      const segment = o.segment === undefined ? null : segmentValue(r, o.segment);
      groupOf(r.model_version, windowOf(r.time), segment).rows.push(r);
    }
    const windows = o.segment === undefined ? served.windows : new Map<string, PerformanceTrafficTable>();
    for (const t of windows.values()) groupOf(t.model_version, windowOf(t.window_start), null);
    const series: PerformanceWindow[] = [...groups.entries()]
      .sort(
        ([, a], [, b]) =>
          a.window - b.window ||
          a.version.localeCompare(b.version) ||
          (a.segment ?? '').localeCompare(b.segment ?? ''),
      )
      .map(([key, g]) => {
        const t = windows.get(key);
        return {
          windowStart: new Date(g.window).toISOString(),
          windowEnd: new Date(g.window + o.windowMs).toISOString(),
          modelVersion: g.version || null,
          segment: g.segment,
          labelled: g.rows.length,
          realised: realisedMetrics(g.rows, positive),
          estimated: t
            ? estimatedMetrics(
                JSON.parse(t.scores) as ScoreCounts,
                positive,
                calibrators.get(g.version) ?? null,
              )
            : null,
          traffic: t ? trafficFigures(t) : null,
        };
      });
    return {
      endpoint,
      from: new Date(o.fromMs).toISOString(),
      to: new Date(o.toMs).toISOString(),
      segment: o.segment ?? null,
      positiveClass: positive,
      calibration,
      series,
    };
  }
}

const hasReference = (o: SeriesOptions) => o.referenceFromMs !== undefined || o.referenceToMs !== undefined;

function sameCalibrationInputs(
  hit: { scores: Float64Array; truth: Uint8Array },
  labelled: readonly ReferenceRow[],
  positive: string,
): boolean {
  if (hit.scores.length !== labelled.length) return false;
  for (let i = 0; i < labelled.length; i++) {
    const r = labelled[i]!;
    if (hit.scores[i] !== r.score || hit.truth[i] !== (r.actual_label === positive ? 1 : 0)) return false;
  }
  return true;
}

function isBinaryLabelled(r: ReferenceRow): boolean {
  return r.actual_label !== null && r.score !== null && r.score >= 0 && r.score <= 1;
}

/** Scalar inputs by name and tags as `tag:<key>`, for metrics by segment. */
function segmentsOf(e: InferenceEvent): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  const inputs = e.inputs;
  if (inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs)) {
    for (const [k, v] of Object.entries(inputs as Record<string, unknown>)) {
      if (n >= MAX_SEGMENT_FIELDS) break;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        out[k] = String(v);
        n++;
      }
    }
  }
  for (const [k, v] of Object.entries(e.tags)) {
    if (n >= MAX_SEGMENT_FIELDS * 2) break;
    out[`tag:${k}`] = v;
    n++;
  }
  return out;
}

function segmentValue(r: OutcomeRow, segment: string): string {
  return (JSON.parse(r.segments ?? '{}') as Record<string, string>)[segment] ?? MISSING_SEGMENT;
}
