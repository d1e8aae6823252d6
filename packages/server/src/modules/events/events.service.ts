import type {
  FeedbackResult,
  InferenceEvent,
  ListEvents,
  Page,
  InferenceEventInput as WireEvent,
  FeedbackInput as WireFeedback,
} from '@plumb/sdk';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/context.js';
import { PlumbError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, encodeCursor } from '../../core/pagination.js';
import type { Db } from '../../storage/database.js';
import { EventWriterThread } from './event-writer-thread.js';
import type { EventSink, InferenceEventInput } from './events.contract.js';
import { type EventCursor, type EventRow, EventsRepo, type StoredEvent } from './events.repo.js';
import { type GroupCommitOptions, GroupCommitWriter } from './group-commit.js';

const DAY_MS = 86_400_000;

/** Retention deletes this many events per transaction, so it never holds the write lock for long. */
export const RETENTION_BATCH = 5_000;

export interface EventsServiceOptions extends GroupCommitOptions {
  retentionDays: number;
  /**
   * On an SQLite file, true appends batches from a thread with its own connection, off the event
   * loop that answers requests; false (the default) writes on the server's connection, directly
   * when it is free. Measured at 1,000 lone predictions a second, the thread's two wake-ups and
   * message copies cost more than the append it takes off the loop (bench/serving).
   */
  writerThread?: boolean;
}

/** Told of feedback once it is committed: the predictions it labelled, each with its feedback attached. */
export type FeedbackListener = (change: {
  projectId: string;
  events: InferenceEvent[];
}) => Promise<void> | void;

/** Events of one committed record call, as stored and with their inputs and outputs as given. */
export interface CommittedEvent {
  row: EventRow;
  inputs: unknown;
  outputs: unknown;
}

/** Called after a record call's events committed; must be quick and must not throw. */
export type CommittedListener = (events: CommittedEvent[]) => void;

/** The inference log: every prediction as an event, ground truth attached later, kept for a while. */
export class EventsService implements EventSink {
  readonly repo: EventsRepo;
  private readonly writer: GroupCommitWriter<EventRow>;
  private thread: EventWriterThread | undefined;
  private readonly feedbackListeners: FeedbackListener[] = [];
  private readonly listeners: CommittedListener[] = [];

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly options: EventsServiceOptions,
  ) {
    this.repo = new EventsRepo(db);
    const file = db.dialect === 'sqlite' && options.writerThread === true ? db.file : undefined;
    // Started by the first write, so a server (or a test) that logs nothing starts no thread;
    // should the thread stop, batches are written on the server's connection again.
    this.writer = new GroupCommitWriter((rows) => {
      if (file !== undefined) this.thread ??= new EventWriterThread(file);
      return this.thread?.usable ? this.thread.write(rows) : this.repo.insertEvents(rows);
    }, options);
  }

  /** Whether batches are appended by the writer thread right now (false before the first write). */
  get writesOffLoop(): boolean {
    return this.thread?.usable === true;
  }

  /**
   * Records events through the group-commit writer; resolves with their ids once they are
   * committed, so a caller that acknowledges after this never loses an acknowledged event.
   */
  async record(events: InferenceEventInput[]): Promise<string[]> {
    const receivedAt = this.clock.now().getTime();
    const rows = events.map((e, i) => toRow(e, receivedAt, i));
    await this.writer.write(rows);
    if (this.listeners.length > 0) {
      const committed = rows.map((row, i) => ({
        row,
        inputs: events[i]!.inputs,
        outputs: events[i]!.outputs,
      }));
      // A listener's failure must not fail a prediction that is already committed.
      for (const listener of this.listeners) {
        try {
          listener(committed);
        } catch {
          // the listener's own state is its business; the events are stored either way
        }
      }
    }
    return rows.map((r) => r.id);
  }

  /** Subscribes to committed events (monitoring profiles them); returns the unsubscribe. */
  onCommitted(listener: CommittedListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Events an application posts for the caller's project: all of them or, on error, none. */
  recordFromApi(ctx: RequestContext, events: z.output<typeof WireEvent>[]): Promise<string[]> {
    const projectId = ctx.principal.projectId;
    return this.record(events.map((e) => ({ ...e, projectId })));
  }

  /**
   * Attaches ground truth to predictions of the caller's project. Ids that name no event of the
   * project (never recorded, another project's, or already past retention) are answered back in
   * `unknown` and nothing is stored for them.
   */
  async feedback(ctx: RequestContext, items: z.output<typeof WireFeedback>[]): Promise<FeedbackResult> {
    const projectId = ctx.principal.projectId;
    const ids = [...new Set(items.map((f) => f.predictionId))];
    const known = await this.repo.existingIds(projectId, ids);
    const now = this.clock.now().getTime();
    // The last item for an id wins, as a later post would.
    const latest = new Map<string, z.output<typeof WireFeedback>>();
    for (const f of items) if (known.has(f.predictionId)) latest.set(f.predictionId, f);
    await this.repo.upsertFeedback(
      [...latest.values()].map((f) => ({
        prediction_id: f.predictionId,
        project_id: projectId,
        label: f.label,
        value: f.value,
        time: f.time === undefined ? now : Date.parse(f.time),
        received_at: now,
      })),
    );
    // Listeners run before the answer, so a caller that saw it can read what they derived; a
    // listener's failure fails the post, which is safe to repeat (the last feedback wins).
    if (this.feedbackListeners.length > 0 && latest.size > 0) {
      const labelled = (await this.repo.byIds(projectId, [...latest.keys()])).map(toEvent);
      for (const listener of this.feedbackListeners) await listener({ projectId, events: labelled });
    }
    return { recorded: latest.size, unknown: ids.filter((id) => !known.has(id)) };
  }

  /** Registers a listener for committed feedback (modules that derive metrics from labels). */
  onFeedback(listener: FeedbackListener): void {
    this.feedbackListeners.push(listener);
  }

  async list(ctx: RequestContext, query: z.output<typeof ListEvents>): Promise<Page<InferenceEvent>> {
    const order = query.order;
    const after = decodeCursor(query.cursor, (v): v is EventCursor => isCursor(v, order));
    const tags = (query.tag === undefined ? [] : Array.isArray(query.tag) ? query.tag : [query.tag]).map(
      (t): [string, string] => {
        const at = t.indexOf(':');
        return [t.slice(0, at), t.slice(at + 1)];
      },
    );
    const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
    const toMs = query.to === undefined ? undefined : Date.parse(query.to);
    if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) {
      throw new PlumbError('invalid_argument', `to (${query.to}) is before from (${query.from})`);
    }
    // Read before the page: an event committed after this read has a larger seq.
    const end = order === 'asc' ? await this.repo.lastSeq() : 0;
    if (order === 'asc' && after === undefined && query.start === 'end') {
      return { items: [], nextCursor: encodeCursor({ order, seq: end }) };
    }
    const rows = await this.repo.list(
      {
        projectId: ctx.principal.projectId,
        ...(query.endpoint === undefined ? {} : { endpoint: query.endpoint }),
        ...(query.version === undefined ? {} : { modelVersion: query.version }),
        ...(query.arm === undefined ? {} : { arm: query.arm }),
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        tags,
      },
      order,
      after,
      query.limit + 1,
    );
    const hasMore = rows.length > query.limit;
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    const cursorOf = (r: StoredEvent): EventCursor =>
      order === 'asc' ? { order, seq: r.seq } : { order, time: r.time, seq: r.seq };
    let nextCursor: string | null = null;
    if (hasMore && last) nextCursor = encodeCursor(cursorOf(last));
    // In commit order the list never ends: past its last page the cursor points at the end of
    // the log as it was before the read (nothing there matched), where new events will appear.
    // This is what a tail polls with.
    else if (order === 'asc') {
      nextCursor = encodeCursor({ order, seq: Math.max(end, last?.seq ?? 0, after?.seq ?? 0) });
    }
    return { items: items.map(toEvent), nextCursor };
  }

  /**
   * Deletes events recorded longer ago than the retention period, in transactions of at most
   * `batch` events so ingest is never blocked for long; returns how many were deleted. Age counts
   * from when the server recorded an event, not from the time its poster gave it, so a backfill
   * of old predictions is kept for the whole period too. Events are recorded in commit order, so
   * the old ones are at the start of the log; one recorded out of clock order (another replica's
   * clock behind) stops a run early and is reached by a later one.
   */
  async applyRetention(batch = RETENTION_BATCH): Promise<{ deleted: number; cutoff: string }> {
    const cutoffMs = this.clock.now().getTime() - this.options.retentionDays * DAY_MS;
    let deleted = 0;
    for (;;) {
      const step = await this.repo.deleteRecordedBefore(cutoffMs, batch);
      deleted += step.deleted;
      if (!step.more) break;
    }
    return { deleted, cutoff: new Date(cutoffMs).toISOString() };
  }

  /** Commits what is waiting; later records are refused. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.thread?.close();
  }
}

function isCursor(v: unknown, order: 'asc' | 'desc'): boolean {
  if (v === null || typeof v !== 'object') return false;
  const c = v as Record<string, unknown>;
  const isInt = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x);
  if (c.order !== order || !isInt(c.seq)) return false;
  return order === 'asc' || isInt(c.time);
}

const ARMS = new Set(['primary', 'canary', 'shadow', 'fallback', 'cache']);

/** Checks what the type system cannot promise of callers inside the server, e.g. serving. */
function toRow(e: InferenceEventInput, receivedAt: number, index: number): EventRow {
  const bad = (what: string) => new PlumbError('invalid_argument', `event ${index}: ${what}`);
  if (!e.projectId) throw bad('projectId is missing');
  if (!ARMS.has(e.arm)) throw bad(`arm ${JSON.stringify(e.arm)} is not one of ${[...ARMS].join(', ')}`);
  if (e.id !== undefined && !/^prd_[0-9A-Za-z_-]{1,60}$/.test(e.id)) {
    throw bad(`id ${JSON.stringify(e.id)} is not a prediction id (prd_…)`);
  }
  const time = e.time === undefined ? receivedAt : Date.parse(e.time);
  if (Number.isNaN(time)) throw bad(`time ${JSON.stringify(e.time)} is not an ISO-8601 time`);
  return {
    id: e.id ?? newId('prd'),
    project_id: e.projectId,
    time,
    received_at: receivedAt,
    endpoint: e.endpoint,
    model_version: e.modelVersion,
    model_version_id: e.modelVersionId,
    arm: e.arm,
    inputs: JSON.stringify(e.inputs ?? null),
    outputs: JSON.stringify(e.outputs ?? null),
    label: e.label ?? null,
    score: e.score ?? null,
    confidence: e.confidence ?? null,
    latency_ms: e.latencyMs,
    prompt_tokens: e.promptTokens ?? null,
    completion_tokens: e.completionTokens ?? null,
    cost_usd: e.costUsd ?? null,
    tags: JSON.stringify(e.tags ?? {}),
    trace_id: e.traceId ?? null,
    error: e.error ?? null,
  };
}

function toEvent(r: StoredEvent): InferenceEvent {
  return {
    id: r.id,
    projectId: r.project_id,
    time: new Date(r.time).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    endpoint: r.endpoint,
    modelVersion: r.model_version,
    modelVersionId: r.model_version_id,
    arm: r.arm as InferenceEvent['arm'],
    inputs: JSON.parse(r.inputs),
    outputs: JSON.parse(r.outputs),
    label: r.label,
    score: r.score,
    confidence: r.confidence,
    latencyMs: r.latency_ms,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    costUsd: r.cost_usd,
    tags: JSON.parse(r.tags) as Record<string, string>,
    traceId: r.trace_id,
    error: r.error,
    feedback:
      r.feedback_time === null
        ? null
        : { label: r.feedback_label, value: r.feedback_value, time: new Date(r.feedback_time).toISOString() },
  };
}
