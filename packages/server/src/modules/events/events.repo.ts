import { CompiledQuery, type Insertable, type Selectable, sql } from 'kysely';
import type { Db, DialectName } from '../../storage/database.js';
import { HELD } from '../../storage/sqlite-direct.js';
import type { InferenceEventsTable, InferenceFeedbackTable } from './events.tables.js';

/**
 * Bound parameters one statement may carry: SQLite (3.32+, bundled with better-sqlite3) stops
 * at 32 766, PostgreSQL's protocol at 65 535. Rows per statement follow from the column count.
 */
const MAX_PARAMETERS: Record<DialectName, number> = { sqlite: 32_766, postgres: 65_535 };

export type EventRow = Omit<Insertable<InferenceEventsTable>, 'seq'>;
export type StoredEvent = Selectable<InferenceEventsTable> & {
  feedback_label: string | null;
  feedback_value: number | null;
  feedback_time: number | null;
};

export interface EventFilter {
  projectId: string;
  endpoint?: string;
  modelVersion?: string;
  arm?: string;
  fromMs?: number;
  toMs?: number;
  tags: [key: string, value: string][];
}

/** Where a page starts: after (time, seq) newest first, or after seq in commit order. */
export type EventCursor = { order: 'desc'; time: number; seq: number } | { order: 'asc'; seq: number };

export const EVENT_COLUMNS = [
  'id',
  'project_id',
  'time',
  'received_at',
  'endpoint',
  'model_version',
  'model_version_id',
  'arm',
  'inputs',
  'outputs',
  'label',
  'score',
  'confidence',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
  'tags',
  'trace_id',
  'error',
] as const satisfies readonly (keyof EventRow)[];

const PG_TYPES: Record<(typeof EVENT_COLUMNS)[number], string> = {
  id: 'text',
  project_id: 'text',
  time: 'bigint',
  received_at: 'bigint',
  endpoint: 'text',
  model_version: 'text',
  model_version_id: 'text',
  arm: 'text',
  inputs: 'text',
  outputs: 'text',
  label: 'text',
  score: 'double precision',
  confidence: 'double precision',
  latency_ms: 'double precision',
  prompt_tokens: 'bigint',
  completion_tokens: 'bigint',
  cost_usd: 'double precision',
  tags: 'text',
  trace_id: 'text',
  error: 'text',
};

/** Rows in one SQLite insert statement: as many as the parameter limit allows. */
export const SQLITE_ROWS_PER_INSERT = Math.floor(MAX_PARAMETERS.sqlite / EVENT_COLUMNS.length);
const sqliteInserts = new Map<number, string>();

/**
 * The text of a multi-row insert, built once per row count. Written by hand rather than with the
 * query builder: building and compiling 32,000 value nodes per statement cost as much as SQLite
 * took to insert them (bench/events/run.mjs).
 */
/** The rows' values in column order, flat, for one multi-row insert. */
export function sqliteParams(rows: EventRow[]): unknown[] {
  const params: unknown[] = new Array(rows.length * EVENT_COLUMNS.length);
  let k = 0;
  for (const r of rows) for (const c of EVENT_COLUMNS) params[k++] = r[c] ?? null;
  return params;
}

function sqliteInsert(rowCount: number): string {
  let text = sqliteInserts.get(rowCount);
  if (text === undefined) {
    const row = `(${EVENT_COLUMNS.map(() => '?').join(', ')})`;
    text = `insert into inference_events (${EVENT_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${Array(rowCount).fill(row).join(', ')}`;
    // A full chunk and the remainders of a few batch sizes are all that recur.
    if (sqliteInserts.size < 64) sqliteInserts.set(rowCount, text);
  }
  return text;
}

/** The SQL of the inference log. */
export class EventsRepo {
  constructor(private readonly db: Db) {}

  /**
   * Appends events in one transaction: the one dialect-specific write of the log. On PostgreSQL
   * one `unnest` over an array per column (a single statement whatever the batch size, and no
   * 65,535-parameter limit); on SQLite multi-row inserts as large as the parameter limit allows
   * (1,638 rows), which measured about twice as fast as one prepared insert per row and faster
   * than one insert from `json_each` over the whole batch. bench/events/run.mjs measures both.
   */
  async insertEvents(rows: EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.db.dialect === 'postgres') {
      const arrays = EVENT_COLUMNS.map(
        (c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(PG_TYPES[c])}[]`,
      );
      await sql`insert into inference_events (${sql.join(EVENT_COLUMNS.map((c) => sql.ref(c)))})
          select * from unnest(${sql.join(arrays)})`.execute(this.db.kysely);
      return;
    }
    const statements: [string, unknown[]][] = [];
    for (let i = 0; i < rows.length; i += SQLITE_ROWS_PER_INSERT) {
      const part = rows.slice(i, i + SQLITE_ROWS_PER_INSERT);
      statements.push([sqliteInsert(part.length), sqliteParams(part)]);
    }
    // Directly when the connection is free (see SqliteDirect); through Kysely, which waits its
    // turn and for the write lock, otherwise.
    const direct = this.db.direct;
    if (direct && direct.runInTransaction(statements) !== HELD) return;
    await this.db.kysely.transaction().execute(async (trx) => {
      for (const [text, params] of statements) await trx.executeQuery(CompiledQuery.raw(text, params));
    });
  }

  /** Which of `ids` are events of the project. */
  async existingIds(projectId: string, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const size = Math.floor(MAX_PARAMETERS[this.db.dialect] / 2);
    for (let i = 0; i < ids.length; i += size) {
      const rows = await this.db.kysely
        .selectFrom('inference_events')
        .select('id')
        .where('project_id', '=', projectId)
        .where('id', 'in', ids.slice(i, i + size))
        .execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** The events of the project with these ids, with their feedback. */
  async byIds(projectId: string, ids: string[]): Promise<StoredEvent[]> {
    const found: StoredEvent[] = [];
    const size = Math.floor(MAX_PARAMETERS[this.db.dialect] / 2);
    for (let i = 0; i < ids.length; i += size) {
      const rows = await this.db.kysely
        .selectFrom('inference_events as e')
        .leftJoin('inference_feedback as f', 'f.prediction_id', 'e.id')
        .selectAll('e')
        .select(['f.label as feedback_label', 'f.value as feedback_value', 'f.time as feedback_time'])
        .where('e.project_id', '=', projectId)
        .where('e.id', 'in', ids.slice(i, i + size))
        .execute();
      for (const r of rows) found.push(numbers(r) as StoredEvent);
    }
    return found;
  }

  /** Records feedback; a later one for the same prediction replaces the earlier. */
  async upsertFeedback(rows: InferenceFeedbackTable[]): Promise<void> {
    if (rows.length === 0) return;
    const size = Math.floor(MAX_PARAMETERS[this.db.dialect] / 6);
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += size) {
        await trx
          .insertInto('inference_feedback')
          .values(rows.slice(i, i + size))
          .onConflict((oc) =>
            oc.column('prediction_id').doUpdateSet((eb) => ({
              label: eb.ref('excluded.label'),
              value: eb.ref('excluded.value'),
              time: eb.ref('excluded.time'),
              received_at: eb.ref('excluded.received_at'),
            })),
          )
          .execute();
      }
    });
  }

  async list(filter: EventFilter, order: 'asc' | 'desc', after: EventCursor | undefined, limit: number) {
    let q = this.db.kysely
      .selectFrom('inference_events as e')
      .leftJoin('inference_feedback as f', 'f.prediction_id', 'e.id')
      .selectAll('e')
      .select(['f.label as feedback_label', 'f.value as feedback_value', 'f.time as feedback_time'])
      .where(
        // In commit order the primary key is the way in: a tail's cursor makes it a short range
        // scan. SQLite's planner would rather take the (project_id, time) index and sort every
        // event of the project at each poll; a unary plus keeps it off that index.
        order === 'asc' && this.db.dialect === 'sqlite'
          ? sql<string>`+e.project_id`
          : sql<string>`e.project_id`,
        '=',
        filter.projectId,
      );
    if (filter.endpoint !== undefined) q = q.where('e.endpoint', '=', filter.endpoint);
    if (filter.modelVersion !== undefined) q = q.where('e.model_version', '=', filter.modelVersion);
    if (filter.arm !== undefined) q = q.where('e.arm', '=', filter.arm);
    if (filter.fromMs !== undefined) q = q.where('e.time', '>=', filter.fromMs);
    if (filter.toMs !== undefined) q = q.where('e.time', '<', filter.toMs);
    for (const [key, value] of filter.tags) q = q.where(this.hasTag(key, value));
    if (after?.order === 'asc') q = q.where('e.seq', '>', after.seq);
    if (after?.order === 'desc') {
      const { time, seq } = after;
      q = q.where((eb) =>
        eb.or([eb('e.time', '<', time), eb.and([eb('e.time', '=', time), eb('e.seq', '<', seq)])]),
      );
    }
    q = order === 'asc' ? q.orderBy('e.seq', 'asc') : q.orderBy('e.time', 'desc').orderBy('e.seq', 'desc');
    const rows = await q.limit(limit).execute();
    return rows.map(numbers) as StoredEvent[];
  }

  /** Tags are a JSON object in text; matching one key is dialect-specific JSON, behind this. */
  private hasTag(key: string, value: string) {
    return this.db.dialect === 'postgres'
      ? sql<boolean>`(e.tags::jsonb ->> ${key}) = ${value}`
      : sql<boolean>`exists (select 1 from json_each(e.tags) as t where t.key = ${key} and t.value = ${value})`;
  }

  /**
   * Deletes, in one transaction, the events among the `limit` oldest recorded whose
   * `received_at` is before `cutoffMs`, and their feedback. It walks the log from its start by
   * primary key, so it needs no index of its own; `more` is false once it reached an event
   * recorded after the cutoff (or the end), where the next call would find nothing to delete.
   */
  async deleteRecordedBefore(cutoffMs: number, limit: number): Promise<{ deleted: number; more: boolean }> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const head = await trx
        .selectFrom('inference_events')
        .select(['seq', 'id', 'received_at'])
        .orderBy('seq')
        .limit(limit)
        .execute();
      const victims = head.filter((r) => Number(r.received_at) < cutoffMs);
      const size = Math.floor(MAX_PARAMETERS[this.db.dialect] / 2);
      for (let i = 0; i < victims.length; i += size) {
        const part = victims.slice(i, i + size);
        await trx
          .deleteFrom('inference_feedback')
          .where(
            'prediction_id',
            'in',
            part.map((v) => v.id),
          )
          .execute();
        await trx
          .deleteFrom('inference_events')
          .where(
            'seq',
            'in',
            part.map((v) => Number(v.seq)),
          )
          .execute();
      }
      return { deleted: victims.length, more: head.length === limit && victims.length === head.length };
    });
  }

  /** The seq of the last committed event, 0 when there is none. */
  async lastSeq(): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('inference_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  async count(projectId?: string): Promise<number> {
    let q = this.db.kysely.selectFrom('inference_events').select((eb) => eb.fn.countAll<number>().as('n'));
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

/** One row shape on both dialects: integers and reals as numbers, null kept. */
function numbers(r: Record<string, unknown>) {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...r,
    seq: Number(r.seq),
    time: Number(r.time),
    received_at: Number(r.received_at),
    score: num(r.score),
    confidence: num(r.confidence),
    latency_ms: num(r.latency_ms),
    prompt_tokens: num(r.prompt_tokens),
    completion_tokens: num(r.completion_tokens),
    cost_usd: num(r.cost_usd),
    feedback_value: num(r.feedback_value),
    feedback_time: num(r.feedback_time),
  };
}
