import type { Db } from './database.js';
import { HELD } from './sqlite-direct.js';

/**
 * Reads the audit head's sequence, which grows with every committed mutation in any process
 * sharing the database: lookups kept under an unchanged stamp are still current. It runs before
 * every authenticated request and every prediction, so on SQLite it is a direct statement
 * whenever the connection is free, and a compiled Kysely query otherwise.
 */
export function changeStampReader(db: Db): () => Promise<number> {
  const query = db.kysely.selectFrom('audit_head').select('seq').where('id', '=', 1).compile();
  const params = [...query.parameters];
  return async () => {
    const row = db.direct?.get<{ seq: number }>(query.sql, params);
    if (row !== undefined && row !== HELD) return Number(row.seq);
    return Number((await db.kysely.executeQuery(query)).rows[0]!.seq);
  };
}
