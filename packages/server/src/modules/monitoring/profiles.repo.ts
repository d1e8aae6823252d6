import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import type { MonitoringProfilesTable } from './monitoring.tables.js';

export type ProfileRow = MonitoringProfilesTable;

export interface WindowKey {
  projectId: string;
  endpoint: string;
}

/** Rows per insert: 10 columns, far under both dialects' parameter limits. */
const CHUNK = 500;

/** The SQL of window profiles and their roll-ups. */
export class ProfilesRepo {
  constructor(private readonly db: Db) {}

  /** Writes parts, replacing a part written before (a writer rewrites its own parts only). */
  async upsert(rows: ProfileRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('monitoring_profiles')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc
              .columns([
                'project_id',
                'endpoint',
                'level_ms',
                'window_start',
                'model_version',
                'feature',
                'part',
              ])
              .doUpdateSet((eb) => ({
                events: eb.ref('excluded.events'),
                profile: eb.ref('excluded.profile'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
          )
          .execute();
      }
    });
  }

  /** Every part of an endpoint's windows of one level starting in [from, to). */
  async read(
    key: WindowKey,
    levelMs: number,
    from: number,
    to: number,
    features?: readonly string[],
  ): Promise<ProfileRow[]> {
    const rows = await this.windows(key, levelMs, from, to, features)
      .selectAll()
      .orderBy('window_start')
      .execute();
    return rows.map(normalize);
  }

  /** How many rows `read` would return (of one model version if given), without reading them. */
  async count(
    key: WindowKey,
    levelMs: number,
    from: number,
    to: number,
    features?: readonly string[],
    modelVersion?: string,
  ): Promise<number> {
    let q = this.windows(key, levelMs, from, to, features);
    if (modelVersion !== undefined) q = q.where('model_version', '=', modelVersion);
    const row = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  private windows(key: WindowKey, levelMs: number, from: number, to: number, features?: readonly string[]) {
    let q = this.db.kysely
      .selectFrom('monitoring_profiles')
      .where('project_id', '=', key.projectId)
      .where('endpoint', '=', key.endpoint)
      .where('level_ms', '=', levelMs)
      .where('window_start', '>=', from)
      .where('window_start', '<', to);
    if (features && features.length > 0) q = q.where('feature', 'in', [...features]);
    return q;
  }

  /** Block starts of a level already rolled up in [from, to), with when. */
  async rollups(key: WindowKey, levelMs: number, from: number, to: number): Promise<Map<number, number>> {
    const rows = await this.db.kysely
      .selectFrom('monitoring_rollups')
      .select(['window_start', 'rolled_at'])
      .where('project_id', '=', key.projectId)
      .where('endpoint', '=', key.endpoint)
      .where('level_ms', '=', levelMs)
      .where('window_start', '>=', from)
      .where('window_start', '<', to)
      .execute();
    return new Map(rows.map((r) => [Number(r.window_start), Number(r.rolled_at)]));
  }

  /**
   * Blocks of `blockMs` with windows of `levelMs` before `before` that were never rolled up, or
   * that received a part after their roll-up (late events).
   */
  async staleBlocks(levelMs: number, blockMs: number, before: number) {
    // A literal, not a parameter: PostgreSQL matches the grouped expression by its text.
    const block = sql<number>`(window_start - (window_start % ${sql.lit(Math.trunc(blockMs))}))`;
    const rows = await this.db.kysely
      .selectFrom('monitoring_profiles')
      .select(['project_id', 'endpoint', block.as('block'), (eb) => eb.fn.max('updated_at').as('updated')])
      .where('level_ms', '=', levelMs)
      .where('window_start', '<', before)
      .groupBy(['project_id', 'endpoint', block])
      .execute();
    const out: { projectId: string; endpoint: string; start: number }[] = [];
    for (const r of rows) {
      const start = Number(r.block);
      if (start + blockMs > before) continue;
      const done = await this.rollups(
        { projectId: r.project_id, endpoint: r.endpoint },
        blockMs,
        start,
        start + 1,
      );
      const at = done.get(start);
      if (at === undefined || Number(r.updated) > at)
        out.push({ projectId: r.project_id, endpoint: r.endpoint, start });
    }
    return out;
  }

  /** Replaces a block's roll-up rows and marks it rolled, in one transaction. */
  async writeRollup(key: WindowKey, levelMs: number, start: number, rows: ProfileRow[], at: number) {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('monitoring_profiles')
        .where('project_id', '=', key.projectId)
        .where('endpoint', '=', key.endpoint)
        .where('level_ms', '=', levelMs)
        .where('window_start', '=', start)
        .execute();
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('monitoring_profiles')
          .values(rows.slice(i, i + CHUNK))
          .execute();
      }
      await trx
        .insertInto('monitoring_rollups')
        .values({
          project_id: key.projectId,
          endpoint: key.endpoint,
          level_ms: levelMs,
          window_start: start,
          rolled_at: at,
        })
        .onConflict((oc) =>
          oc.columns(['project_id', 'endpoint', 'level_ms', 'window_start']).doUpdateSet({ rolled_at: at }),
        )
        .execute();
    });
  }

  /** Each model version's first window on the endpoint. */
  async firstWindows(key: WindowKey, levelMs: number): Promise<Map<string, number>> {
    const rows = await this.db.kysely
      .selectFrom('monitoring_profiles')
      .select(['model_version', (eb) => eb.fn.min('window_start').as('first')])
      .where('project_id', '=', key.projectId)
      .where('endpoint', '=', key.endpoint)
      .where('level_ms', '=', levelMs)
      .groupBy('model_version')
      .execute();
    return new Map(rows.map((r) => [r.model_version, Number(r.first)]));
  }

  /** First and last window start of an endpoint's finest windows; null when it has none. */
  async span(key: WindowKey, levelMs: number): Promise<{ first: number; last: number } | null> {
    const row = await this.db.kysely
      .selectFrom('monitoring_profiles')
      .select((eb) => [eb.fn.min('window_start').as('first'), eb.fn.max('window_start').as('last')])
      .where('project_id', '=', key.projectId)
      .where('endpoint', '=', key.endpoint)
      .where('level_ms', '=', levelMs)
      .executeTakeFirst();
    if (!row || row.first === null || row.first === undefined) return null;
    return { first: Number(row.first), last: Number(row.last) };
  }
}

function normalize(r: ProfileRow): ProfileRow {
  return {
    ...r,
    level_ms: Number(r.level_ms),
    window_start: Number(r.window_start),
    events: Number(r.events),
    updated_at: Number(r.updated_at),
    profile: Buffer.isBuffer(r.profile) ? r.profile : Buffer.from(r.profile as Uint8Array),
  };
}
