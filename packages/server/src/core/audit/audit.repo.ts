import { sql } from 'kysely';
import type { Db, Executor } from '../../storage/database.js';
import type { AuditRecordsTable } from './audit.tables.js';

export interface AuditFilter {
  projectId?: string;
  resource?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  beforeSeq?: number;
}

/** SQL of the audit chain. */
export class AuditRepo {
  constructor(private readonly db: Db) {}

  /**
   * Reads the head row inside the caller's transaction. On PostgreSQL the row is locked so
   * concurrent appends queue behind each other; SQLite serializes writers by itself.
   */
  async lockHead(trx: Executor): Promise<{ seq: number; hash: string }> {
    let q = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
    if (this.db.dialect === 'postgres') q = q.forUpdate();
    const head = await q.executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  }

  async append(trx: Executor, record: AuditRecordsTable): Promise<void> {
    await trx.insertInto('audit_records').values(record).execute();
    await trx
      .updateTable('audit_head')
      .set({ seq: record.seq, hash: record.hash })
      .where('id', '=', 1)
      .execute();
  }

  async head(): Promise<{ seq: number; hash: string }> {
    const head = await this.db.kysely
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  }

  /** Newest first. */
  async list(filter: AuditFilter, limit: number): Promise<AuditRecordsTable[]> {
    let q = this.db.kysely.selectFrom('audit_records').selectAll();
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.resource !== undefined) {
      // A trailing "*" lists a resource and everything under it, e.g. `dataset:weather*`.
      q = filter.resource.endsWith('*')
        ? q.where(sql`substr(resource, 1, ${filter.resource.length - 1})`, '=', filter.resource.slice(0, -1))
        : q.where('resource', '=', filter.resource);
    }
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.since !== undefined) q = q.where('time', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('time', '<', filter.until);
    if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  /** Oldest first, in batches, so verification never loads the whole chain. */
  async *scan(batchSize = 1000): AsyncGenerator<AuditRecordsTable> {
    let after = 0;
    for (;;) {
      const rows = await this.db.kysely
        .selectFrom('audit_records')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq', 'asc')
        .limit(batchSize)
        .execute();
      for (const row of rows) yield { ...row, seq: Number(row.seq) };
      if (rows.length < batchSize) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}
