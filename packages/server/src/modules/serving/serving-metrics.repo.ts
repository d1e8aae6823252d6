import type { ShadowFigures } from '../../http/metrics.js';
import type { Db } from '../../storage/database.js';

/** Every shadow's stored comparison counters, by endpoint name, for /metrics. */
export async function shadowFigures(db: Db): Promise<ShadowFigures[]> {
  const rows = await db.kysely
    .selectFrom('serving_shadow_stats as s')
    .innerJoin('endpoints as e', 'e.id', 's.endpoint_id')
    .select([
      'e.project_id as project',
      'e.name as endpoint',
      's.shadow',
      's.compared',
      's.label_compared',
      's.label_agreed',
      's.score_compared',
      's.abs_score_diff_sum',
    ])
    .execute();
  // PostgreSQL answers bigint columns as strings.
  return rows.map((r) => ({
    project: r.project,
    endpoint: r.endpoint,
    shadow: r.shadow,
    compared: Number(r.compared),
    labelCompared: Number(r.label_compared),
    labelAgreed: Number(r.label_agreed),
    scoreCompared: Number(r.score_compared),
    absScoreDiffSum: Number(r.abs_score_diff_sum),
  }));
}
