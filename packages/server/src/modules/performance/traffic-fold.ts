import { type InferenceEvent, ListEvents } from '@plumb/sdk';
import { QuantileSketch } from '@plumb/stats';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { decodeCursor, encodeCursor } from '../../core/pagination.js';
import type { Db } from '../../storage/database.js';
import type { PerformanceEvents } from './performance.ports.js';
import type { PerformanceRepo } from './performance.repo.js';
import type { PerformanceTrafficTable } from './performance.tables.js';

/** Traffic is kept per hour; longer windows merge hours. */
export const TRAFFIC_WINDOW_MS = 3_600_000;
/** Score bins of the estimate: its probabilities are read at bin centres, off by at most 1/2000. */
export const SCORE_BINS = 1_000;
const PAGE = 500;
const LATENCY_SKETCH_K = 200;

/** Predictions per predicted label and score bin. */
export type ScoreCounts = Record<string, Record<string, number>>;

export function scoreBin(score: number): number {
  return Math.min(SCORE_BINS - 1, Math.floor(score * SCORE_BINS));
}

export function decodeSketch(text: string | null): QuantileSketch | null {
  return text === null ? null : QuantileSketch.deserialize(Buffer.from(text, 'base64'));
}

/**
 * Folds a project's inference log, in commit order from where the last fold stopped, into hourly
 * traffic windows. Each step is one transaction that moves the project's cursor with a
 * compare-and-set, so concurrent folds (the schedule and a query) never count an event twice.
 */
export class TrafficFold {
  constructor(
    private readonly db: Db,
    private readonly repo: PerformanceRepo,
    private readonly events: PerformanceEvents,
  ) {}

  /** Whether the project's inference log holds events past its fold position. */
  async hasPending(projectId: string): Promise<boolean> {
    const from = await this.db.kysely.transaction().execute((trx) => this.repo.cursor(trx, projectId));
    const page = await this.events.list(
      systemContext(projectId),
      ListEvents.parse({ order: 'asc', limit: 1, cursor: encodeCursor({ order: 'asc', seq: from }) }),
    );
    return page.items.length > 0;
  }

  /** Folds up to `maxEvents` new events; returns how many events it read. */
  async catchUp(projectId: string, maxEvents = 20_000): Promise<number> {
    let read = 0;
    while (read < maxEvents) {
      const from = await this.db.kysely.transaction().execute((trx) => this.repo.cursor(trx, projectId));
      const page = await this.events.list(
        systemContext(projectId),
        ListEvents.parse({ order: 'asc', limit: PAGE, cursor: encodeCursor({ order: 'asc', seq: from }) }),
      );
      const next = decodeCursor(
        page.nextCursor ?? undefined,
        (v): v is { seq: number } => typeof (v as { seq?: unknown })?.seq === 'number',
      );
      const to = next?.seq ?? from;
      if (to === from) break;
      try {
        await this.db.kysely.transaction().execute(async (trx) => {
          await this.repo.advanceCursor(trx, projectId, from, to);
          for (const row of foldEvents(projectId, page.items).values()) {
            const stored = await this.repo.trafficWindow(trx, row);
            await this.repo.putTrafficWindow(
              trx,
              stored ? mergeTraffic(stored, row) : row,
              stored !== undefined,
            );
          }
        });
      } catch (error) {
        // Another fold took these events first: start again from where it stopped.
        if (PlumbError.is(error, 'conflict')) continue;
        throw error;
      }
      read += page.items.length;
      if (page.items.length < PAGE) break;
    }
    return read;
  }
}

function systemContext(projectId: string): RequestContext {
  return {
    principal: { keyId: 'system', keyName: 'system', role: 'admin', projectId, projectName: projectId },
    requestId: 'performance-fold',
  };
}

function foldEvents(projectId: string, events: InferenceEvent[]): Map<string, PerformanceTrafficTable> {
  const windows = new Map<
    string,
    PerformanceTrafficTable & { sketch: QuantileSketch; counts: ScoreCounts }
  >();
  for (const e of events) {
    // A shadow's answers never reached a caller: the endpoint's traffic, estimates and cost are
    // of what it served (the shadow report compares shadows with the primary).
    if (e.endpoint === null || e.arm === 'shadow') continue;
    const windowStart = Math.floor(Date.parse(e.time) / TRAFFIC_WINDOW_MS) * TRAFFIC_WINDOW_MS;
    const version = e.modelVersion ?? '';
    const key = `${e.endpoint}\u0000${version}\u0000${windowStart}`;
    let w = windows.get(key);
    if (!w) {
      w = {
        project_id: projectId,
        endpoint: e.endpoint,
        model_version: version,
        window_start: windowStart,
        predictions: 0,
        errors: 0,
        fallbacks: 0,
        cost_usd: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        latency: null,
        scores: '{}',
        sketch: new QuantileSketch({ k: LATENCY_SKETCH_K }),
        counts: {},
      };
      windows.set(key, w);
    }
    w.predictions += 1;
    if (e.error !== null) w.errors += 1;
    if (e.arm === 'fallback') w.fallbacks += 1;
    w.cost_usd += e.costUsd ?? 0;
    w.prompt_tokens += e.promptTokens ?? 0;
    w.completion_tokens += e.completionTokens ?? 0;
    if (e.latencyMs !== null) w.sketch.update(e.latencyMs);
    if (e.label !== null && e.score !== null && e.score >= 0 && e.score <= 1) {
      const bins = w.counts[e.label] ?? {};
      w.counts[e.label] = bins;
      const bin = String(scoreBin(e.score));
      bins[bin] = (bins[bin] ?? 0) + 1;
    }
  }
  const out = new Map<string, PerformanceTrafficTable>();
  for (const [key, { sketch, counts, ...row }] of windows) {
    out.set(key, {
      ...row,
      latency: sketch.isEmpty ? null : Buffer.from(sketch.serialize()).toString('base64'),
      scores: JSON.stringify(counts),
    });
  }
  return out;
}

/** Two windows of the same key as one: sums add, sketches merge, score counts add. */
export function mergeTraffic(
  a: PerformanceTrafficTable,
  b: PerformanceTrafficTable,
): PerformanceTrafficTable {
  const sa = decodeSketch(a.latency);
  const sb = decodeSketch(b.latency);
  const sketch = sa && sb ? sa.merge(sb) : (sa ?? sb);
  return {
    ...a,
    predictions: a.predictions + b.predictions,
    errors: a.errors + b.errors,
    fallbacks: a.fallbacks + b.fallbacks,
    cost_usd: a.cost_usd + b.cost_usd,
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    latency: sketch ? Buffer.from(sketch.serialize()).toString('base64') : null,
    scores: JSON.stringify(
      addCounts(JSON.parse(a.scores) as ScoreCounts, JSON.parse(b.scores) as ScoreCounts),
    ),
  };
}

export function addCounts(a: ScoreCounts, b: ScoreCounts): ScoreCounts {
  return addCountsInto(structuredClone(a), b);
}

/** Adds `b` into `into` in place and returns it: what a merge of many windows accumulates with. */
export function addCountsInto(into: ScoreCounts, b: ScoreCounts): ScoreCounts {
  for (const [label, bins] of Object.entries(b)) {
    const to = into[label] ?? {};
    into[label] = to;
    for (const [bin, n] of Object.entries(bins)) to[bin] = (to[bin] ?? 0) + n;
  }
  return into;
}
