import type { DayExtent, OutcomeFilter, PerformanceRepo } from './performance.repo.js';
import type { PerformanceTrafficDaysTable, PerformanceTrafficTable } from './performance.tables.js';
import { addCountsInto, decodeSketch, type ScoreCounts } from './traffic-fold.js';

export const DAY_MS = 86_400_000;
/** Days one roll-up call writes at most; the next scheduled call goes on. */
const ROLL_UP_MAX_DAYS = 2_000;
/**
 * How far back the roll-up job looks: its minute runs scan this many days of hourly windows, not
 * the whole history. Older days folded into late are stored again by the first 1d read of them.
 */
export const ROLL_UP_RECENT_DAYS = 35;

/**
 * Rows of one endpoint × model version merged in the order given: exactly what chaining
 * mergeTraffic over them gives (the sketch's merge depends only on the values each level holds,
 * which its serialization keeps), with each sketch and score count decoded once. One row is
 * returned as it is.
 */
export function mergeTrafficRows(rows: readonly PerformanceTrafficTable[]): PerformanceTrafficTable {
  const [first, ...rest] = rows;
  if (first === undefined) throw new RangeError('mergeTrafficRows: no rows');
  if (rest.length === 0) return first;
  const out = { ...first };
  let sketch = decodeSketch(first.latency);
  const counts = JSON.parse(first.scores) as ScoreCounts;
  for (const b of rest) {
    out.predictions += b.predictions;
    out.errors += b.errors;
    out.fallbacks += b.fallbacks;
    out.cost_usd += b.cost_usd;
    out.prompt_tokens += b.prompt_tokens;
    out.completion_tokens += b.completion_tokens;
    const sb = decodeSketch(b.latency);
    sketch = sketch && sb ? sketch.merge(sb) : (sketch ?? sb);
    addCountsInto(counts, JSON.parse(b.scores) as ScoreCounts);
  }
  out.latency = sketch ? Buffer.from(sketch.serialize()).toString('base64') : null;
  out.scores = JSON.stringify(counts);
  return out;
}

/** Merged traffic of a read: per window × model version, the versions in order of first traffic. */
export interface ServedTraffic {
  /** By windowKey(window, version). */
  windows: Map<string, PerformanceTrafficTable>;
  /** Model versions by their first hourly window, then by name (as the hourly rows are read). */
  versions: string[];
  /** Every prediction of the range by predicted label and score bin. */
  counts: ScoreCounts;
  /** Stored rows read: hourly windows, and day roll-ups. */
  hoursRead: number;
  daysRead: number;
}

export const windowKey = (window: number, version: string, segment: string | null = null) =>
  `${window}\u0000${version}\u0000${segment ?? ''}`;

/** Hourly rows (ordered by start, then version) merged into windows of `windowMs`. */
export function mergeHours(rows: readonly PerformanceTrafficTable[], windowMs: number): ServedTraffic {
  const groups = new Map<string, PerformanceTrafficTable[]>();
  const versions = new Set<string>();
  const counts: ScoreCounts = {};
  for (const t of rows) {
    versions.add(t.model_version);
    addCountsInto(counts, JSON.parse(t.scores) as ScoreCounts);
    const key = windowKey(Math.floor(t.window_start / windowMs) * windowMs, t.model_version);
    const group = groups.get(key);
    if (group) group.push(t);
    else groups.set(key, [t]);
  }
  const windows = new Map<string, PerformanceTrafficTable>();
  for (const [key, group] of groups) windows.set(key, mergeTrafficRows(group));
  return { windows, versions: [...versions], counts, hoursRead: rows.length, daysRead: 0 };
}

const dayKey = (endpoint: string, version: string, day: number) => `${endpoint}\u0000${version}\u0000${day}`;

/** Where each day of a 1d read comes from: its roll-up when it still matches its hours, else its hours. */
export interface DayPlan {
  extents: DayExtent[];
  rolled: PerformanceTrafficDaysTable[];
  /** [from, to) ranges of hourly windows to read: days without a matching roll-up, and a last partial day. */
  hourRanges: [number, number][];
  /** Hourly windows those ranges hold. */
  hours: number;
}

/** The plan of a read with 1d windows over [filter.fromMs, filter.toMs), fromMs a whole day. */
export async function planDays(repo: PerformanceRepo, filter: OutcomeFilter): Promise<DayPlan> {
  const extents = await repo.dayExtents(filter);
  // Only whole days of the range come from roll-ups: a last day cut by `toMs` reads its hours.
  const wholeTo = Math.floor(filter.toMs / DAY_MS) * DAY_MS;
  const stored = wholeTo > filter.fromMs ? await repo.trafficDays({ ...filter, toMs: wholeTo }) : [];
  const byKey = new Map(extents.map((e) => [dayKey(e.endpoint, e.modelVersion, e.day), e]));
  const rolled = stored.filter((d) => {
    const e = byKey.get(dayKey(d.endpoint, d.model_version, d.window_start));
    return e !== undefined && e.hours === d.hours && e.predictions === d.predictions;
  });
  const rolledKeys = new Set(rolled.map((d) => dayKey(d.endpoint, d.model_version, d.window_start)));
  const hourDays = new Set<number>();
  let hours = 0;
  for (const e of extents) {
    if (rolledKeys.has(dayKey(e.endpoint, e.modelVersion, e.day))) continue;
    hourDays.add(e.day);
    hours += e.hours;
  }
  return { extents, rolled, hourRanges: rangesOf(hourDays, filter), hours };
}

/** Contiguous days as [from, to) ranges, clipped to the filter's range. */
function rangesOf(days: ReadonlySet<number>, filter: OutcomeFilter): [number, number][] {
  const out: [number, number][] = [];
  for (const day of [...days].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[1] === day) last[1] = day + DAY_MS;
    else out.push([day, day + DAY_MS]);
  }
  for (const r of out) {
    r[0] = Math.max(r[0], filter.fromMs);
    r[1] = Math.min(r[1], filter.toMs);
  }
  return out;
}

/**
 * The merged traffic of a 1d read from its plan: roll-ups where they match, hours elsewhere. The
 * whole days before `before` it merged from hours are stored as their roll-ups, so the next read
 * of them does not merge again whether or not the roll-up job has run since.
 */
export async function readDays(
  repo: PerformanceRepo,
  filter: OutcomeFilter,
  plan: DayPlan,
  before: number,
): Promise<ServedTraffic> {
  const rolledKeys = new Set(plan.rolled.map((d) => dayKey(d.endpoint, d.model_version, d.window_start)));
  const hourly = (await repo.trafficIn(filter, plan.hourRanges)).filter(
    (t) => !rolledKeys.has(dayKey(t.endpoint, t.model_version, dayOf(t.window_start))),
  );
  const served = mergeHours(hourly, DAY_MS);
  const merged = new Map<string, number>();
  const wholeBefore = Math.min(before, filter.toMs);
  for (const t of hourly) {
    if (dayOf(t.window_start) + DAY_MS > wholeBefore) continue;
    const key = windowKey(dayOf(t.window_start), t.model_version);
    merged.set(key, (merged.get(key) ?? 0) + 1);
  }
  await repo.putTrafficDays(
    [...merged].map(([key, hours]) => {
      const row = served.windows.get(key)!;
      // The stamp is of the hours merged here, whatever folded since the plan was made.
      return { ...row, window_start: dayOf(row.window_start), hours };
    }),
  );
  for (const { hours: _, ...d } of plan.rolled)
    served.windows.set(windowKey(d.window_start, d.model_version), d);
  // Integer sums per label and bin: the same whichever rows they come from.
  for (const d of plan.rolled) addCountsInto(served.counts, JSON.parse(d.scores) as ScoreCounts);
  const first = new Map<string, number>();
  for (const e of plan.extents)
    first.set(e.modelVersion, Math.min(first.get(e.modelVersion) ?? e.first, e.first));
  served.versions = [...first]
    .sort(([va, a], [vb, b]) => a - b || (va < vb ? -1 : va > vb ? 1 : 0))
    .map(([v]) => v);
  served.daysRead = plan.rolled.length;
  return served;
}

const dayOf = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;

/**
 * Rolls a project's whole days of the ROLL_UP_RECENT_DAYS before `before` up from their hourly
 * windows, each once, again when folding added to it after its roll-up. Returns the days written
 * (at most ROLL_UP_MAX_DAYS).
 */
export async function rollUpDays(repo: PerformanceRepo, projectId: string, before: number): Promise<number> {
  const all = {
    projectId,
    endpoint: '',
    fromMs: dayOf(before) - ROLL_UP_RECENT_DAYS * DAY_MS,
    toMs: dayOf(before),
  };
  const stamps = new Map(
    (await repo.dayStamps(all)).map((d) => [dayKey(d.endpoint, d.model_version, d.window_start), d]),
  );
  const stale = (await repo.dayExtents(all))
    .filter((e) => {
      const d = stamps.get(dayKey(e.endpoint, e.modelVersion, e.day));
      return d === undefined || d.hours !== e.hours || d.predictions !== e.predictions;
    })
    .slice(0, ROLL_UP_MAX_DAYS);
  const byEndpoint = new Map<string, Set<number>>();
  const wanted = new Set<string>();
  for (const e of stale) {
    const days = byEndpoint.get(e.endpoint) ?? new Set<number>();
    byEndpoint.set(e.endpoint, days.add(e.day));
    wanted.add(dayKey(e.endpoint, e.modelVersion, e.day));
  }
  let written = 0;
  for (const [endpoint, days] of byEndpoint) {
    const filter = { ...all, endpoint };
    const groups = new Map<string, PerformanceTrafficTable[]>();
    for (const t of await repo.trafficIn(filter, rangesOf(days, filter))) {
      const key = dayKey(t.endpoint, t.model_version, dayOf(t.window_start));
      if (!wanted.has(key)) continue;
      const group = groups.get(key);
      if (group) group.push(t);
      else groups.set(key, [t]);
    }
    const rows: PerformanceTrafficDaysTable[] = [...groups.values()].map((hours) => ({
      // The stamp is of the hours merged here, whatever folded since the extents were read.
      ...mergeTrafficRows(hours),
      window_start: dayOf(hours[0]!.window_start),
      hours: hours.length,
    }));
    await repo.putTrafficDays(rows);
    written += rows.length;
  }
  return written;
}
